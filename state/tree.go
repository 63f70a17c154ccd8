package state

// Navigation of the process tree, the way sysdig 0.29.3 walks it: a
// thread's process is its main thread (the thread whose tid is its pid),
// and a thread's parent is the thread its ptid names.

// MainThread returns the main thread of t's process (t itself when it is
// the main thread), or nil when the model does not know it.
func (s *State) MainThread(t *Thread) *Thread {
	if t == nil || t.TID == t.PID {
		return t
	}
	return s.threads[t.PID]
}

// IsMain reports whether t is the main thread of its process.
func (t *Thread) IsMain() bool { return t.TID == t.PID }

// Parent returns the thread t's ptid names, or nil.
func (s *State) Parent(t *Thread) *Thread {
	if t == nil || t.PTID < 0 {
		return nil
	}
	return s.threads[t.PTID]
}

// Ancestor returns the n-th ancestor of t's process: 0 is the main thread
// of t's process, 1 its parent, 2 its grandparent. It returns nil past the
// oldest one the model knows.
func (s *State) Ancestor(t *Thread, n int) *Thread {
	mt := s.MainThread(t)
	for i := 0; i < n && mt != nil; i++ {
		mt = s.Parent(mt)
	}
	return mt
}

// WalkParents calls fn for each ancestor of t, parent first, until fn
// returns false or the model knows no further one. A loop in the parent
// links (a corrupt capture) ends the walk.
func (s *State) WalkParents(t *Thread, fn func(*Thread) bool) {
	slow := s.Parent(t)
	fast := s.Parent(slow)
	for slow != nil && slow.TID != -1 {
		if !fn(slow) {
			return
		}
		slow = s.Parent(slow)
		for i := 0; i < 2; i++ {
			fast = s.Parent(fast)
			if slow != nil && (slow == fast || slow.TID == slow.PTID) {
				return
			}
		}
	}
}

// SessionLeader returns the leader of t's session: the thread whose tid
// is t's session id or, when that one is gone, the oldest ancestor of t's
// main thread with the same session id. It returns nil when t has no main
// thread in the model.
func (s *State) SessionLeader(t *Thread) *Thread {
	if l := s.threads[t.SID]; l != nil {
		return l
	}
	return s.oldestWith(s.MainThread(t), func(a *Thread) int64 { return a.SID })
}

// GroupLeader returns the leader of t's process group, by its id in t's
// pid namespace: the thread with that id (when t is in the host's
// namespace) or the oldest ancestor with the same group. It returns nil
// when t has no group id or no such thread is known.
func (s *State) GroupLeader(t *Thread) *Thread {
	return s.oldestMatching(t, func(a *Thread) int64 { return a.VPGID })
}

// SessionLeaderNS is [State.SessionLeader] as current Falco computes it for
// proc.sid.exe: by the session id as seen in t's pid namespace, nil when
// t has no session id.
func (s *State) SessionLeaderNS(t *Thread) *Thread {
	return s.oldestMatching(t, func(a *Thread) int64 { return a.SID })
}

// oldestMatching looks up id(t) in the thread table when t is in the
// host's pid namespace, and otherwise (or when the lookup fails) returns
// the oldest ancestor of t sharing id(t).
func (s *State) oldestMatching(t *Thread, id func(*Thread) int64) *Thread {
	v := id(t)
	if v == -1 {
		return nil
	}
	if !t.inPidNamespace() {
		if l := s.threads[v]; l != nil {
			return l
		}
	}
	var leader *Thread
	s.WalkParents(t, func(a *Thread) bool {
		if id(a) != v {
			return false
		}
		leader = a
		return true
	})
	return leader
}

// oldestWith returns the oldest of t and its ancestors that share id(t).
func (s *State) oldestWith(t *Thread, id func(*Thread) int64) *Thread {
	if t == nil {
		return nil
	}
	v, leader := id(t), t
	s.WalkParents(t, func(a *Thread) bool {
		if id(a) != v {
			return false
		}
		leader = a
		return true
	})
	return leader
}

// inPidNamespace reports whether t's ids differ from those its pid
// namespace shows.
func (t *Thread) inPidNamespace() bool { return t.VTID != -1 && t.VTID != t.TID }

// NThreads returns the number of threads of t's process the model knows,
// the main thread included; ok is false when the main thread is unknown.
func (s *State) NThreads(t *Thread) (n int, ok bool) {
	mt := s.MainThread(t)
	if mt == nil {
		return 0, false
	}
	if mt.proc == nil {
		return 1, true
	}
	return mt.proc.threads, true
}

// NChilds returns, for a main thread, the number of other threads of its
// process; for other threads, 0 (sysdig keeps the count on the main thread).
func (s *State) NChilds(t *Thread) int {
	if !t.IsMain() || t.proc == nil || t.proc.threads < 1 {
		return 0
	}
	return t.proc.threads - 1
}

// ProcessGroupLeader returns the leader of t's process group by its id in
// the host's pid namespace (PGID): the thread with that id or, when the
// model does not know it, the oldest ancestor of t in the same group. It
// returns nil when t has no group id or no such thread is known.
func (s *State) ProcessGroupLeader(t *Thread) *Thread {
	if t.PGID == -1 {
		return nil
	}
	if l := s.threads[t.PGID]; l != nil {
		return l
	}
	var leader *Thread
	s.WalkParents(t, func(a *Thread) bool {
		if a.PGID != t.PGID {
			return false
		}
		leader = a
		return true
	})
	return leader
}
