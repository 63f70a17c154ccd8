package state

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"syscall"

	"github.com/kestrel-sec/kestrel/scap"
)

// procInfo is what the threads of a process share, read once per process.
type procInfo struct {
	exe      string // argv[0]
	exePath  string
	args     []byte
	env      []byte
	cwd      string
	root     string
	cgroups  []byte
	loginUID uint32
	fdLimit  uint64
	pidnsTS  uint64

	exeStat    syscall.Stat_t
	hasExeStat bool
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture.
const clockTicks = 100

// pfKthread is the kernel-thread bit of the flags in /proc/PID/stat.
const pfKthread = 0x00200000

// readProcess reads the process-wide files of process pid. It reports
// false when the process is gone.
func (r *procReader) readProcess(p *procInfo, base string, pid int64) bool {
	if b, err := r.read(base+"/cmdline", r.opts.MaxArgs); err == nil {
		exe, args, _ := bytes.Cut(b, []byte{0})
		p.exe = string(exe)
		p.args = nulTerminated(args)
	} else if err == syscall.ENOENT || err == syscall.ESRCH {
		return false
	}
	if b, err := r.read(base+"/environ", r.opts.MaxEnv); err == nil {
		p.env = nulTerminated(b)
	}
	p.exePath = r.readlink(base + "/exe")
	p.cwd = r.readlink(base + "/cwd")
	p.root = r.readlink(base + "/root")
	p.cgroups = r.cgroups(base)
	p.loginUID = noUID
	if b, err := r.read(base+"/loginuid", 32); err == nil {
		if v, ok := parseUint(bytes.TrimSpace(b), 10); ok {
			p.loginUID = uint32(v)
		}
	}
	p.fdLimit = r.fdLimit(base)
	p.pidnsTS = r.pidnsInitTS(base)
	p.hasExeStat = syscall.Stat(base+"/exe", &p.exeStat) == nil
	return true
}

// readThread fills t with thread tid of process pid. It reports false when
// the thread is gone (or is a kernel thread the options leave out).
func (r *procReader) readThread(t *scap.Thread, p *procInfo, base string, pid, tid int64) bool {
	dir := base + "/task/" + itoa(tid)
	*t = scap.Thread{TID: tid, PID: pid, PTID: -1, SID: -1, VPGID: -1, PGID: -1, VTID: tid, VPID: pid, LoginUID: p.loginUID}
	status, err := r.read(dir+"/status", 0)
	if err != nil {
		return false
	}
	r.fromStatus(t, status)
	stat, err := r.read(dir+"/stat", 0)
	if err != nil {
		return false
	}
	if kthread := r.fromStat(t, stat); kthread && r.opts.SkipKernelThreads {
		return false
	}
	if b, err := r.read(dir+"/comm", 64); err == nil {
		t.Comm = string(bytes.TrimSuffix(b, []byte{'\n'}))
	}
	t.Exe, t.ExePath, t.Args, t.Env = p.exe, p.exePath, p.args, p.env
	t.Cwd, t.Root, t.Cgroups, t.FDLimit = p.cwd, p.root, p.cgroups, p.fdLimit
	t.PidnsInitStartTS = p.pidnsTS
	if tid != pid {
		t.Flags = cloneThread | cloneFiles
	}
	r.exeFlags(t, p)
	return true
}

// fromStatus sets what /proc/PID/task/TID/status says: ids (effective
// uid and gid, namespace ids), memory sizes and capabilities.
func (r *procReader) fromStatus(t *scap.Thread, b []byte) {
	if v, ok := field(b, "PPid"); ok {
		if n, ok := parseUint(v, 10); ok {
			t.PTID = int64(n)
		}
	}
	if v, ok := field(b, "Uid"); ok {
		if w := words(v); len(w) > 1 {
			n, _ := parseUint(w[1], 10)
			t.UID = uint32(n)
		}
	}
	if v, ok := field(b, "Gid"); ok {
		if w := words(v); len(w) > 1 {
			n, _ := parseUint(w[1], 10)
			t.GID = uint32(n)
		}
	}
	// The NS* lines list the id in each pid namespace, outermost first:
	// the last is the one the thread sees.
	if v, ok := field(b, "NSpid"); ok {
		t.VTID, _ = lastWord(v)
	}
	if v, ok := field(b, "NStgid"); ok {
		t.VPID, _ = lastWord(v)
	}
	if v, ok := field(b, "NSpgid"); ok {
		t.VPGID, _ = lastWord(v)
	}
	t.VMSize = kib(b, "VmSize")
	t.VMRSS = kib(b, "VmRSS")
	t.VMSwap = kib(b, "VmSwap")
	inh, ok1 := field(b, "CapInh")
	prm, ok2 := field(b, "CapPrm")
	eff, ok3 := field(b, "CapEff")
	if ok1 && ok2 && ok3 {
		t.HasCaps = true
		t.CapInheritable, _ = parseUint(inh, 16)
		t.CapPermitted, _ = parseUint(prm, 16)
		t.CapEffective, _ = parseUint(eff, 16)
	}
}

// kib returns the value of a "Key:   123 kB" status line.
func kib(b []byte, key string) uint32 {
	v, ok := field(b, key)
	if !ok {
		return 0
	}
	w := words(v)
	if len(w) == 0 {
		return 0
	}
	n, _ := parseUint(w[0], 10)
	return uint32(n)
}

// fromStat sets what /proc/PID/task/TID/stat says: process group and
// session (host ids), terminal, page faults and start time. It reports
// whether the thread is a kernel thread.
func (r *procReader) fromStat(t *scap.Thread, b []byte) bool {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return false
	}
	// Fields from the third (state) on; index k is field k+3 of proc(5).
	f := words(b[i+1:])
	num := func(k int) uint64 {
		if k >= len(f) {
			return 0
		}
		v, _ := parseUint(f[k], 10)
		return v
	}
	if len(f) > 2 {
		t.PGID = int64(num(2))
		if t.VPGID < 0 {
			t.VPGID = t.PGID
		}
		t.SID = int64(num(3))
	}
	t.TTY = uint32(num(4))
	t.PFMinor = num(7)
	t.PFMajor = num(9)
	if start := num(19); start > 0 && r.bootNS > 0 {
		t.CloneTS = r.bootNS + start*(1e9/clockTicks)
	}
	return num(6)&pfKthread != 0
}

