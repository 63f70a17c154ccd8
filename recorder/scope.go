package recorder

import (
	"fmt"
	"maps"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Scope says which events a capture shows; the others it leaves out, or
// writes state-only when they change the model (so that a reader still
// knows the processes and files the events shown refer to), as a
// filtered `kestrel read -w` capture does.
type Scope uint8

const (
	// ScopeAll shows every event.
	ScopeAll Scope = iota
	// ScopeProcessTree shows the events of the alert's process tree: the
	// alert process's ancestors up to its session leader (on the host)
	// or its container's init (not above the container, never the
	// host's init), and every descendant of its parent (the process that
	// started it: the alert process, its siblings, and all they start,
	// during the capture too).
	ScopeProcessTree
	// ScopeContainer shows the events of the alert's container, or of
	// every container of its pod when it is in a Kubernetes pod; an
	// alert of a host process is scoped to its process tree.
	ScopeContainer
)

// Scope names, as the configuration spells them.
var scopeNames = [...]string{ScopeAll: "all", ScopeProcessTree: "process_tree", ScopeContainer: "container"}

func (s Scope) String() string {
	if int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return fmt.Sprintf("Scope(%d)", s)
}

// ParseScope returns the scope named s: all, process_tree or container
// ("" is all).
func ParseScope(s string) (Scope, error) {
	if s == "" {
		return ScopeAll, nil
	}
	for i, n := range scopeNames {
		if n == s {
			return Scope(i), nil
		}
	}
	return ScopeAll, fmt.Errorf("capture scope %q: want all, process_tree or container", s)
}

// scope is the part of the host a scoped capture shows, grown by each
// alert the capture covers.
type scope struct {
	procs map[int64]bool  // processes shown, by pid (the ancestors)
	roots map[int64]bool  // processes whose descendants are shown, by pid
	ctrs  map[string]bool // containers shown, by id
	pods  map[string]bool // pods whose containers are shown, by uid
	inPod map[string]bool // container id: in a pod shown (a cache)
	buf   []byte
}

func newScope() *scope {
	return &scope{procs: map[int64]bool{}, roots: map[int64]bool{}, ctrs: map[string]bool{},
		pods: map[string]bool{}, inPod: map[string]bool{}}
}

// add widens the scope to the alert raised by an event of thread tid,
// as the model st knows it; false when st does not know the thread.
func (sc *scope) add(st *state.State, tid int64, kind Scope) bool {
	t := st.Thread(tid)
	if t == nil || t.Partial {
		return false
	}
	if kind == ScopeContainer && t.ContainerID != "" {
		sc.ctrs[t.ContainerID] = true
		if pod, ok := t.AppendPodUID(sc.buf[:0]); ok {
			sc.pods[string(pod)] = true
			clear(sc.inPod)
		}
		return true
	}
	p := st.MainThread(t)
	if p == nil {
		p = t
	}
	sc.procs[p.PID] = true
	root := p.PID
	if !treeTop(p, p) {
		first := true
		st.WalkParents(p, func(a *state.Thread) bool {
			if a.ContainerID != p.ContainerID || (p.ContainerID == "" && a.PID <= 2) {
				return false // above the container, or the host's init or kthreadd
			}
			sc.procs[a.PID] = true
			if first {
				root, first = a.PID, false
			}
			return !treeTop(p, a)
		})
	}
	sc.roots[root] = true
	return true
}

// merge widens the scope to hold o's too.
func (sc *scope) merge(o *scope) {
	maps.Copy(sc.procs, o.procs)
	maps.Copy(sc.roots, o.roots)
	maps.Copy(sc.ctrs, o.ctrs)
	if len(o.pods) > 0 {
		maps.Copy(sc.pods, o.pods)
		clear(sc.inPod)
	}
}

// treeTop reports whether a, p or one of its ancestors, is the top of
// p's process tree: p's session leader on the host, its container's init
// in a container.
func treeTop(p, a *state.Thread) bool {
	if p.ContainerID != "" {
		return a.VPID == 1
	}
	return a.PID == p.SID
}

// has reports whether the scope holds the events of thread th (nil: a
// thread the model does not know), as the model st knows it.
func (sc *scope) has(st *state.State, th *state.Thread) bool {
	if th == nil {
		return false
	}
	if id := th.ContainerID; id != "" && len(sc.ctrs) > 0 {
		if sc.ctrs[id] {
			return true
		}
		if len(sc.pods) > 0 {
			in, ok := sc.inPod[id]
			if !ok {
				pod, found := th.AppendPodUID(sc.buf[:0])
				in = found && sc.pods[string(pod)]
				sc.buf = pod
				sc.inPod[id] = in
			}
			if in {
				return true
			}
		}
	}
	if sc.procs[th.PID] || sc.roots[th.PID] {
		return true
	}
	if len(sc.roots) == 0 {
		return false
	}
	in := false
	st.WalkParents(th, func(a *state.Thread) bool {
		in = sc.roots[a.PID]
		return !in
	})
	return in
}

// changesModel reports whether e changes the model: an event a capture
// does not show (before its window) is then written state-only,
// otherwise left out.
func changesModel(e *event.Event) bool {
	info := e.Info()
	return info != nil && info.Flags&event.FlagModifiesState != 0
}

// keeps reports whether an event e of thread th outside the scope is
// written state-only: when it changes the model in a way a reader of the
// scope's events may need. Those are the changes to the process table
// (clone, execve, procexit, setsid…: the ancestors' names, the threads
// ended), and, for a scope holding containers, the fd changes of the
// host's processes, one of which may enter a container shown (runc exec)
// with the fds it has. The fd changes of the other processes are left
// out: no process outside the scope enters it later with its fds, so no
// event shown refers to them, and on a busy host they are the bulk of
// the events.
func (sc *scope) keeps(th *state.Thread, e *event.Event) bool {
	info := e.Info()
	if info == nil || info.Flags&event.FlagModifiesState == 0 {
		return false
	}
	if info.Category.Class() == event.CatProcess {
		return true
	}
	return len(sc.ctrs) > 0 && (th == nil || th.ContainerID == "")
}
