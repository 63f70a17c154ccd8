// Package replay builds large captures out of small ones, for benchmarks
// and load tests: the events of an input capture are written again and
// again, each round shifted in time and run by its own threads, so that
// the result reads like one long, busy capture.
//
// In round k (counted from 0) every timestamp moves by k periods (the span
// of the input plus one average gap between its events), so timestamps
// keep increasing from one round to the next. Every thread that takes part
// in the input's events gets the id tid + k*Stride (or, when the rounds
// cycle through a bounded number of ranges, tid + (k mod Ranges)*Stride):
// in the event headers, in the thread-id parameters of the events (clone's
// res, tid, pid and ptid, execve's pgid, kill's pid, …) and in a copy of
// its process-list entry and fd table. Threads of the process list that no
// event uses are written once and shared by all rounds.
package replay

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// Source holds the events of an input capture, ready to be replayed. Only
// the input is kept in memory; [Source.Write] streams its output. A Source
// is not safe for concurrent use.
type Source struct {
	sec    *scap.Section
	recs   []byte        // the input's records, back to back
	events []event.Event // views over recs
	ts     []uint64      // original timestamp of each event
	tids   []patch       // event headers whose tid is renumbered
	params []patch       // thread-id parameters that are renumbered
	own    map[int64]bool

	// Period is how far each round moves the timestamps, in nanoseconds.
	Period uint64
	// Stride is how far each round moves the renumbered thread ids: a
	// power of ten above every thread id of the input.
	Stride int64
	// Ranges, when not zero, bounds the number of thread-id ranges: round
	// k uses range k mod Ranges, so that the process list holds at most
	// Ranges copies of each replayed thread. The threads of a range then
	// run again in later rounds, as a shell runs the same commands again.
	// Zero gives every round its own range.
	Ranges uint64
}

// patch is an integer in recs that is renumbered each round.
type patch struct {
	off  int   // offset in recs
	size int   // 4 or 8 bytes
	orig int64 // value in the input
}

// Load reads an input capture (plain or gzip, one section).
func Load(r io.Reader) (*Source, error) {
	rd, err := scap.NewReader(r, scap.ReaderOptions{})
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	s := &Source{sec: rd.Section(), own: make(map[int64]bool)}
	type meta struct {
		off, n int
		cpu    uint16
		flags  uint32
	}
	var metas []meta
	var ev event.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if rd.SectionNum() != 1 {
			return nil, errors.New("the input has more than one section: replay a single-section capture")
		}
		metas = append(metas, meta{off: len(s.recs), n: len(ev.Raw()), cpu: ev.CPU, flags: ev.DumpFlags})
		s.recs = append(s.recs, ev.Raw()...)
	}
	if len(metas) == 0 {
		return nil, errors.New("the input has no events")
	}
	s.events = make([]event.Event, len(metas))
	s.ts = make([]uint64, len(metas))
	for i, m := range metas {
		e := &s.events[i]
		if err := e.Reset(s.recs[m.off : m.off+m.n : m.off+m.n]); err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		e.Num, e.CPU, e.DumpFlags = uint64(i+1), m.cpu, m.flags
		s.ts[i] = e.TS()
	}
	s.findThreads()
	for i, m := range metas {
		s.findPatches(&s.events[i], m.off)
	}
	s.setShifts()
	return s, nil
}

// findThreads collects the thread ids that each round renumbers: those of
// the events, and the process ids of their process-list entries.
func (s *Source) findThreads() {
	for i := range s.events {
		if tid := s.events[i].TID(); tid > 0 {
			s.own[tid] = true
		}
	}
	for i := range s.sec.Threads {
		t := &s.sec.Threads[i]
		if s.own[t.TID] && t.PID > 0 {
			s.own[t.PID] = true
		}
	}
}

// findPatches records where the renumbered thread ids of e, whose record
// starts at base in s.recs, are.
func (s *Source) findPatches(e *event.Event, base int) {
	if tid := e.TID(); s.own[tid] {
		s.tids = append(s.tids, patch{off: base + 8, size: 8, orig: tid})
	}
	lsz := 2
	if e.Info() != nil && e.Info().Large() {
		lsz = 4
	}
	off := base + event.HeaderLen + lsz*e.NumParams()
	for j := 0; j < e.NumParams(); j++ {
		p := e.Param(j)
		pos := off
		off += len(p.Raw)
		switch {
		case p.Type() == event.PTPID && len(p.Raw) == 8,
			p.Type() == event.PTPID32 && len(p.Raw) == 4:
		default:
			continue
		}
		if v := p.Int(); s.own[v] {
			s.params = append(s.params, patch{off: pos, size: len(p.Raw), orig: v})
		}
	}
}

func (s *Source) setShifts() {
	lo, hi := s.ts[0], s.ts[0]
	maxID := int64(0)
	for _, ts := range s.ts {
		lo, hi = min(lo, ts), max(hi, ts)
	}
	for i := range s.events {
		maxID = max(maxID, s.events[i].TID())
	}
	for i := range s.sec.Threads {
		t := &s.sec.Threads[i]
		maxID = max(maxID, t.TID, t.PID, t.PTID, t.SID, t.PGID)
	}
	for _, p := range s.params {
		maxID = max(maxID, p.orig)
	}
	s.Period = hi - lo + max(1, (hi-lo)/uint64(len(s.ts)))
	s.Stride = 10
	for s.Stride <= maxID {
		s.Stride *= 10
	}
	if len(s.own) == 0 {
		s.Stride = 0
	}
}

