package state

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

// Event codes of the legacy table used below.
const (
	openE     = 2
	cloneX    = 223
	execveX   = 293
	procexitE = 186
)

type stream struct {
	t  *testing.T
	s  *State
	ts uint64
	ev event.Event
}

func (st *stream) apply(tid int64, typ event.Type, vals map[string]any) {
	st.t.Helper()
	st.ts++
	if err := st.ev.Reset(evtest.MustRecord(event.Legacy(), st.ts, tid, typ, vals)); err != nil {
		st.t.Fatal(err)
	}
	st.s.Apply(&st.ev)
}

func (st *stream) want(tid int64, comm string, pid int64) {
	st.t.Helper()
	th := st.s.Thread(tid)
	switch {
	case comm == "" && th != nil:
		st.t.Fatalf("thread %d still known: %+v", tid, *th)
	case comm == "":
	case th == nil:
		st.t.Fatalf("thread %d unknown", tid)
	case th.TID != tid || th.Comm != comm || th.PID != pid:
		st.t.Fatalf("thread %d: got %+v, want comm %q pid %d", tid, *th, comm, pid)
	}
}

// TestThreadLifecycle follows threads through clone, execve and exit,
// looking them up between events so that the cached lookup and the reuse
// of removed threads are exercised.
func TestThreadLifecycle(t *testing.T) {
	st := &stream{t: t, s: FromSection(&scap.Section{Threads: []scap.Thread{
		{TID: 100, PID: 100, PTID: 1, Comm: "bash", Exe: "/bin/bash"},
	}})}
	fork := func(child int64) map[string]any {
		return map[string]any{"res": child, "exe": "/bin/bash", "tid": 100, "pid": 100, "ptid": 1, "comm": "bash"}
	}
	for round := range int64(3) {
		child := 200 + round
		st.want(100, "bash", 100)
		st.apply(100, cloneX, fork(child))
		st.want(child, "bash", child)
		st.want(100, "bash", 100)
		st.apply(child, execveX, map[string]any{"res": 0, "exe": "/bin/cat", "tid": child, "pid": child, "ptid": 100, "comm": "cat"})
		st.want(child, "cat", child)
		st.apply(child, procexitE, nil)
		st.want(child, "cat", child) // still visible while its procexit is handled
		st.apply(300, openE, map[string]any{"name": "/x", "flags": 1})
		st.want(child, "", 0)
		st.want(300, unknownName, 300) // learned from its event: no name, its own process (sysdig: proc.pid is the tid)
		st.apply(300, procexitE, nil)
	}
	if n := st.s.Len(); n != 2 { // bash and the last 300, removed at the next event
		t.Errorf("%d threads in the model, want 2", n)
	}
	if a := st.s.Thread(100).Comm; a != "bash" {
		t.Errorf("bash renamed %q", a)
	}
}

// TestApplyAllocs checks that events that change no state, and the
// creation and exit of threads with names seen before, allocate nothing.
func TestApplyAllocs(t *testing.T) {
	st := &stream{t: t, s: New()}
	recs := [][]byte{
		evtest.MustRecord(event.Legacy(), 1, 100, cloneX, map[string]any{"res": 200, "exe": "/bin/bash", "tid": 100, "pid": 100, "ptid": 1, "comm": "bash"}),
		evtest.MustRecord(event.Legacy(), 2, 200, execveX, map[string]any{"res": 0, "exe": "/bin/cat", "tid": 200, "pid": 200, "ptid": 100, "comm": "cat"}),
		evtest.MustRecord(event.Legacy(), 3, 200, openE, map[string]any{"name": "/x", "flags": 1}),
		evtest.MustRecord(event.Legacy(), 4, 200, procexitE, nil),
		evtest.MustRecord(event.Legacy(), 5, 100, openE, map[string]any{"name": "/x", "flags": 1}),
	}
	evs := make([]event.Event, len(recs))
	for i, r := range recs {
		if err := evs[i].Reset(r); err != nil {
			t.Fatal(err)
		}
	}
	run := func() {
		for i := range evs {
			st.s.Apply(&evs[i])
		}
	}
	run() // learn the names, fill the free list
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}
