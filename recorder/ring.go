package recorder

import (
	"encoding/binary"
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
// [Ring.Head] - 1. A Ring is not safe for concurrent use.
type Ring struct {
	slab  []byte
	idx   []entry
	head  uint64        // sequence number of the next event
	tail  uint64        // sequence number of the oldest event held
	w     int           // slab offset where the next record goes
	span  time.Duration // 0: no time limit
	large uint64        // events too long for the slab, not kept
}

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
	return &Ring{slab: make([]byte, budget-n*entrySize), idx: make([]entry, n), span: span}
}

// Memory returns the bytes the ring uses, which do not change.
func (r *Ring) Memory() int { return len(r.slab) + len(r.idx)*entrySize }

// Head returns the sequence number the next event will have.
func (r *Ring) Head() uint64 { return r.head }

// Tail returns the sequence number of the oldest event held.
func (r *Ring) Tail() uint64 { return r.tail }

// Len returns how many events the ring holds.
func (r *Ring) Len() int { return int(r.head - r.tail) }

// Bytes returns the length of the records the ring holds.
func (r *Ring) Bytes() int {
	n := 0
	for s := r.tail; s < r.head; s++ {
		n += int(r.at(s).n)
	}
	return n
}

// TooLong returns how many events were too long to keep.
func (r *Ring) TooLong() uint64 { return r.large }

func (r *Ring) at(seq uint64) *entry { return &r.idx[seq%uint64(len(r.idx))] }

// Append copies the record rec (its first 8 bytes are its time) with the
// CPU and dump flags of its event, and returns its sequence number. A
// record longer than the slab is not kept (see [Ring.TooLong]); it still
// takes a number, and the ring is emptied, since its events would no
// longer lead to the new ones.
func (r *Ring) Append(rec []byte, cpu uint16, flags uint32) uint64 {
	seq := r.head
	r.head++
	if len(rec) > len(r.slab) || len(rec) < 8 {
		r.large++
		r.tail = r.head
		return seq
	}
	ts := binary.LittleEndian.Uint64(rec)
	if r.w+len(rec) > len(r.slab) {
		r.wrap(seq)
	}
	r.free(r.w, len(rec), seq)
	copy(r.slab[r.w:], rec)
	*r.at(seq) = entry{ts: ts, off: uint32(r.w), n: uint32(len(rec)), flags: flags, cpu: cpu}
	r.w += len(rec)
	r.expire(ts, seq)
	return seq
}

// wrap moves the write offset back to the start of the slab. Events that
// lie after it are older than those before it, once the slab has wrapped
// already: they go first, so that the events held lie in order from the
// oldest again.
func (r *Ring) wrap(seq uint64) {
	for r.tail < seq && int(r.at(r.tail).off) >= r.w {
		r.tail++
	}
	r.w = 0
}

// free drops the oldest events while the event seq's index entry or the
// slab bytes [off, off+n) are still theirs. The events held lie in the
// slab in order from the oldest, wrapping once at most, so the first
// one that does not overlap leaves the others clear too.
func (r *Ring) free(off, n int, seq uint64) {
	for r.tail < seq {
		if seq-r.tail >= uint64(len(r.idx)) {
			r.tail++
			continue
		}
		e := r.at(r.tail)
		if int(e.off) >= off+n || int(e.off+e.n) <= off {
			return
		}
		r.tail++
	}
}

// expire drops the events older than the span before ts, the time of the
// newest event, seq.
func (r *Ring) expire(ts, seq uint64) {
	if r.span <= 0 || ts < uint64(r.span) {
		return
	}
	limit := ts - uint64(r.span)
	for r.tail < seq && r.at(r.tail).ts < limit {
		r.tail++
	}
}

// DropBefore drops the events numbered below seq.
func (r *Ring) DropBefore(seq uint64) {
	r.tail = min(max(r.tail, seq), r.head)
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
	if seq < r.tail || seq >= r.head {
		return Event{}, false
	}
	e := r.at(seq)
	return Event{Rec: r.slab[e.off : e.off+e.n], TS: e.ts, CPU: e.cpu, Flags: e.flags}, true
}

// OldestTS returns the time of the oldest event held, 0 when none.
func (r *Ring) OldestTS() uint64 {
	if r.tail == r.head {
		return 0
	}
	return r.at(r.tail).ts
}
