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
	// last is the thread found by the latest lookup: events come in runs
	// from one thread, which then need no map access.
	last *Thread
	// free holds removed threads for reuse, so that a busy host's
	// stream of short-lived threads does not allocate one each.
	free []*Thread
	// names interns process names and executables, which few distinct
	// values take, so that execve and clone events allocate no strings.
	names map[string]string
}

// Bounds on what the State keeps for reuse.
const (
	maxFree  = 1024
	maxNames = 4096
)

// New returns an empty State.
func New() *State {
	return &State{threads: make(map[int64]*Thread), exited: -1, names: make(map[string]string)}
}

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
	s.last = nil
	if sec == nil {
		return
	}
	for i := range sec.Threads {
		t := &sec.Threads[i]
		s.threads[t.TID] = &Thread{TID: t.TID, PID: t.PID, PTID: t.PTID, Comm: t.Comm, Exe: t.Exe}
	}
}

// Thread returns the thread tid, or nil when the model does not know it.
// The Thread belongs to the model and is valid until the next [State.Apply]
// or [State.Reset]: a thread that exits is removed, and its Thread may be
// reused for another.
func (s *State) Thread(tid int64) *Thread {
	if t := s.last; t != nil && t.TID == tid {
		return t
	}
	t := s.threads[tid]
	if t != nil {
		s.last = t
	}
	return t
}

// add puts a new thread tid in the model and returns it, zeroed but for its id.
func (s *State) add(tid int64) *Thread {
	var t *Thread
	if n := len(s.free); n > 0 {
		t, s.free = s.free[n-1], s.free[:n-1]
		*t = Thread{TID: tid}
	} else {
		t = &Thread{TID: tid}
	}
	s.threads[tid] = t
	s.last = t
	return t
}

// remove takes thread tid out of the model.
func (s *State) remove(tid int64) {
	t := s.threads[tid]
	if t == nil {
		return
	}
	delete(s.threads, tid)
	if s.last == t {
		s.last = nil
	}
	if len(s.free) < maxFree {
		s.free = append(s.free, t)
	}
}

// intern returns b as a string, shared with earlier equal values.
func (s *State) intern(b []byte) string {
	if v, ok := s.names[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(s.names) < maxNames {
		s.names[v] = v
	}
	return v
}

// Len returns the number of threads in the model.
func (s *State) Len() int { return len(s.threads) }

// Apply updates the model with one event. A thread that exits stays
// visible while its procexit event is handled and goes at the next event.
func (s *State) Apply(e *event.Event) {
	if s.exited >= 0 {
		s.remove(s.exited)
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
	if s.Thread(tid) == nil {
		t := s.add(tid)
		t.PID, t.PTID, t.Comm = -1, -1, unknownName
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

func (s *State) paramStr(e *event.Event, name string) (string, bool) {
	p, ok := e.ParamByName(name)
	if !ok {
		return "", false
	}
	return s.intern(p.Bytes()), true
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
	if s.Thread(child) != nil {
		return
	}
	parent := s.Thread(e.TID())
	th := s.add(child)
	th.Comm, _ = s.paramStr(e, "comm")
	th.Exe, _ = s.paramStr(e, "exe")
	if res == 0 {
		th.PID, _ = paramInt(e, "pid")
		th.PTID, _ = paramInt(e, "ptid")
	} else {
		th.PTID = e.TID()
		th.PID = child
		if parent != nil {
			th.PTID = parent.PID
		}
	}
}

// applyExec gives the thread its new image after a successful execve.
func (s *State) applyExec(e *event.Event) {
	if res, ok := paramInt(e, "res"); !ok || res != 0 {
		return
	}
	tid := e.TID()
	th := s.Thread(tid)
	if th == nil {
		th = s.add(tid)
		th.PID, _ = paramInt(e, "pid")
		th.PTID, _ = paramInt(e, "ptid")
	}
	if comm, ok := s.paramStr(e, "comm"); ok {
		th.Comm = comm
	}
	if exe, ok := s.paramStr(e, "exe"); ok {
		th.Exe = exe
	}
}
