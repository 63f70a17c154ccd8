package field

import (
	"bytes"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Process and thread fields (proc.*, thread.*): identity, command line and
// resources of the event's thread, read from the model. The process tree
// fields are in proc_tree.go, CPU times in proc_time.go.

func threadFields() []Def {
	defs := []Def{
		numField("thread.tid", event.PTInt64, "id of the thread that made the event", func(c *Context) (int64, bool) {
			return c.Event.TID(), xid(c.Event.TID())
		}),
		threadNum("proc.pid", event.PTInt64, "id of the process of the event's thread", func(_ *Context, t *state.Thread) (int64, bool) {
			return t.PID, xid(t.PID)
		}),
		threadNum("thread.vtid", event.PTInt64, "id of the thread in its pid namespace", func(_ *Context, t *state.Thread) (int64, bool) {
			return t.VTID, t.VTID != -1
		}),
		threadNum("proc.vpid", event.PTInt64, "id of the process in its pid namespace", func(_ *Context, t *state.Thread) (int64, bool) {
			return t.VPID, t.VPID != -1
		}),
		threadBool("thread.ismain", "true when the thread is its process's main thread", func(_ *Context, t *state.Thread) bool { return t.IsMain() }),
		threadStr("proc.name", "name of the process (its comm, without a path)", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return append(d, t.Comm...), true
		}),
		threadStr("proc.exe", "first command line argument: usually the executable as it was invoked", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return append(d, t.Exe...), true
		}),
		threadStr("proc.exepath", "full path of the process's executable", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return append(d, t.ExePath...), true
		}),
		{Name: "proc.args", Type: event.PTCharBuf, Arg: ArgOptional,
			Desc: "command line arguments after the first, separated by spaces; proc.args[N] is the N-th of them, counting from 0 (empty past the last)",
			Text: procArgs},
		threadStr("proc.cmdline", "process name followed by its arguments", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return appendCmdline(d, t), true
		}),
		threadStr("proc.exeline", "first command line argument followed by the others", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			d = append(append(d, t.Exe...), ' ')
			return appendList(d, t.Args), true
		}),
		threadStr("proc.cwd", "working directory of the process. For a process whose creation the stream did not show, the directory its execve reports (sysdig and libsinsp leave it empty when they read a capture, and read /proc when live)", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return append(d, t.Cwd()...), true
		}),
		{Name: "proc.env", Type: event.PTCharBuf, Arg: ArgOptional, CheckArg: envArg,
			Desc: "environment of the process, separated by spaces; proc.env[NAME] is the value of variable NAME",
			Text: procEnv},
		threadNum("proc.cmdnargs", event.PTUint64, "number of command line arguments after the first", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(countList(t.Args)), true
		}),
		threadNum("proc.cmdlenargs", event.PTUint64, "total length of the command line arguments after the first, separators excluded", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(len(t.Args) - bytes.Count(t.Args, []byte{0})), true
		}),
		threadNum("proc.sid", event.PTInt64, "session id of the process", func(_ *Context, t *state.Thread) (int64, bool) { return t.SID, true }),
		threadNum("proc.vpgid", event.PTInt64, "process group id of the process in its pid namespace", func(_ *Context, t *state.Thread) (int64, bool) {
			return t.VPGID, true
		}),
		threadNum("proc.tty", event.PTUint32, "controlling terminal device of the process; 0 when it has none", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.TTY), true
		}),
		threadBool("proc.is_sid_leader", "true when the process leads its session (proc.sid equals proc.vpid)", func(_ *Context, t *state.Thread) bool {
			return t.SID == t.VPID
		}),
		threadBool("proc.is_vpgid_leader", "true when the process leads its process group (proc.vpgid equals proc.vpid)", func(_ *Context, t *state.Thread) bool {
			return t.VPGID == t.VPID
		}),
		threadNum("proc.duration", event.PTRelTime, "nanoseconds since the process was created", func(c *Context, t *state.Thread) (int64, bool) {
			return int64(c.Event.TS() - t.CloneTS), t.CloneTS != 0
		}),
		threadNum("proc.pid.ts", event.PTRelTime, "when the thread was created, in nanoseconds since the epoch", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.CloneTS), t.CloneTS != 0
		}),
		threadNum("proc.pidns_init_start_ts", event.PTUint64, "when the init process of the process's pid namespace started, in nanoseconds since the epoch", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.PidnsInitStartTS), t.PidnsInitStartTS != 0
		}),
	}
	defs = append(defs, exeFields()...)
	defs = append(defs, resourceFields()...)
	defs = append(defs, capFields()...)
	defs = append(defs, treeFields()...)
	defs = append(defs, procMoreFields()...)
	return append(defs, procTimeFields()...)
}

