package state

import (
	"runtime"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/replay"
)

// churnRun applies the events of churn processes [from, to) to s and
// returns the largest thread table seen.
func churnRun(t testing.TB, c *replay.Churn, s *State, from, to uint64) int {
	most := 0
	apply := func(e *event.Event) error {
		s.Apply(e)
		most = max(most, s.Len())
		return nil
	}
	for k := from; k < to; k++ {
		if err := c.Process(k, apply); err != nil {
			t.Fatal(err)
		}
	}
	return most
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestChurnBounded applies 200,000 short-lived processes and checks that
// the model forgets them: the thread table holds init, the shell and the
// process in flight, and the live heap after 200,000 processes is within a
// small factor of the heap after 20,000 (the first 20,000 warm up the
// reuse lists and the interned names).
func TestChurnBounded(t *testing.T) {
	procs := uint64(200_000)
	if testing.Short() {
		procs = 40_000
	}
	c := replay.NewChurn()
	s := FromSection(c.Section())
	if n := s.Len(); n != 2 {
		t.Fatalf("%d threads before the churn, want 2", n)
	}
	most := churnRun(t, c, s, 0, procs/10)
	warm := liveHeap()
	most = max(most, churnRun(t, c, s, procs/10, procs))
	end := liveHeap()
	// init, the shell, the child, and the previous child until the event
	// after its procexit removes it.
	if most > 4 {
		t.Errorf("thread table reached %d threads, want at most 4", most)
	}
	if n := s.Len(); n > 3 {
		t.Errorf("%d threads after the churn, want at most 3", n)
	}
	if st := s.Stats(); st.ThreadOverflow != 0 || st.FDOverflow != 0 {
		t.Errorf("overflow: %+v", st)
	}
	const slack = 1 << 20
	if end > 2*warm+slack {
		t.Errorf("live heap grew from %d bytes after %d processes to %d after %d", warm, procs/10, end, procs)
	}
	t.Logf("live heap: %d bytes after %d processes, %d after %d; thread table at most %d", warm, procs/10, end, procs, most)
}