// exeFlags sets the executable's inode, times and flags. Writability is
// judged from the mode bits and owner, without trying access as the
// process's user: owner, root, or a group or other write bit that applies.
func (r *procReader) exeFlags(t *scap.Thread, p *procInfo) {
	t.ExeFromMemfd = strings.HasPrefix(p.exePath, "/memfd:")
	if !p.hasExeStat {
		return
	}
	st := &p.exeStat
	t.ExeIno = st.Ino
	t.ExeInoCtime = uint64(st.Ctim.Nano())
	t.ExeInoMtime = uint64(st.Mtim.Nano())
	switch {
	case st.Uid == t.UID, t.UID == 0:
		t.ExeWritable = true
	case st.Gid == t.GID && st.Mode&0o020 != 0:
		t.ExeWritable = true
	case st.Mode&0o002 != 0:
		t.ExeWritable = true
	}
}

// cgroups returns the process's cgroups as "controller=path" entries, one
// per controller of each hierarchy of /proc/PID/cgroup ("name=systemd=/…"
// for named hierarchies). The unified (v2) hierarchy lists no
// controllers: on a host with v1 hierarchies (hybrid) it gives no entry;
// on a pure v2 host, where it is the only one, its path is given for the
// controllers the probe reports (v2Controllers), as the probe's events
// will.
func (r *procReader) cgroups(base string) []byte {
	b, err := r.read(base+"/cgroup", 0)
	if err != nil {
		return nil
	}
	var out, unified []byte
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		hier, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		ctrls, path, ok := bytes.Cut(rest, []byte{':'})
		if !ok {
			continue
		}
		if len(ctrls) == 0 {
			if string(hier) == "0" {
				unified = path
			}
			continue
		}
		for _, c := range bytes.Split(ctrls, []byte{','}) {
			out = appendCgroup(out, c, path)
		}
	}
	if out == nil && unified != nil {
		for _, c := range v2Controllers {
			out = appendCgroup(out, []byte(c), unified)
		}
	}
	return out
}

// v2Controllers are the controllers whose cgroups the probe reports with
// clone and execve events.
var v2Controllers = [...]string{"cpuset", "cpu", "cpuacct", "io", "memory"}

func appendCgroup(dst, ctrl, path []byte) []byte {
	dst = append(dst, ctrl...)
	dst = append(dst, '=')
	dst = append(dst, path...)
	return append(dst, 0)
}

// fdLimit returns the soft limit of open files from /proc/PID/limits.
func (r *procReader) fdLimit(base string) uint64 {
	b, err := r.read(base+"/limits", 0)
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("Max open files"))
		if !ok {
			continue
		}
		w := words(rest)
		if len(w) == 0 {
			return 0
		}
		if string(w[0]) == "unlimited" {
			return math.MaxUint64
		}
		v, _ := parseUint(w[0], 10)
		return v
	}
	return 0
}

// pidnsInitTS returns the start time of the init of the process's pid
// namespace: the ctime of /proc/1/cmdline as the process sees it, cached
// by namespace.
func (r *procReader) pidnsInitTS(base string) uint64 {
	ns := r.readlink(base + "/ns/pid")
	if v, ok := r.pidns[ns]; ok && ns != "" {
		return v
	}
	var st syscall.Stat_t
	var v uint64
	if syscall.Stat(base+"/root/proc/1/cmdline", &st) == nil {
		v = uint64(st.Ctim.Nano())
	}
	if ns != "" {
		r.pidns[ns] = v
	}
	return v
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