// xid reports whether a thread or process id is one sysdig shows.
func xid(v int64) bool { return v >= -1 && v <= 0xFFFFFFFF }

// threadBool defines a boolean field of the event's thread.
func threadBool(name, desc string, v func(c *Context, t *state.Thread) bool) Def {
	return boolField(name, desc, func(c *Context) (bool, bool) {
		t := c.Thread()
		if t == nil {
			return false, false
		}
		return v(c, t), true
	})
}

// appendList appends a list of NUL-terminated strings, as events carry
// argument and environment lists, separated by spaces.
func appendList(d []byte, l []byte) []byte {
	l = bytes.TrimSuffix(l, []byte{0})
	for len(l) > 0 {
		i := bytes.IndexByte(l, 0)
		if i < 0 {
			return append(d, l...)
		}
		d = append(append(d, l[:i]...), ' ')
		l = l[i+1:]
	}
	return d
}

// countList returns the number of strings in a NUL-terminated list.
func countList(l []byte) int {
	if len(l) == 0 {
		return 0
	}
	n := bytes.Count(l, []byte{0})
	if l[len(l)-1] != 0 {
		n++
	}
	return n
}

// appendCmdline appends the thread's name and its arguments.
func appendCmdline(d []byte, t *state.Thread) []byte {
	d = append(d, t.Comm...)
	if len(t.Args) > 0 {
		d = appendList(append(d, ' '), t.Args)
	}
	return d
}

// procArgs extracts proc.args: every argument, or with a numeric
// argument (proc.args[1]) that one, empty when there are fewer.
func procArgs(d []byte, c *Context, a *Arg) ([]byte, bool) {
	t := c.Thread()
	if t == nil {
		return d, false
	}
	if a == nil || !a.IsNum || a.Index < 0 {
		return appendList(d, t.Args), true
	}
	l, n := t.Args, a.Index
	for len(l) > 0 {
		e := l
		if i := bytes.IndexByte(l, 0); i >= 0 {
			e, l = l[:i], l[i+1:]
		} else {
			l = nil
		}
		if n == 0 {
			return append(d, e...), true
		}
		n--
	}
	return d, true
}

// procEnv extracts proc.env: the whole environment, or with an argument
// the value of one variable ("" when it is not set).
func procEnv(d []byte, c *Context, a *Arg) ([]byte, bool) {
	t := c.Thread()
	if t == nil {
		return d, false
	}
	env := t.Env
	if mt := c.State.MainThread(t); mt != nil && mt != t {
		env = mt.Env // threads read their process's environment
	}
	if a == nil || a.IsNum || a.Text == "" {
		return appendList(d, env), true
	}
	return append(d, envValue(env, unquote(a.Text))...), true
}

// envValue returns the value of variable name in a NUL-terminated list of
// NAME=value strings.
func envValue(env []byte, name string) []byte {
	for len(env) > 0 {
		e := env
		if i := bytes.IndexByte(env, 0); i >= 0 {
			e, env = env[:i], env[i+1:]
		} else {
			env = nil
		}
		if len(e) > len(name) && e[len(name)] == '=' && string(e[:len(name)]) == name {
			return e[len(name)+1:]
		}
	}
	return nil
}

