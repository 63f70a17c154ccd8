package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Process tree fields: parent, ancestors, session and process group
// leaders, thread counts. The walks are those of [state.State]'s tree
// navigation; see state/tree.go.

func treeFields() []Def {
	return []Def{
		threadNum("proc.ppid", event.PTInt64, "pid of the parent of the process", func(c *Context, t *state.Thread) (int64, bool) {
			mt := c.State.MainThread(t)
			if mt == nil {
				return 0, false
			}
			return mt.PTID, xid(mt.PTID)
		}),
		threadStr("proc.pname", "name of the parent of the process", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			p := c.State.Parent(t)
			if p == nil {
				return d, false
			}
			return append(d, p.Comm...), true
		}),
		threadStr("proc.pcmdline", "name and arguments of the parent of the process", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			p := c.State.Parent(t)
			if p == nil {
				return d, false
			}
			return appendCmdline(d, p), true
		}),
		threadStr("proc.pexe", "first command line argument of the parent process", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			p := c.State.Ancestor(t, 1)
			if p == nil {
				return d, false
			}
			return append(d, p.Exe...), true
		}),
		threadStr("proc.pexepath", "full executable path of the parent process", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			p := c.State.Ancestor(t, 1)
			if p == nil {
				return d, false
			}
			return append(d, p.ExePath...), true
		}),
		threadNum("proc.pvpid", event.PTInt64, "id of the parent process in its pid namespace", func(c *Context, t *state.Thread) (int64, bool) {
			p := c.State.Parent(t)
			if p == nil {
				return 0, false
			}
			return p.VPID, true
		}),
		threadNum("proc.ppid.ts", event.PTRelTime, "when the parent process was created, in nanoseconds since the epoch", func(c *Context, t *state.Thread) (int64, bool) {
			p := c.State.Parent(t)
			if p == nil {
				return 0, false
			}
			return int64(p.CloneTS), true
		}),
		threadNum("proc.ppid.duration", event.PTRelTime, "nanoseconds since the parent process was created", func(c *Context, t *state.Thread) (int64, bool) {
			p := c.State.Ancestor(t, 1)
			if p == nil || p.CloneTS == 0 {
				return 0, false
			}
			return int64(c.Event.TS() - p.CloneTS), true
		}),
		ancestorNum("proc.apid", "pid of an ancestor: proc.apid[0] is the process, [1] its parent, [2] its grandparent; without an index, the process's (proc.apid[0]), and in filters any ancestor's",
			func(a *state.Thread) (int64, bool) { return a.PID, xid(a.PID) }),
		ancestorStr("proc.aname", "name of an ancestor: proc.aname[1] is the parent's, [2] the grandparent's, [0] the process's; without an index, every ancestor's, parent first, separated by spaces (none when the process has no known parent), and in filters any ancestor's",
			func(d []byte, a *state.Thread) []byte { return append(d, a.Comm...) }),
		ancestorStr("proc.aexe", "first command line argument of an ancestor, indexed as proc.aname; without an index, every ancestor's, as proc.aname",
			func(d []byte, a *state.Thread) []byte { return append(d, a.Exe...) }),
		ancestorStr("proc.aexepath", "full executable path of an ancestor, indexed as proc.aname; without an index, every ancestor's, as proc.aname",
			func(d []byte, a *state.Thread) []byte { return append(d, a.ExePath...) }),
		threadNum("proc.loginshellid", event.PTInt64, "pid of the oldest shell (a name ending in sh) among the process and its ancestors", loginShell),
		threadNum("proc.nthreads", event.PTUint64, "number of threads of the process, the main thread included", func(c *Context, t *state.Thread) (int64, bool) {
			n, ok := c.State.NThreads(t)
			return int64(n), ok
		}),
		threadNum("proc.nchilds", event.PTUint64, "for a main thread, the number of the process's other threads; 0 for other threads", func(c *Context, t *state.Thread) (int64, bool) {
			return int64(c.State.NChilds(t)), true
		}),
		threadStr("proc.sname", "name of the session leader of the process", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			l := c.State.SessionLeader(t)
			if l == nil {
				return d, false
			}
			return append(d, l.Comm...), true
		}),
		leaderStr("proc.sid.exe", "first command line argument of the session leader", (*state.State).SessionLeaderNS,
			func(d []byte, l *state.Thread) []byte { return append(d, l.Exe...) }),
		leaderStr("proc.sid.exepath", "full executable path of the session leader", (*state.State).SessionLeaderNS,
			func(d []byte, l *state.Thread) []byte { return append(d, l.ExePath...) }),
		leaderStr("proc.vpgid.name", "name of the leader of the process group", (*state.State).GroupLeader,
			func(d []byte, l *state.Thread) []byte { return append(d, l.Comm...) }),
		leaderStr("proc.vpgid.exe", "first command line argument of the leader of the process group", (*state.State).GroupLeader,
			func(d []byte, l *state.Thread) []byte { return append(d, l.Exe...) }),
		leaderStr("proc.vpgid.exepath", "full executable path of the leader of the process group", (*state.State).GroupLeader,
			func(d []byte, l *state.Thread) []byte { return append(d, l.ExePath...) }),
	}
}

