//go:build linux && amd64

package ebpf

import (
	"encoding/binary"
	"slices"
	"sync/atomic"
	"testing"
)

// fakeRing is a ring laid out in Go memory as the kernel lays it out in
// the mapped pages: data of size bytes seen twice, and the positions.
type fakeRing struct {
	r          *ring
	size, prod uint64
	cons       uint64
	prodWord   uint64
}

func newFakeRing(size int) *fakeRing {
	f := &fakeRing{size: uint64(size)}
	f.r = &ring{data: make([]byte, 2*size), mask: uint64(size - 1), consPos: &f.cons, prodPos: &f.prodWord}
	return f
}

// write appends a record of n bytes starting with timestamp ts, with the
// given header flags, and makes it visible unless flags has the busy bit.
func (f *fakeRing) write(ts uint64, n int, flags uint32) {
	hdr := make([]byte, ringHdrLen)
	binary.LittleEndian.PutUint32(hdr, uint32(n)|flags)
	rec := make([]byte, n)
	binary.LittleEndian.PutUint64(rec, ts)
	f.put(f.prod, hdr)
	f.put(f.prod+ringHdrLen, rec)
	f.prod += (uint64(n) + ringHdrLen + 7) &^ 7
	f.prodWord = f.prod
}

// put writes b at position pos, in both views of the data.
func (f *fakeRing) put(pos uint64, b []byte) {
	for i, c := range b {
		off := (pos + uint64(i)) % f.size
		f.r.data[off] = c
		f.r.data[off+f.size] = c
	}
}

func timestamps(b *batch) []uint64 {
	var out []uint64
	start := 0
	for _, end := range b.ends {
		out = append(out, binary.LittleEndian.Uint64(b.data[start:]))
		start = end
	}
	return out
}

// TestRingsMerge checks that records of several rings come out oldest
// first, that discarded records are skipped, that a record still being
// written holds back its ring, and that records wrapping around the end
// of a ring read whole.
func TestRingsMerge(t *testing.T) {
	a, b := newFakeRing(128), newFakeRing(128)
	a.write(10, 40, 0)
	a.write(30, 40, 0)
	a.write(99, 16, ringDiscard) // ends at 120: the next record of a wraps around
	b.write(20, 16, 0)
	b.write(40, 16, 0)
	b.write(35, 16, ringBusy)
	b.write(50, 16, 0)
	s := &rings{all: []*ring{a.r, b.r}}
	bt := newBatch()
	if s.merge(bt) {
		t.Fatal("merge reports a full batch")
	}
	if got, want := timestamps(bt), []uint64{10, 20, 30, 40}; !slices.Equal(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	if n := len(bt.data); n != 40+16+40+16 {
		t.Errorf("batch holds %d bytes, want 112", n)
	}
	s.publish()
	if a.cons != a.prod {
		t.Errorf("ring a: consumer %d, want %d (past the discarded record)", a.cons, a.prod)
	}
	// The busy record commits; then a record wraps around ring a's end.
	binary.LittleEndian.PutUint32(b.r.data[48%128:], 16)
	binary.LittleEndian.PutUint32(b.r.data[48%128+128:], 16)
	a.write(60, 40, 0)
	bt = newBatch()
	s.merge(bt)
	if got, want := timestamps(bt), []uint64{35, 50, 60}; !slices.Equal(got, want) {
		t.Fatalf("after the commit: merged %v, want %v", got, want)
	}
	s.publish()
	if got := s.available(); got != 0 {
		t.Errorf("available = %d after taking everything", got)
	}
}

// TestRingsMergeFull checks that a merge stops when the batch is full and
// resumes where it stopped.
func TestRingsMergeFull(t *testing.T) {
	f := newFakeRing(1 << 20)
	n := batchRecords + 10
	for i := range n {
		f.write(uint64(i+1), 32, 0)
	}
	s := &rings{all: []*ring{f.r}}
	b1, b2 := newBatch(), newBatch()
	if !s.merge(b1) {
		t.Fatal("first merge did not fill the batch")
	}
	if s.merge(b2) {
		t.Fatal("second merge reports a full batch")
	}
	got := append(timestamps(b1), timestamps(b2)...)
	if len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
	for i, ts := range got {
		if ts != uint64(i+1) {
			t.Fatalf("record %d has timestamp %d", i, ts)
		}
	}
}

// TestRingsMergeMigratingThread checks that events written one after the
// other to alternating rings, as by a thread that moves between CPUs,
// come out in the order they were written while the merge runs
// alongside the writer.
func TestRingsMergeMigratingThread(t *testing.T) {
	const n = 20000
	a, b := newFakeRing(1<<20), newFakeRing(1<<20)
	s := &rings{all: []*ring{a.r, b.r}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			f := a
			if i%2 == 1 {
				f = b
			}
			f.writeAtomic(uint64(i+1), 16)
		}
	}()
	var got []uint64
	bt := newBatch()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more merge takes what is left
		default:
		}
		for more := true; more; {
			more = s.merge(bt)
			got = append(got, timestamps(bt)...)
			bt.data, bt.ends = bt.data[:0], bt.ends[:0]
		}
	}
	if len(got) != n {
		t.Fatalf("merged %d records, want %d", len(got), n)
	}
	for i, ts := range got {
		if ts != uint64(i+1) {
			t.Fatalf("record %d has timestamp %d: merged out of order", i, ts)
		}
	}
}

// writeAtomic appends a committed record of n bytes starting with
// timestamp ts and publishes it as the kernel does, for a reader running
// at the same time.
func (f *fakeRing) writeAtomic(ts uint64, n int) {
	hdr := make([]byte, ringHdrLen)
	binary.LittleEndian.PutUint32(hdr, uint32(n))
	rec := make([]byte, n)
	binary.LittleEndian.PutUint64(rec, ts)
	f.put(f.prod+ringHdrLen, rec)
	f.put(f.prod, hdr)
	f.prod += (uint64(n) + ringHdrLen + 7) &^ 7
	atomic.StoreUint64(&f.prodWord, f.prod)
}