// unquote removes the quotes around a filter's bracketed argument.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// exeFields are the fields of the process's executable file.
func exeFields() []Def {
	return []Def{
		threadBool("proc.is_exe_writable", "true when the executable is writable by the user that started the process", func(_ *Context, t *state.Thread) bool { return t.ExeWritable }),
		threadBool("proc.is_exe_upper_layer", "true when the executable lies in the upper layer of an overlay file system", func(_ *Context, t *state.Thread) bool { return t.ExeUpperLayer }),
		threadBool("proc.is_exe_lower_layer", "true when the executable lies in a lower layer of an overlay file system", func(_ *Context, t *state.Thread) bool { return t.ExeLowerLayer }),
		threadBool("proc.is_exe_from_memfd", "true when the executable is a memfd_create file run through its fd", func(_ *Context, t *state.Thread) bool { return t.ExeFromMemfd }),
		threadNum("proc.exe_ino", event.PTInt64, "inode number of the executable", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.ExeIno), t.ExeIno != 0
		}),
		threadNum("proc.exe_ino.ctime", event.PTAbsTime, "status change time of the executable's inode, in nanoseconds since the epoch", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.ExeInoCtime), t.ExeInoCtime != 0
		}),
		threadNum("proc.exe_ino.mtime", event.PTAbsTime, "modification time of the executable's inode, in nanoseconds since the epoch", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.ExeInoMtime), t.ExeInoMtime != 0
		}),
		threadNum("proc.exe_ino.ctime_duration_proc_start", event.PTAbsTime, "nanoseconds from the executable's last status change to the creation of the process", func(_ *Context, t *state.Thread) (int64, bool) {
			if t.ExeInoCtime == 0 || t.CloneTS == 0 {
				return 0, false
			}
			v := int64(t.CloneTS - t.ExeInoCtime)
			return v, v != 0
		}),
		threadNum("proc.exe_ino.ctime_duration_pidns_start", event.PTAbsTime, "nanoseconds from the start of the pid namespace to the executable's last status change, when that change came later", func(_ *Context, t *state.Thread) (int64, bool) {
			if t.PidnsInitStartTS == 0 || t.ExeInoCtime <= t.PidnsInitStartTS {
				return 0, false
			}
			return int64(t.ExeInoCtime - t.PidnsInitStartTS), true
		}),
		threadBool("proc.is_container_healthcheck", "true when the process runs a container's health check", func(_ *Context, _ *state.Thread) bool { return false }),
		threadBool("proc.is_container_liveness_probe", "true when the process runs a container's liveness probe", func(_ *Context, _ *state.Thread) bool { return false }),
		threadBool("proc.is_container_readiness_probe", "true when the process runs a container's readiness probe", func(_ *Context, _ *state.Thread) bool { return false }),
	}
}

// resourceFields are the fields of the process's fds, memory and page faults.
func resourceFields() []Def {
	return []Def{
		threadNum("proc.fdopencount", event.PTUint64, "number of open fds of the process", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(fdCount(t)), true
		}),
		threadNum("proc.fdlimit", event.PTInt64, "how many fds the process may open", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.FDLimit), true
		}),
		{Name: "proc.fdusage", Type: event.PTDouble, Desc: "open fds of the process as a percentage of its fd limit",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
				t := c.Thread()
				if t == nil {
					return d, false
				}
				return appendDouble(d, fdUsage(t)), true
			},
			Num: func(c *Context, _ *Arg) (int64, bool) {
				t := c.Thread()
				if t == nil {
					return 0, false
				}
				return int64(fdUsage(t)), true
			}},
		threadNum("proc.vmsize", event.PTUint64, "virtual memory of the process, in KiB", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.VMSize), true
		}),
		threadNum("proc.vmrss", event.PTUint64, "resident memory of the process, in KiB", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.VMRSS), true
		}),
		threadNum("proc.vmswap", event.PTUint64, "swapped-out memory of the process, in KiB", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.VMSwap), true
		}),
		threadNum("thread.vmsize", event.PTUint64, "proc.vmsize for a main thread, 0 for other threads", func(_ *Context, t *state.Thread) (int64, bool) {
			return mainOnly(t, t.VMSize), true
		}),
		threadNum("thread.vmrss", event.PTUint64, "proc.vmrss for a main thread, 0 for other threads", func(_ *Context, t *state.Thread) (int64, bool) {
			return mainOnly(t, t.VMRSS), true
		}),
		threadNum("thread.pfmajor", event.PTUint64, "major page faults of the thread since it started", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.PFMajor), true
		}),
		threadNum("thread.pfminor", event.PTUint64, "minor page faults of the thread since it started", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.PFMinor), true
		}),
		threadStr("thread.cgroups", "the thread's cgroups, as subsystem=path separated by spaces", func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return appendCgroups(d, t.Cgroups)
		}),
		{Name: "thread.cgroup", Type: event.PTCharBuf, Arg: ArgRequired, CheckArg: cgroupArg,
			Desc: "the thread's cgroup in one subsystem, as in thread.cgroup.cpuacct",
			Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
				t := c.Thread()
				if t == nil || a == nil {
					return d, false
				}
				v, ok := cgroupOf(t.Cgroups, a.Text)
				return append(d, v...), ok
			}},
	}
}

