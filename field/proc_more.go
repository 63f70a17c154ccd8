package field

import (
	"bytes"
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// Process fields of current libsinsp beyond sysdig 0.29.3's: ancestors'
// arguments, command lines and environments, the process group by its
// host id, the standard fds, and the table-only thread fields.

func procMoreFields() []Def {
	return []Def{
		ancestorLineage("proc.aargs", "arguments of an ancestor: proc.aargs[1] is the parent's, [2] the grandparent's, [0] the process's; without an index, every ancestor's, parent first, separated by spaces",
			appendList2),
		ancestorLineage("proc.acmdline", "command line (name and arguments) of an ancestor, indexed as proc.aargs; without an index, every ancestor's, parent first, separated by spaces",
			func(d []byte, a *state.Thread) []byte { return appendCmdline(d, a) }),
		{Name: "proc.aenv", Type: event.PTCharBuf, Arg: ArgOptional,
			Desc: "environment of an ancestor: proc.aenv[1] is the parent's; proc.aenv[NAME] the value of variable NAME in the nearest ancestor that has it; without an argument (or [0]) the process's",
			Text: procAenv},
		threadNum("proc.pgid", event.PTInt64, "process group id of the process, in the host's pid namespace; -1 when unknown", func(_ *Context, t *state.Thread) (int64, bool) {
			return t.PGID, true
		}),
		leaderStr("proc.pgid.name", "name of the leader of the process group (by proc.pgid)", (*state.State).ProcessGroupLeader,
			func(d []byte, l *state.Thread) []byte { return append(d, l.Comm...) }),
		leaderStr("proc.pgid.exe", "first command line argument of the leader of the process group (by proc.pgid)", (*state.State).ProcessGroupLeader,
			func(d []byte, l *state.Thread) []byte { return append(d, l.Exe...) }),
		leaderStr("proc.pgid.exepath", "full executable path of the leader of the process group (by proc.pgid)", (*state.State).ProcessGroupLeader,
			func(d []byte, l *state.Thread) []byte { return append(d, l.ExePath...) }),
		threadBool("proc.is_pgid_leader", "true when the process leads its process group (proc.pgid equals proc.pid)", func(_ *Context, t *state.Thread) bool {
			return t.PGID == t.PID
		}),
		stdFD("proc.stdin.type", "type of fd 0 (standard input) of the process", 0, appendFDTypeName),
		stdFD("proc.stdout.type", "type of fd 1 (standard output) of the process", 1, appendFDTypeName),
		stdFD("proc.stderr.type", "type of fd 2 (standard error) of the process", 2, appendFDTypeName),
		stdFD("proc.stdin.name", "name of fd 0 (standard input) of the process", 0, appendFDName),
		stdFD("proc.stdout.name", "name of fd 1 (standard output) of the process", 1, appendFDName),
		stdFD("proc.stderr.name", "name of fd 2 (standard error) of the process", 2, appendFDName),
		threadStr("thread.nametid", "process name followed by the thread id (curl17497), for tables", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			return strconv.AppendInt(append(d, t.Comm...), c.Event.TID(), 10), true
		}),
		threadNum("thread.vmsize.b", event.PTUint64, "thread.vmsize in bytes", func(_ *Context, t *state.Thread) (int64, bool) {
			return mainOnly(t, t.VMSize) * 1024, true
		}),
		threadNum("thread.vmrss.b", event.PTUint64, "thread.vmrss in bytes", func(_ *Context, t *state.Thread) (int64, bool) {
			return mainOnly(t, t.VMRSS) * 1024, true
		}),
	}
}

// appendList2 appends a thread's arguments separated by spaces.
func appendList2(d []byte, a *state.Thread) []byte { return appendList(d, a.Args) }

// ancestorLineage defines a text field of an ancestor (proc.aargs[N]:
// N = 0 is the process, 1 its parent); without an index it is every
// ancestor's value, parent first, separated by spaces, and none when all
// are empty. An argument that is not a number counts as none.
func ancestorLineage(name, desc string, v func(d []byte, a *state.Thread) []byte) Def {
	return Def{Name: name, Type: event.PTCharBuf, Arg: ArgOptional, Desc: desc,
		Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
			if a == nil || !a.IsNum || a.Index < 0 {
				return allParents(d, c, v)
			}
			t := ancestor(c, a)
			if t == nil {
				return d, false
			}
			return v(d, t), true
		}}
}

// procAenv extracts proc.aenv as libsinsp does.
func procAenv(d []byte, c *Context, a *Arg) ([]byte, bool) {
	t := c.Thread()
	if t == nil {
		return d, false
	}
	if a == nil || (a.IsNum && a.Index < 1) || a.Text == "" {
		return appendList(d, threadEnv(c, t)), true
	}
	mt := c.State.MainThread(t)
	if mt == nil {
		return d, true
	}
	if !a.IsNum {
		name := unquote(a.Text)
		for i := 0; i < 20; i++ { // libsinsp looks 20 generations up at most
			if mt = c.State.Parent(mt); mt == nil {
				break
			}
			if v := trimSpaces(envValue(threadEnv(c, mt), name)); len(v) > 0 {
				return append(d, v...), true
			}
		}
		return d, true
	}
	for i := 0; i < a.Index; i++ {
		if mt = c.State.Parent(mt); mt == nil {
			return d, false
		}
	}
	return appendList(d, threadEnv(c, mt)), true
}

// threadEnv returns the environment of t's process (its main thread's).
func threadEnv(c *Context, t *state.Thread) []byte {
	if mt := c.State.MainThread(t); mt != nil {
		return mt.Env
	}
	return t.Env
}

// trimSpaces removes the spaces around a value, as libsinsp's get_env does.
func trimSpaces(b []byte) []byte { return bytes.Trim(b, " ") }

// stdFD defines a field of fd n of the process's fd table (its main
// thread's, as libsinsp reads it); none when the table has no fd n.
func stdFD(name, desc string, n int64, v func(d []byte, f *state.FD) []byte) Def {
	return threadStr(name, desc, func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
		if mt := c.State.MainThread(t); mt != nil {
			t = mt
		}
		fds := t.FDs()
		if fds == nil {
			return d, false
		}
		f := fds.Get(n)
		if f == nil {
			return d, false
		}
		return v(d, f), true
	})
}

func appendFDName(d []byte, f *state.FD) []byte { return append(d, f.Name...) }

// appendFDTypeName appends the type of f as current libsinsp names it:
// fd.type's names, and those of the fd kinds sysdig 0.29.3 did not know.
func appendFDTypeName(d []byte, f *state.FD) []byte {
	switch f.Type {
	case scap.FDBPF:
		return append(d, "bpf"...)
	case scap.FDUserfaultFD:
		return append(d, "userfaultfd"...)
	case scap.FDIOUring:
		return append(d, "io_uring"...)
	case scap.FDMemFD:
		return append(d, "memfd"...)
	case scap.FDPidFD:
		return append(d, "pidfd"...)
	}
	s, _ := fdTypeName(f.Type)
	return append(d, s...)
}
