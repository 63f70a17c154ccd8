package recorder

import (
	"encoding/binary"
	"sync/atomic"
	"time"
)

// Ring keeps the latest events in their scap encoding, in memory fixed
// when it is made: one byte slab used circularly for the records, and an
// index of the events it holds (time, place in the slab, CPU, dump
// flags). Appending copies the record and allocates nothing; the oldest
// events make room for the new ones, and with a time span set, the events
// older than the span before the newest are dropped as well.
//
// Events are numbered from 0 in the order they were appended (their
// sequence number); the ring holds those from [Ring.Tail] to
// [Ring.Head] - 1. A Ring is not safe for concurrent use, but for one
// thing: a capture writer may read the events numbered from the ring's
// hold on (see [Ring.view]) while the ring's owner appends. The ring
// never overwrites their records or index entries: when it has no room
// for a new event otherwise, it refuses it (the event takes no number,
// and the events held before it no longer lead to the newer ones).
type Ring struct {
	slab  []byte
	idx   []entry
	head  uint64        // sequence number of the next event
	tail  uint64        // sequence number of the oldest event in the slab
	w     int           // slab offset where the next record goes
	span  time.Duration // 0: no time limit
	large uint64        // events too long for the slab, not kept
	// hold is the lowest sequence number a capture writer still reads
	// (noHold: none); set under the recorder's writer lock.
	hold atomic.Uint64
	// brk: the events numbered below brk do not lead to the newer ones
	// (an event was refused, or dropped, between them); the ring holds
	// the events from max(tail, brk) on.
	brk     uint64
	refused uint64 // events refused: no room but what a writer reads
}

// noHold is the ring's hold when no writer reads it.
const noHold = ^uint64(0)

// entry places one event of the ring.
type entry struct {
	ts    uint64
	off   uint32
	n     uint32
	flags uint32
	cpu   uint16
}

// entrySize is the memory one index entry takes.
const entrySize = 24

// indexShare is the share of a ring's memory its index takes: one entry
// for every indexShare-1 entry sizes of slab (an event of 72 bytes on
// average fills both at once).
const indexShare = 4

// NewRing returns a ring that uses budget bytes of memory, split between
// the slab and the index, and keeps at most span of event time (0: as
// much as fits).
func NewRing(budget int, span time.Duration) *Ring {
	budget = max(budget, indexShare*entrySize*2)
	n := budget / indexShare / entrySize
	r := &Ring{slab: make([]byte, budget-n*entrySize), idx: make([]entry, n), span: span}
	r.hold.Store(noHold)
	return r
}

// Memory returns the bytes the ring uses, which do not change.
func (r *Ring) Memory() int { return len(r.slab) + len(r.idx)*entrySize }

// Head returns the sequence number the next event will have.
func (r *Ring) Head() uint64 { return r.head }

// Tail returns the sequence number of the oldest event held.
func (r *Ring) Tail() uint64 { return max(r.tail, r.brk) }

// Len returns how many events the ring holds.
func (r *Ring) Len() int { return int(r.head - r.Tail()) }

// Bytes returns the length of the records the ring holds.
func (r *Ring) Bytes() int {
	n := 0
	for s := r.Tail(); s < r.head; s++ {
		n += int(r.at(s).n)
	}
	return n
}

// TooLong returns how many events were too long to keep.
func (r *Ring) TooLong() uint64 { return r.large }

// Refused returns how many events the ring refused: it had no room for
// them but the records a capture writer was still reading.
func (r *Ring) Refused() uint64 { return r.refused }

func (r *Ring) at(seq uint64) *entry { return &r.idx[seq%uint64(len(r.idx))] }

// Append copies the record rec (its first 8 bytes are its time) with the
// CPU and dump flags of its event, and returns its sequence number. A
// record longer than the slab is not kept (see [Ring.TooLong]); it still
// takes a number, and the ring is emptied, since its events would no
// longer lead to the new ones. A record refused while a writer reads the
// ring (see [Ring.Refused]) takes no number: Append returns the number
// the next event will have.
func (r *Ring) Append(rec []byte, cpu uint16, flags uint32) uint64 {
	seq, _ := r.add(rec, cpu, flags)
	return seq
}