func mainOnly(t *state.Thread, v uint32) int64 {
	if !t.IsMain() {
		return 0
	}
	return int64(v)
}

func fdCount(t *state.Thread) int {
	if f := t.FDs(); f != nil {
		return f.Len()
	}
	return 0
}

func fdUsage(t *state.Thread) float64 {
	lim := int64(t.FDLimit)
	if lim <= 0 {
		return 0
	}
	return float64(fdCount(t)) * 100 / float64(lim)
}

// eachCgroup calls fn with the subsystem and path of each entry of a list
// of subsystem=path, with the subsystem named as sysdig names it (io is
// blkio, mem is memory, perf is perf_event, a _cgroup suffix dropped). A
// list with an entry that is not subsystem=path counts as empty.
func eachCgroup(l []byte, fn func(sub, path []byte) bool) {
	for rest := l; len(rest) > 0; {
		e := rest
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			e, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if bytes.LastIndexByte(e, '=') < 0 {
			return
		}
	}
	for len(l) > 0 {
		e := l
		if i := bytes.IndexByte(l, 0); i >= 0 {
			e, l = l[:i], l[i+1:]
		} else {
			l = nil
		}
		sep := bytes.LastIndexByte(e, '=')
		if !fn(cgroupSubsys(e[:sep]), e[sep+1:]) {
			return
		}
	}
}

func cgroupSubsys(sub []byte) []byte {
	if i := bytes.Index(sub, []byte("_cgroup")); i >= 0 {
		return sub[:i] // the entries are short: the suffix ends the name
	}
	switch string(sub) {
	case "perf":
		return []byte("perf_event")
	case "mem":
		return []byte("memory")
	case "io":
		return []byte("blkio")
	}
	return sub
}

// appendCgroups appends the thread's cgroups as subsystem=path separated
// by spaces; no value when it has none.
func appendCgroups(d []byte, l []byte) ([]byte, bool) {
	start := len(d)
	eachCgroup(l, func(sub, path []byte) bool {
		if len(d) > start {
			d = append(d, ' ')
		}
		d = append(append(append(d, sub...), '='), path...)
		return true
	})
	return d, len(d) > start
}

// cgroupOf returns the path of subsystem sub in a list of subsystem=path.
func cgroupOf(l []byte, sub string) (out []byte, found bool) {
	eachCgroup(l, func(s, path []byte) bool {
		if string(s) == sub {
			out, found = path, true
			return false
		}
		return true
	})
	return out, found
}

// capNames are the Linux capabilities by bit number.
var capNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// appendCaps appends the names of the capabilities set in caps, separated
// by spaces; bits without a name are left out.
func appendCaps(d []byte, caps uint64) []byte {
	first := true
	for i, n := range capNames {
		if caps&(1<<i) == 0 {
			continue
		}
		if !first {
			d = append(d, ' ')
		}
		d, first = append(d, n...), false
	}
	return d
}

func capFields() []Def {
	capField := func(name, desc string, v func(t *state.Thread) uint64) Def {
		return threadStr(name, desc, func(d []byte, _ *Context, t *state.Thread) ([]byte, bool) {
			return appendCaps(d, v(t)), true
		})
	}
	return []Def{
		capField("thread.cap_permitted", "the thread's permitted capabilities, by name", func(t *state.Thread) uint64 { return t.CapPermitted }),
		capField("thread.cap_inheritable", "the thread's inheritable capabilities, by name", func(t *state.Thread) uint64 { return t.CapInheritable }),
		capField("thread.cap_effective", "the thread's effective capabilities, by name", func(t *state.Thread) uint64 { return t.CapEffective }),
	}
}
