//go:build linux && amd64

package ebpf_test

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/event"
)

// argsSnaplen is the snaplen of TestProbeArgs: the data parameters hold
// the first argsSnaplen bytes of what was read or written.
const argsSnaplen = 8

// decoded is a captured event with its parameters as text.
type decoded struct {
	name string
	tid  int64
	args map[string]string
}

// paramText renders a parameter for comparison: numbers in decimal
// (signed for the signed types), strings and buffers as they are,
// addresses as "ip:port" ("[ip6]:port") or the unix path, tuples as
// "ip:port->ip:port" or, for unix sockets, "srcid->dstid path" in hex.
func paramText(p event.Param, pi event.ParamInfo) string {
	switch event.TypeName(pi.Type) {
	case "CHARBUF", "FSPATH", "FSRELPATH":
		return p.Str()
	case "BYTEBUF", "CHARBUFARRAY":
		return string(p.Raw)
	case "SOCKADDR":
		_, ip, port, path, ok := p.SockAddr()
		if !ok {
			return ""
		}
		if !ip.IsValid() {
			return string(path)
		}
		return netip.AddrPortFrom(ip, port).String()
	case "SOCKTUPLE":
		t, ok := p.SockTuple()
		if !ok {
			return ""
		}
		if t.Family == event.AFUnix {
			return fmt.Sprintf("%x->%x %s", t.SrcID, t.DstID, t.Path)
		}
		return netip.AddrPortFrom(t.SrcIP, t.SrcPort).String() + "->" + netip.AddrPortFrom(t.DstIP, t.DstPort).String()
	case "INT8", "INT16", "INT32", "INT64", "ERRNO", "FD", "PID":
		return strconv.FormatInt(p.Int(), 10)
	}
	return strconv.FormatUint(p.Uint(), 10)
}

// workloadEvents decodes the events of the workload's threads: its main
// thread and every thread whose clone event names it as the process.
func workloadEvents(t *testing.T, recs []record, pid int) []decoded {
	t.Helper()
	var ev event.Event
	tids := map[int64]bool{int64(pid): true}
	var out []decoded
	for _, r := range recs {
		if err := ev.Reset(r.raw); err != nil {
			t.Fatal(err)
		}
		d := decoded{name: ev.Name(), tid: ev.TID(), args: map[string]string{}}
		for i, pi := range ev.Info().Params {
			d.args[pi.Name] = paramText(ev.Param(i), pi)
		}
		// Threads come from clone, or clone3 where glibc makes them
		// (a race-enabled test binary).
		if (d.name == "clone" || d.name == "clone3") && d.args["res"] == "0" && d.args["pid"] == strconv.Itoa(pid) {
			tids[ev.TID()] = true
		}
		out = append(out, d)
	}
	var mine []decoded
	for _, d := range out {
		if tids[d.tid] {
			mine = append(mine, d)
		}
	}
	return mine
}

// expect is an event the workload must have produced: its name and the
// values of some of its parameters.
type expect struct {
	name string
	args map[string]string
}

func (w expect) match(d decoded) bool {
	if d.name != w.name {
		return false
	}
	for k, v := range w.args {
		if d.args[k] != v {
			return false
		}
	}
	return true
}

func itoa[T int | int64 | uint64](v T) string { return fmt.Sprint(v) }

func argsExpected(in ebpftest.Info) []expect {
	return append(append(fileIOExpected(in), netExpected(in)...), privExpected(in)...)
}