// loginShell finds the oldest shell among the process and its ancestors.
func loginShell(c *Context, t *state.Thread) (int64, bool) {
	mt := c.State.MainThread(t)
	if mt == nil {
		return 0, false
	}
	pid, found := int64(0), false
	check := func(a *state.Thread) bool {
		if n := len(a.Comm); n >= 2 && a.Comm[n-2:] == "sh" {
			pid, found = a.PID, true
		}
		return true
	}
	check(mt)
	c.State.WalkParents(mt, check)
	return pid, found
}

// nthParent returns the i-th ancestor of t's main thread, the parent
// being the 0th, as filters on ancestor fields without an index visit them.
func nthParent(s *state.State, t *state.Thread, i int) *state.Thread {
	var out *state.Thread
	s.WalkParents(s.MainThread(t), func(a *state.Thread) bool {
		if i == 0 {
			out = a
			return false
		}
		i--
		return true
	})
	return out
}

// ancestor returns the ancestor a field argument names (the process
// itself without one).
func ancestor(c *Context, a *Arg) *state.Thread {
	t := c.Thread()
	if t == nil {
		return nil
	}
	n := 0
	if a != nil {
		if !a.IsNum || a.Index < 0 {
			return nil
		}
		n = a.Index
	}
	return c.State.Ancestor(t, n)
}

// ancestorNum defines a numeric field of an ancestor.
func ancestorNum(name, desc string, v func(a *state.Thread) (int64, bool)) Def {
	num := func(c *Context, a *Arg) (int64, bool) {
		t := ancestor(c, a)
		if t == nil {
			return 0, false
		}
		return v(t)
	}
	return Def{Name: name, Type: event.PTInt64, Arg: ArgOptional, CheckArg: ancestorArg, NoValue: ancestorNoValue, Desc: desc, Num: num,
		Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
			n, ok := num(c, a)
			if !ok {
				return d, false
			}
			return strconv.AppendInt(d, n, 10), true
		},
		Multi: func(d []byte, c *Context, a *Arg, i int) ([]byte, bool) {
			if a != nil {
				if i > 0 {
					return d, false
				}
				n, ok := num(c, a)
				return appendNum(d, n, ok)
			}
			t := c.Thread()
			if t == nil {
				return d, false
			}
			p := nthParent(c.State, t, i)
			if p == nil {
				return d, false
			}
			n, ok := v(p)
			return appendNum(d, n, ok)
		},
	}
}

func appendNum(d []byte, n int64, ok bool) ([]byte, bool) {
	if !ok {
		return d, false
	}
	return strconv.AppendInt(d, n, 10), true
}

// ancestorStr defines a text field of an ancestor. Without an index, its
// text is the values of every ancestor, parent first, separated by spaces.
func ancestorStr(name, desc string, v func(d []byte, a *state.Thread) []byte) Def {
	return Def{Name: name, Type: event.PTCharBuf, Arg: ArgOptional, CheckArg: ancestorArg, NoValue: ancestorNoValue, Desc: desc,
		Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
			if a == nil {
				return allParents(d, c, v)
			}
			t := ancestor(c, a)
			if t == nil {
				return d, false
			}
			return v(d, t), true
		},
		Multi: func(d []byte, c *Context, a *Arg, i int) ([]byte, bool) {
			var t *state.Thread
			switch {
			case a != nil && i == 0:
				t = ancestor(c, a)
			case a == nil && c.Thread() != nil:
				t = nthParent(c.State, c.Thread(), i)
			}
			if t == nil {
				return d, false
			}
			return v(d, t), true
		},
	}
}

// allParents appends v of every ancestor of the event's process, parent
// first, separated by spaces; no value when there is none.
func allParents(d []byte, c *Context, v func(d []byte, a *state.Thread) []byte) ([]byte, bool) {
	t := c.Thread()
	if t == nil {
		return d, false
	}
	mt := c.State.MainThread(t)
	if mt == nil {
		return d, false
	}
	start, any := len(d), false
	c.State.WalkParents(mt, func(a *state.Thread) bool {
		if len(d) > start {
			d = append(d, ' ')
		}
		d, any = v(d, a), true
		return true
	})
	return d, any && len(d) > start
}

// leaderStr defines a text field of a leader thread of the process ("" when
// the model knows no leader).
func leaderStr(name, desc string, leader func(*state.State, *state.Thread) *state.Thread, v func(d []byte, l *state.Thread) []byte) Def {
	return threadStr(name, desc, func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
		if l := leader(c.State, t); l != nil {
			d = v(d, l)
		}
		return d, true
	})
}