// add is [Ring.Append], and reports whether the ring kept the record.
func (r *Ring) add(rec []byte, cpu uint16, flags uint32) (uint64, bool) {
	low := r.hold.Load()
	seq := r.head
	if len(rec) > len(r.slab) || len(rec) < 8 {
		r.large++
		if low != noHold {
			return r.refuse()
		}
		r.head++
		r.tail = r.head
		return seq, false
	}
	ts := binary.LittleEndian.Uint64(rec)
	if r.w+len(rec) > len(r.slab) && !r.wrap(seq, low) {
		return r.refuse()
	}
	if !r.free(r.w, len(rec), seq, low) {
		return r.refuse()
	}
	r.head++
	copy(r.slab[r.w:], rec)
	*r.at(seq) = entry{ts: ts, off: uint32(r.w), n: uint32(len(rec)), flags: flags, cpu: cpu}
	r.w += len(rec)
	r.expire(ts, seq, low)
	return seq, true
}

// refuse leaves out the event that would be numbered head: the events
// held no longer lead to the next one.
func (r *Ring) refuse() (uint64, bool) {
	r.refused++
	r.brk = r.head
	return r.head, false
}

// wrap moves the write offset back to the start of the slab. Events that
// lie after it are older than those before it, once the slab has wrapped
// already: they go first, so that the events held lie in order from the
// oldest again. It fails, leaving the offset, when one of them is held
// for a writer (numbered low or more).
func (r *Ring) wrap(seq, low uint64) bool {
	for r.tail < seq && int(r.at(r.tail).off) >= r.w {
		if r.tail >= low {
			return false
		}
		r.tail++
	}
	r.w = 0
	return true
}

// free drops the oldest events while the event seq's index entry or the
// slab bytes [off, off+n) are still theirs. The events held lie in the
// slab in order from the oldest, wrapping once at most, so the first
// one that does not overlap leaves the others clear too. It fails when
// an event to drop is held for a writer (numbered low or more).
func (r *Ring) free(off, n int, seq, low uint64) bool {
	for r.tail < seq {
		if seq-r.tail < uint64(len(r.idx)) {
			e := r.at(r.tail)
			if int(e.off) >= off+n || int(e.off+e.n) <= off {
				return true
			}
		}
		if r.tail >= low {
			return false
		}
		r.tail++
	}
	return true
}

// expire drops the events older than the span before ts, the time of the
// newest event, seq, but those held for a writer (numbered low or more).
func (r *Ring) expire(ts, seq, low uint64) {
	if r.span <= 0 || ts < uint64(r.span) {
		return
	}
	limit := ts - uint64(r.span)
	for r.tail < seq && r.tail < low && r.at(r.tail).ts < limit {
		r.tail++
	}
}

// DropBefore drops the events numbered below seq.
func (r *Ring) DropBefore(seq uint64) {
	r.brk = min(max(r.brk, seq), r.head)
}

// Event is an event held in a ring, as [Ring.Get] returns it.
type Event struct {
	Rec   []byte // the record, in the ring's memory: valid until the next Append
	TS    uint64
	CPU   uint16
	Flags uint32
}

// Get returns the event numbered seq, and false when the ring no longer
// (or not yet) holds it.
func (r *Ring) Get(seq uint64) (Event, bool) {
	if seq < r.Tail() || seq >= r.head {
		return Event{}, false
	}
	e := r.at(seq)
	return Event{Rec: r.slab[e.off : e.off+e.n], TS: e.ts, CPU: e.cpu, Flags: e.flags}, true
}

// OldestTS returns the time of the oldest event held, 0 when none.
func (r *Ring) OldestTS() uint64 {
	if r.Tail() == r.head {
		return 0
	}
	return r.at(r.Tail()).ts
}

// view is what a capture writer reads of a ring: its slab and index,
// where the events numbered from the ring's hold on stay as they are.
type view struct {
	slab []byte
	idx  []entry
}

func (r *Ring) view() view { return view{slab: r.slab, idx: r.idx} }

// get returns the event numbered seq, which the ring must hold for the
// reader.
func (v view) get(seq uint64) Event {
	e := v.idx[seq%uint64(len(v.idx))]
	return Event{Rec: v.slab[e.off : e.off+e.n], TS: e.ts, CPU: e.cpu, Flags: e.flags}
}