func fileIOExpected(in ebpftest.Info) []expect {
	fs, io, sy := in.FS, in.IO, in.Sys
	snap := func(s string) string { return s[:min(len(s), argsSnaplen)] }
	tuple := fmt.Sprintf("127.0.0.1:%d->127.0.0.1:%d", io.ClientPort, io.UDPPort)
	ids := map[string]string{"uid": itoa(ebpftest.ChownUID), "gid": itoa(ebpftest.ChownGID)}
	with := func(m map[string]string, more map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	mode := itoa(ebpftest.DirMode)
	return []expect{
		{"mkdir", map[string]string{"res": "0", "path": fs.Dir, "mode": mode}},
		{"mkdirat", map[string]string{"res": "0", "dirfd": "-100", "path": fs.DirAt, "mode": mode}},
		{"rmdir", map[string]string{"res": "0", "path": fs.Dir}},
		{"rmdir", map[string]string{"res": "0", "path": fs.DirAt}},
		{"symlink", map[string]string{"res": "0", "target": fs.Target, "linkpath": fs.Symlink}},
		{"symlinkat", map[string]string{"res": "0", "target": fs.Target, "linkdirfd": "-100", "linkpath": fs.SymlinkAt}},
		{"link", map[string]string{"res": "0", "oldpath": fs.Target, "newpath": fs.Link}},
		{"linkat", map[string]string{"res": "0", "olddir": "-100", "oldpath": fs.Target, "newdir": "-100", "newpath": fs.LinkAt, "flags": "1024"}},
		{"chown", with(ids, map[string]string{"res": "0", "path": fs.Target})},
		{"lchown", with(ids, map[string]string{"res": "0", "path": fs.Symlink})},
		{"fchownat", with(ids, map[string]string{"res": "0", "dirfd": "-100", "pathname": fs.SymlinkAt, "flags": "1024"})},
		{"fchown", with(ids, map[string]string{"res": "0", "fd": itoa(fs.ChownFD)})},
		{"mount", map[string]string{"res": "0", "dev": ebpftest.TmpfsDev, "dir": fs.Mount, "type": ebpftest.TmpfsType, "flags": "6"}},
		{"umount2", map[string]string{"res": "0", "name": fs.Mount, "flags": "0"}},
		{"write", map[string]string{"res": itoa(len(ebpftest.WriteData)), "data": snap(ebpftest.WriteData), "fd": itoa(io.DataFD), "size": itoa(len(ebpftest.WriteData))}},
		{"pwrite", map[string]string{"res": itoa(len(ebpftest.PwriteData)), "data": snap(ebpftest.PwriteData), "fd": itoa(io.DataFD), "size": itoa(len(ebpftest.PwriteData)), "pos": itoa(ebpftest.PwritePos)}},
		{"pread", map[string]string{"res": itoa(io.ReadBuf), "data": snap(ebpftest.WriteData), "fd": itoa(io.DataFD), "size": itoa(io.ReadBuf), "pos": "0"}},
		{"read", map[string]string{"res": itoa(io.ReadBuf), "data": snap(ebpftest.WriteData), "fd": itoa(io.DataFD), "size": itoa(io.ReadBuf)}},
		{"pipe2", map[string]string{"res": "0", "fd1": itoa(io.Pipe[0]), "fd2": itoa(io.Pipe[1]), "flags": "4096"}},
		{"pipe", map[string]string{"res": "0", "fd1": itoa(io.PlainPipe[0]), "fd2": itoa(io.PlainPipe[1]), "ino": itoa(io.PlainPipeIno)}},
		{"sendto", map[string]string{"res": itoa(len(ebpftest.UDPData)), "data": snap(ebpftest.UDPData), "fd": itoa(io.UDPClient), "size": itoa(len(ebpftest.UDPData)), "tuple": tuple}},
		{"recvfrom", map[string]string{"res": itoa(len(ebpftest.UDPData)), "data": snap(ebpftest.UDPData), "fd": itoa(io.RecvFD), "size": "64", "tuple": tuple}},
		{"sendmsg", map[string]string{"res": itoa(len(ebpftest.MsgData)), "data": snap(ebpftest.MsgData), "fd": itoa(io.UDPClient), "size": itoa(len(ebpftest.MsgData)), "tuple": tuple}},
		{"recvmsg", map[string]string{"res": itoa(len(ebpftest.MsgData)), "size": itoa(len(ebpftest.MsgData)), "data": snap(ebpftest.MsgData), "fd": itoa(io.RecvFD), "tuple": tuple, "msgcontrol": ""}},
		{"mmap", map[string]string{"res": itoa(sy.MmapAddr), "addr": "0", "length": itoa(ebpftest.MmapLen), "prot": "3", "flags": "10", "fd": "-1", "offset": "0"}},
		{"mprotect", map[string]string{"res": "0", "addr": itoa(sy.MmapAddr), "length": itoa(ebpftest.MmapLen), "prot": "1"}},
		{"munmap", map[string]string{"res": "0", "addr": itoa(sy.MmapAddr), "length": itoa(ebpftest.MmapLen)}},
		{"fcntl", map[string]string{"res": itoa(sy.DupFD), "fd": "0", "cmd": "1", "arg": itoa(ebpftest.DupMin)}},
		{"prctl", map[string]string{"res": "0", "option": "15", "arg2_str": ebpftest.ThreadName, "arg2_int": "0"}},
		{"unshare", map[string]string{"res": "0", "flags": "128"}},
		{"chroot", map[string]string{"res": "-2", "path": ebpftest.BadChroot}},
		{"delete_module", map[string]string{"res": itoa(sy.ModuleRes), "name": ebpftest.BadModule, "flags": "2"}},
		{"bpf", map[string]string{"fd": "-22", "cmd": itoa(ebpftest.BadBPFCmd)}},
		{"userfaultfd", map[string]string{"res": itoa(sy.UffdRes), "flags": "4096"}},
		{"io_uring_setup", map[string]string{"res": itoa(sy.UringRes), "entries": itoa(ebpftest.IOUringDepth)}},
		{"chdir", map[string]string{"res": "0", "path": fs.Chdir}},
		{"fchdir", map[string]string{"res": "0", "fd": itoa(fs.FchdirFD)}},
		{"setsid", map[string]string{"res": itoa(sy.SetsidRes)}},
		{"setpgid", map[string]string{"res": itoa(sy.PgidRes), "pid": "0", "pgid": "0"}},
	}
}

// TestProbeArgs checks the arguments of the workload's file-system, I/O,
// memory and system calls, with a snaplen of argsSnaplen bytes.
func TestProbeArgs(t *testing.T) {
	recs, in, st := captureAll(t, ebpf.Options{Snaplen: argsSnaplen})
	if st.Dropped() > 0 {
		t.Logf("events lost (a missing event below may be one of them): %+v", st)
	}
	evs := workloadEvents(t, recs, in.PID)
	for _, w := range argsExpected(in) {
		found := false
		var same []string
		for _, d := range evs {
			if w.match(d) {
				found = true
				break
			}
			if d.name == w.name {
				same = append(same, fmt.Sprint(d.args))
			}
		}
		if !found && unhooked(w.name) {
			continue
		}
		if !found {
			t.Errorf("no %s event with %v; the workload's %s events:\n%s", w.name, w.args, w.name, strings.Join(same, "\n"))
		}
	}
	checkUnixTuples(t, evs, in.Net)
	checkForkClone(t, evs, in)
	t.Logf("privileged calls: %+v", in.Priv)
	for _, d := range evs {
		if (d.name == "prctl" || d.name == "unshare") && d.args["res"] == "0" && d.tid != int64(in.Sys.ThreadTID) {
			t.Errorf("%s on thread %d, the workload did it on %d", d.name, d.tid, in.Sys.ThreadTID)
		}
	}
	checkProcessArgs(t, evs, in)
}

// checkProcessArgs checks the cgroups, memory and namespace parameters of
// the workload's clone and execve events against /proc.
func checkProcessArgs(t *testing.T, evs []decoded, in ebpftest.Info) {
	wantCg, err := procCgroups()
	if err != nil {
		t.Fatal(err)
	}
	initStart, err := initStartTicks()
	if err != nil {
		t.Fatal(err)
	}
	inPidns := childPidns()
	var execs, clones int
	rss := false
	for _, d := range evs {
		switch {
		case d.name == "munmap" || d.name == "mmap":
			// The kernel's rss counters are per-CPU; their shared part,
			// which /proc shows too, is non-zero for a Go process.
			rss = rss || d.args["vm_rss"] != "0"

		case d.name == "execve" && d.args["res"] == "0":
			execs++
			if f, _ := strconv.Atoi(d.args["flags"]); f&1 == 0 {
				t.Errorf("execve of %s by root: flags %d without EXE_WRITABLE", d.args["exe"], f)
			}
			checkCgroups(t, "execve", d.args["cgroups"], wantCg)
		case d.name == "clone" && d.args["res"] == "0":
			clones++
			checkCgroups(t, "clone", d.args["cgroups"], wantCg)
			ts, _ := strconv.ParseUint(d.args["pidns_init_start_ts"], 10, 64)
			if ticks := ts / 1e7; ticks+1 < initStart || ticks > initStart+1 {
				t.Errorf("clone of %d: pidns_init_start_ts %d ns, the init process started at %d ticks", d.tid, ts, initStart)
			}
			f, _ := strconv.Atoi(d.args["flags"])
			if got := f&0x20000000 != 0; got != inPidns {
				t.Errorf("clone of %d: CLONE_CHILD_IN_PIDNS %v, want %v", d.tid, got, inPidns)
			}
		}
	}
	if !rss {
		t.Error("vm_rss 0 in every mmap and munmap event of the workload")
	}
	if execs == 0 || clones == 0 {
		t.Errorf("%d execve and %d clone events of the workload", execs, clones)
	}
}

// procCgroups maps the controllers the probe reports to this process's
// cgroup paths (which the workload, its child, shares).
func procCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	v1 := map[string]string{}
	unified := ""
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[1] == "" {
			unified = f[2]
		}
		for _, c := range strings.Split(f[1], ",") {
			v1[c] = f[2]
		}
	}
	want := map[string]string{}
	for _, c := range []string{"cpuset", "cpu", "cpuacct", "io", "memory"} {
		legacy := c
		if c == "io" {
			legacy = "blkio"
		}
		if p, ok := v1[legacy]; ok {
			want[c] = p
		} else {
			want[c] = unified
		}
	}
	return want, nil
}

func checkCgroups(t *testing.T, what, got string, want map[string]string) {
	t.Helper()
	if got == "" {
		t.Errorf("%s: no cgroups", what)
		return
	}
	for _, e := range strings.Split(strings.TrimSuffix(got, "\x00"), "\x00") {
		k, v, _ := strings.Cut(e, "=")
		if w, ok := want[k]; !ok || w != v {
			t.Errorf("%s: cgroup %s=%s, /proc/self/cgroup says %q", what, k, v, w)
		}
	}
}

// initStartTicks is the start time of process 1 in clock ticks.
func initStartTicks() (uint64, error) {
	b, err := os.ReadFile("/proc/1/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	return strconv.ParseUint(f[19], 10, 64)
}

// childPidns reports whether this process is in a pid namespace below the
// initial one.
func childPidns() bool {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "NSpid:") {
			return len(strings.Fields(l)) > 2
		}
	}
	return false
}
