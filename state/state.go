// Package state keeps Kestrel's model of the host: the threads and
// processes that events come from. It is seeded from a capture's metadata
// (or /proc for live use) and updated by [State.Apply] for every event in
// order. One goroutine owns a State; nothing in it locks.
package state

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// Thread is what the model knows of one thread.
type Thread struct {
	TID, PID, PTID int64
	Comm           string
	Exe            string
}

// State is the model of the host.
type State struct {
	threads map[int64]*Thread
	exited  int64 // tid of a procexit applied last, removed at the next event
}

// New returns an empty State.
func New() *State { return &State{threads: make(map[int64]*Thread), exited: -1} }

// FromSection returns a State seeded from a capture section's thread list.
func FromSection(sec *scap.Section) *State {
	s := New()
	s.Reset(sec)
	return s
}

// Reset replaces the model with a capture section's thread list, as a new
// section of a concatenated capture requires.
func (s *State) Reset(sec *scap.Section) {
	clear(s.threads)
	s.exited = -1
	if sec == nil {
		return
	}
	for i := range sec.Threads {
		t := &sec.Threads[i]
		s.threads[t.TID] = &Thread{TID: t.TID, PID: t.PID, PTID: t.PTID, Comm: t.Comm, Exe: t.Exe}
	}
}

// Thread returns the thread tid, or nil when the model does not know it.
func (s *State) Thread(tid int64) *Thread { return s.threads[tid] }

// Len returns the number of threads in the model.
func (s *State) Len() int { return len(s.threads) }

// Apply updates the model with one event. A thread that exits stays
// visible while its procexit event is handled and goes at the next event.
func (s *State) Apply(e *event.Event) {
	if s.exited >= 0 {
		delete(s.threads, s.exited)
		s.exited = -1
	}
	s.touch(e)
	t := e.Type()
	if t.IsEnter() {
		if e.Name() == "procexit" {
			s.exited = e.TID()
		}
		return
	}
	switch e.Name() {
	case "clone", "fork", "vfork", "clone3":
		s.applyClone(e)
	case "execve", "execveat":
		s.applyExec(e)
	}
}

// touch adds a thread the model has never seen, as sysdig does for every
// event but procinfo: it has no name (fields print <NA>) until an execve or
// clone tells more.
func (s *State) touch(e *event.Event) {
	tid := e.TID()
	if tid < 0 || e.Name() == "procinfo" {
		return
	}
	if _, ok := s.threads[tid]; !ok {
		s.threads[tid] = &Thread{TID: tid, PID: -1, PTID: -1, Comm: unknownName}
	}
}

// unknownName is the name of threads the model learned of from their events alone.
const unknownName = "<NA>"

func paramInt(e *event.Event, name string) (int64, bool) {
	p, ok := e.ParamByName(name)
	if !ok || p.Empty() {
		return 0, false
	}
	return p.Int(), true
}

func paramStr(e *event.Event, name string) (string, bool) {
	p, ok := e.ParamByName(name)
	if !ok {
		return "", false
	}
	return p.Str(), true
}

// applyClone adds the new thread from whichever side of the clone exit
// comes first: the child (res 0, the event's own tid) or the parent (res is
// the child's tid).
func (s *State) applyClone(e *event.Event) {
	res, ok := paramInt(e, "res")
	if !ok || res < 0 {
		return
	}
	child := res
	if res == 0 {
		child = e.TID()
	}
	if _, known := s.threads[child]; known {
		return
	}
	th := &Thread{TID: child}
	th.Comm, _ = paramStr(e, "comm")
	th.Exe, _ = paramStr(e, "exe")
	if res == 0 {
		th.PID, _ = paramInt(e, "pid")
		th.PTID, _ = paramInt(e, "ptid")
	} else {
		th.PTID = e.TID()
		th.PID = child
		if parent := s.threads[e.TID()]; parent != nil {
			th.PTID = parent.PID
		}
	}
	s.threads[child] = th
}

// applyExec gives the thread its new image after a successful execve.
func (s *State) applyExec(e *event.Event) {
	if res, ok := paramInt(e, "res"); !ok || res != 0 {
		return
	}
	tid := e.TID()
	th := s.threads[tid]
	if th == nil {
		th = &Thread{TID: tid}
		th.PID, _ = paramInt(e, "pid")
		th.PTID, _ = paramInt(e, "ptid")
		s.threads[tid] = th
	}
	if comm, ok := paramStr(e, "comm"); ok {
		th.Comm = comm
	}
	if exe, ok := paramStr(e, "exe"); ok {
		th.Exe = exe
	}
}
