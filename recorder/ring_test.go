package recorder

import (
	"encoding/binary"
	"testing"
	"time"
)

// record returns a record of n bytes (at least the 26-byte header) at
// time ts whose bytes after the time hold id.
func record(n int, ts uint64, id byte) []byte {
	b := make([]byte, max(n, 26))
	binary.LittleEndian.PutUint64(b, ts)
	for i := 8; i < len(b); i++ {
		b[i] = id
	}
	binary.LittleEndian.PutUint32(b[16:], uint32(len(b)))
	return b
}

// check verifies that the ring holds exactly the events from..to-1 as
// appended (want returns the record of a number).
func check(t *testing.T, r *Ring, from, to uint64, want func(uint64) []byte) {
	t.Helper()
	if r.Tail() != from || r.Head() != to {
		t.Fatalf("ring holds %d..%d, want %d..%d", r.Tail(), r.Head(), from, to)
	}
	for s := from; s < to; s++ {
		e, ok := r.Get(s)
		if !ok {
			t.Fatalf("event %d missing", s)
		}
		if string(e.Rec) != string(want(s)) {
			t.Fatalf("event %d: bytes differ", s)
		}
		if e.CPU != uint16(s%7) || e.Flags != uint32(s%2) {
			t.Fatalf("event %d: cpu %d flags %d", s, e.CPU, e.Flags)
		}
	}
	if _, ok := r.Get(from - 1); from > 0 && ok {
		t.Errorf("event %d still held", from-1)
	}
	if _, ok := r.Get(to); ok {
		t.Errorf("event %d held before it was appended", to)
	}
}

// TestRingWrap appends records of varied lengths through several turns
// of the slab: the ring holds the newest events whose records fit, in
// order, byte for byte, and never more than its slab.
func TestRingWrap(t *testing.T) {
	r := NewRing(4096, 0)
	rec := func(s uint64) []byte { return record(26+int(s*37%150), s, byte(s)) }
	for s := uint64(0); s < 2000; s++ {
		if got := r.Append(rec(s), uint16(s%7), uint32(s%2)); got != s {
			t.Fatalf("append %d numbered %d", s, got)
		}
		if r.Bytes() > len(r.slab) {
			t.Fatalf("after %d: %d bytes held, slab %d", s, r.Bytes(), len(r.slab))
		}
		if s > 100 && r.Bytes() < len(r.slab)/2 {
			t.Fatalf("after %d: only %d bytes of %d held", s, r.Bytes(), len(r.slab))
		}
		check(t, r, r.Tail(), s+1, rec)
	}
}

// TestRingBudgetBytes checks that the memory is what the budget says,
// and that the index bounds the events as the slab does.
func TestRingBudgetBytes(t *testing.T) {
	const budget = 64 << 10
	r := NewRing(budget, 0)
	if r.Memory() > budget {
		t.Fatalf("ring uses %d bytes, budget %d", r.Memory(), budget)
	}
	small := func(s uint64) []byte { return record(26, s, 1) }
	for s := uint64(0); s < 100000; s++ {
		r.Append(small(s), uint16(s%7), uint32(s%2))
	}
	if r.Len() > len(r.idx) || r.Len() < len(r.idx)-1 {
		t.Errorf("holds %d small events, index of %d", r.Len(), len(r.idx))
	}
	check(t, r, r.Tail(), 100000, small)
}

// TestRingBudgetTime checks the time span: events older than the span
// before the newest are dropped even when they would fit.
func TestRingBudgetTime(t *testing.T) {
	r := NewRing(1<<20, 2*time.Second)
	ms := uint64(time.Millisecond)
	rec := func(s uint64) []byte { return record(40, 1_000_000_000_000+s*100*ms, 2) }
	for s := uint64(0); s < 100; s++ {
		r.Append(rec(s), uint16(s%7), uint32(s%2))
	}
	// 100 ms apart: the last 2 s hold 21 events (99 back to 79).
	check(t, r, 79, 100, rec)
	if got, want := r.OldestTS(), 1_000_000_000_000+79*100*ms; got != want {
		t.Errorf("oldest time %d, want %d", got, want)
	}
	r.DropBefore(90)
	check(t, r, 90, 100, rec)
}

// TestRingTooLong checks that a record longer than the slab is counted,
// not kept, and empties the ring.
func TestRingTooLong(t *testing.T) {
	r := NewRing(1024, 0)
	rec := func(s uint64) []byte { return record(30, s, 3) }
	r.Append(rec(0), 0, 0)
	r.Append(record(len(r.slab)+1, 1, 4), 1, 1)
	if r.TooLong() != 1 || r.Len() != 0 {
		t.Fatalf("too long %d, held %d", r.TooLong(), r.Len())
	}
	r.Append(rec(2), 2, 0)
	check(t, r, 2, 3, rec)
}

// TestRingAllocs checks that appending allocates nothing.
func TestRingAllocs(t *testing.T) {
	r := NewRing(1<<20, 5*time.Second)
	rec := record(120, 1, 5)
	var ts uint64
	if n := testing.AllocsPerRun(10000, func() {
		ts += 1000
		binary.LittleEndian.PutUint64(rec, ts)
		r.Append(rec, 1, 0)
	}); n != 0 {
		t.Errorf("%v allocations per append", n)
	}
}

// BenchmarkRingAppend measures the ring's cost per event: a 120-byte
// record (a typical syscall exit with a path) into a 64 MiB ring.
func BenchmarkRingAppend(b *testing.B) {
	r := NewRing(64<<20, 5*time.Second)
	rec := record(120, 1, 5)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	var ts uint64
	for b.Loop() {
		ts += 1000
		binary.LittleEndian.PutUint64(rec, ts)
		r.Append(rec, 1, 0)
	}
}

// TestRingHold checks the ring's hold: the events a writer reads (from
// the hold on) stay as they are while new ones come; the ring takes new
// events in the room left, then refuses them (they take no number, and
// the ring no longer offers the events before them); once the hold is
// lifted, it takes them again.
func TestRingHold(t *testing.T) {
	r := NewRing(4096, 0)
	rec := func(s uint64) []byte { return record(26+int(s*37%150), s, byte(s)) }
	for range 500 {
		r.Append(rec(r.Head()), uint16(r.Head()%7), uint32(r.Head()%2))
	}
	hold, end := r.Tail()+3, r.Head()
	r.hold.Store(hold)
	kept := 0
	for range 500 {
		s := r.Head()
		if got, ok := r.add(rec(s), uint16(s%7), uint32(s%2)); ok {
			kept++
			if got != s {
				t.Fatalf("numbered %d, want %d", got, s)
			}
		}
	}
	if kept == 0 || r.Refused() != uint64(500-kept) || r.Len() != 0 {
		t.Fatalf("%d kept, %d refused, %d held", kept, r.Refused(), r.Len())
	}
	v := r.view()
	for s := hold; s < end; s++ {
		e := v.get(s)
		if string(e.Rec) != string(rec(s)) || e.CPU != uint16(s%7) || e.Flags != uint32(s%2) {
			t.Fatalf("held event %d changed", s)
		}
	}
	if _, ok := r.Get(end); ok {
		t.Error("the ring offers events before a refused one")
	}
	r.hold.Store(noHold)
	first := r.Head()
	for range 50 {
		r.Append(rec(r.Head()), uint16(r.Head()%7), uint32(r.Head()%2))
	}
	if r.Tail() < first || r.Len() < 10 {
		t.Fatalf("ring holds %d..%d after the hold, from %d", r.Tail(), r.Head(), first)
	}
	check(t, r, r.Tail(), first+50, rec)
}