// Len returns the number of events of the input.
func (s *Source) Len() int { return len(s.events) }

// Section returns the input's metadata.
func (s *Source) Section() *scap.Section { return s.sec }

// Rounds returns how many rounds n events take.
func (s *Source) Rounds(n uint64) uint64 {
	return (n + uint64(len(s.events)) - 1) / uint64(len(s.events))
}

// Threads returns how many threads the process list of a capture of the
// given number of rounds holds.
func (s *Source) Threads(rounds uint64) int {
	n, copies := 0, int(s.ranges(rounds))
	for i := range s.sec.Threads {
		if s.own[s.sec.Threads[i].TID] {
			n += copies
		} else {
			n++
		}
	}
	return n
}

// ReplaySection returns the metadata of a capture of the given number of
// rounds: the input's, with the process list and fd tables holding one
// renumbered copy of each replayed thread per thread-id range.
func (s *Source) ReplaySection(rounds uint64) *scap.Section {
	out := *s.sec
	var mine []scap.Thread
	out.Threads = nil
	for _, t := range s.sec.Threads {
		if s.own[t.TID] {
			mine = append(mine, t)
		} else {
			out.Threads = append(out.Threads, t)
		}
	}
	var fds []scap.FDList
	out.FDs = nil
	for _, l := range s.sec.FDs {
		if s.own[l.TID] {
			fds = append(fds, l)
		} else {
			out.FDs = append(out.FDs, l)
		}
	}
	copies := s.ranges(rounds)
	out.Threads = append(make([]scap.Thread, 0, len(out.Threads)+int(copies)*len(mine)), out.Threads...)
	out.FDs = append(make([]scap.FDList, 0, len(out.FDs)+int(copies)*len(fds)), out.FDs...)
	for k := range int64(copies) {
		d := k * s.Stride
		for _, t := range mine {
			t.VTID = s.shiftNS(t.VTID, t.TID, d)
			t.VPID = s.shiftNS(t.VPID, t.PID, d)
			t.VPGID = s.shiftNS(t.VPGID, t.PGID, d)
			t.TID, t.PID, t.PTID = s.shift(t.TID, d), s.shift(t.PID, d), s.shift(t.PTID, d)
			t.SID, t.PGID = s.shift(t.SID, d), s.shift(t.PGID, d)
			out.Threads = append(out.Threads, t)
		}
		for _, l := range fds {
			l.TID = s.shift(l.TID, d)
			out.FDs = append(out.FDs, l)
		}
	}
	return &out
}

// ranges returns how many thread-id ranges the given number of rounds use.
func (s *Source) ranges(rounds uint64) uint64 {
	if s.Ranges > 0 && s.Ranges < rounds {
		return s.Ranges
	}
	return rounds
}

func (s *Source) shift(id, d int64) int64 {
	if s.own[id] {
		return id + d
	}
	return id
}

// shiftNS renumbers a namespace id that equals its host id (a thread
// outside containers); ids of other namespaces stay.
func (s *Source) shiftNS(v, host, d int64) int64 {
	if v == host {
		return s.shift(v, d)
	}
	return v
}

// Write writes a capture of n events (the input's, round after round; the
// last round may be partial) to w and returns how many it wrote.
func (s *Source) Write(w io.Writer, n uint64, opts scap.WriterOptions) (uint64, error) {
	rounds := s.Rounds(n)
	wr, err := scap.NewWriter(w, s.ReplaySection(rounds), opts)
	if err != nil {
		return 0, err
	}
	defer s.restore()
	written := uint64(0)
	for k := uint64(0); k < rounds; k++ {
		s.apply(k)
		for i := range s.events {
			if written == n {
				break
			}
			if err := wr.WriteEvent(&s.events[i]); err != nil {
				return written, err
			}
			written++
		}
	}
	return written, wr.Close()
}

// apply rewrites the records for round k.
func (s *Source) apply(k uint64) {
	for i := range s.events {
		s.events[i].SetTS(s.ts[i] + k*s.Period)
	}
	r := k
	if s.Ranges > 0 {
		r = k % s.Ranges
	}
	d := int64(r) * s.Stride
	for _, p := range s.tids {
		binary.LittleEndian.PutUint64(s.recs[p.off:], uint64(p.orig+d))
	}
	for _, p := range s.params {
		if p.size == 8 {
			binary.LittleEndian.PutUint64(s.recs[p.off:], uint64(p.orig+d))
		} else {
			binary.LittleEndian.PutUint32(s.recs[p.off:], uint32(p.orig+d))
		}
	}
}

// restore puts the input's values back.
func (s *Source) restore() { s.apply(0) }

// Build returns, in memory, an uncompressed capture of n events replayed
// from the capture file in, with at most the given number of thread-id
// ranges (see [Source.Ranges]).
func Build(in string, n, ranges uint64) ([]byte, error) {
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	s.Ranges = ranges
	var buf bytes.Buffer
	if _, err := s.Write(&buf, n, scap.WriterOptions{}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
