package state

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

// liveFixture is what the test process sets up before a snapshot: a file,
// a listening TCP socket with a connection to it (both ends), a unix socket
// pair and a child process.
type liveFixture struct {
	path                      string
	file, lis, client, server int
	lport, cport              uint16
	pair                      [2]int
	pairIno                   [2]uint64
	fileIno                   uint64
	child                     *exec.Cmd
	childStart, childStarted  time.Time
}

func rawFD(t *testing.T, c syscall.Conn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		t.Fatal(err)
	}
	return fd
}

func fstatIno(t *testing.T, fd int) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func setupLive(t *testing.T) *liveFixture {
	t.Helper()
	fx := &liveFixture{}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fx.path = filepath.Join(dir, "snapshot.txt")
	f, err := os.Create(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fx.file = int(f.Fd())
	fx.fileIno = fstatIno(t, fx.file)

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	cl, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	srv, ok := <-accepted
	if !ok {
		t.Fatal("no accepted connection")
	}
	t.Cleanup(func() { srv.Close() })
	fx.lis = rawFD(t, ln.(*net.TCPListener))
	fx.client = rawFD(t, cl.(*net.TCPConn))
	fx.server = rawFD(t, srv.(*net.TCPConn))
	fx.lport = uint16(ln.Addr().(*net.TCPAddr).Port)
	fx.cport = uint16(cl.LocalAddr().(*net.TCPAddr).Port)

	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(pair[0]); syscall.Close(pair[1]) })
	fx.pair = pair
	fx.pairIno = [2]uint64{fstatIno(t, pair[0]), fstatIno(t, pair[1])}

	fx.child = exec.Command("sleep", "30")
	fx.childStart = time.Now()
	if err := fx.child.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	fx.childStarted = time.Now()
	t.Cleanup(func() { fx.child.Process.Kill(); fx.child.Wait() })
	return fx
}

func findThread(sec *scap.Section, tid int64) *scap.Thread {
	for i := range sec.Threads {
		if sec.Threads[i].TID == tid {
			return &sec.Threads[i]
		}
	}
	return nil
}

func findFD(sec *scap.Section, tid int64, fd int) *scap.FD {
	for i := range sec.FDs {
		if sec.FDs[i].TID != tid {
			continue
		}
		for j := range sec.FDs[i].FDs {
			if sec.FDs[i].FDs[j].FD == int64(fd) {
				return &sec.FDs[i].FDs[j]
			}
		}
	}
	return nil
}

// taskIDsOf lists /proc/PID/task with the os package, a second way.
func taskIDsOf(t *testing.T, pid int) map[int64]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, e := range ents {
		n, _ := strconv.ParseInt(e.Name(), 10, 64)
		out[n] = true
	}
	return out
}

func statusLine(t *testing.T, pid int, key string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestSnapshotLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no procfs")
	}
	fx := setupLive(t)
	before := taskIDsOf(t, os.Getpid())
	sec, err := Snapshot("/proc", "/etc", SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after := taskIDsOf(t, os.Getpid())
	t.Run("self", func(t *testing.T) { checkSelf(t, sec, before, after) })
	t.Run("child", func(t *testing.T) { checkChild(t, sec, fx) })
	t.Run("fds", func(t *testing.T) { checkFDs(t, sec, fx) })
	t.Run("model", func(t *testing.T) { checkModel(t, sec, fx) })
	t.Run("host", func(t *testing.T) { checkHost(t, sec) })
}

func checkSelf(t *testing.T, sec *scap.Section, before, after map[int64]bool) {
	pid := int64(os.Getpid())
	th := findThread(sec, pid)
	if th == nil {
		t.Fatalf("own process %d not in the snapshot", pid)
	}
	exe, _ := os.Executable()
	cwd, _ := os.Getwd()
	comm := filepath.Base(os.Args[0])
	if len(comm) > 15 {
		comm = comm[:15]
	}
	var args []byte
	for _, a := range os.Args[1:] {
		args = append(append(args, a...), 0)
	}
	sid, _, _ := syscall.RawSyscall(syscall.SYS_GETSID, 0, 0, 0)
	pgid, _ := syscall.Getpgid(0)
	checks := []struct {
		name      string
		got, want any
	}{
		{"comm", th.Comm, comm},
		{"exe", th.Exe, os.Args[0]},
		{"exepath", th.ExePath, exe},
		{"args", string(th.Args), string(args)},
		{"cwd", th.Cwd, cwd},
		{"root", th.Root, "/"},
		{"pid", th.PID, pid},
		{"ptid", th.PTID, int64(os.Getppid())},
		{"uid", th.UID, uint32(os.Geteuid())},
		{"gid", th.GID, uint32(os.Getegid())},
		{"sid", th.SID, int64(sid)},
		{"pgid", th.PGID, int64(pgid)},
		{"flags", th.Flags, uint32(0)},
		{"env has PATH", bytes.Contains(th.Env, []byte("\x00PATH=")) || bytes.HasPrefix(th.Env, []byte("PATH=")), os.Getenv("PATH") != ""},
		{"caps", strconv.FormatUint(th.CapEffective, 16), strings.TrimLeft(statusLine(t, int(pid), "CapEff"), "0")},
		{"vmsize>0", th.VMSize > 0, true},
	}
	if b, err := os.ReadFile("/proc/self/loginuid"); err == nil {
		v, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		checks = append(checks, struct {
			name      string
			got, want any
		}{"loginuid", th.LoginUID, uint32(v)})
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	var st syscall.Stat_t
	if syscall.Stat(exe, &st) == nil && th.ExeIno != st.Ino {
		t.Errorf("exe ino %d, want %d", th.ExeIno, st.Ino)
	}
	for tid := range before {
		if !after[tid] {
			continue // exited meanwhile
		}
		tt := findThread(sec, tid)
		switch {
		case tt == nil:
			t.Errorf("thread %d of the test process missing", tid)
		case tt.PID != pid:
			t.Errorf("thread %d: pid %d, want %d", tid, tt.PID, pid)
		case tid != pid && tt.Flags != cloneThread|cloneFiles:
			t.Errorf("thread %d: flags %#x, want %#x", tid, tt.Flags, cloneThread|cloneFiles)
		}
	}
}

func checkChild(t *testing.T, sec *scap.Section, fx *liveFixture) {
	cpid := int64(fx.child.Process.Pid)
	c := findThread(sec, cpid)
	if c == nil {
		t.Fatalf("child %d not in the snapshot", cpid)
	}
	path, _ := exec.LookPath("sleep")
	path, _ = filepath.EvalSymlinks(path)
	if c.Comm != "sleep" || c.Exe != "sleep" || string(c.Args) != "30\x00" || c.ExePath != path {
		t.Errorf("child: comm %q exe %q args %q exepath %q, want sleep, sleep, \"30\\x00\", %q", c.Comm, c.Exe, c.Args, c.ExePath, path)
	}
	if c.PID != cpid || c.PTID != int64(os.Getpid()) || c.VTID != cpid || c.VPID != cpid {
		t.Errorf("child ids: pid %d ptid %d vtid %d vpid %d", c.PID, c.PTID, c.VTID, c.VPID)
	}
	if pg, _ := syscall.Getpgid(int(cpid)); c.PGID != int64(pg) {
		t.Errorf("child pgid %d, want %d", c.PGID, pg)
	}
	// Start times have the 10 ms resolution of clock ticks, and the boot
	// time that of /proc/uptime.
	const slack = 30 * time.Millisecond
	ts := time.Unix(0, int64(c.CloneTS))
	if ts.Before(fx.childStart.Add(-slack)) || ts.After(fx.childStarted.Add(slack)) {
		t.Errorf("child clone time %v, started between %v and %v", ts, fx.childStart, fx.childStarted)
	}
}

func checkFDs(t *testing.T, sec *scap.Section, fx *liveFixture) {
	pid := int64(os.Getpid())
	lo := []byte{127, 0, 0, 1}
	f := findFD(sec, pid, fx.file)
	if f == nil {
		t.Fatalf("file fd %d missing", fx.file)
	}
	const ppmRdwrCloexec = ppmORdwr | 1<<12
	if f.Type != scap.FDFileV2 || f.Name != fx.path || f.Ino != fx.fileIno || f.OpenFlags&ppmRdwrCloexec != ppmRdwrCloexec {
		t.Errorf("file fd: %+v, want type %d name %s ino %d flags with %#x", *f, scap.FDFileV2, fx.path, fx.fileIno, ppmRdwrCloexec)
	}
	l := findFD(sec, pid, fx.lis)
	if l == nil || l.Type != scap.FDIPv4ServSock || !bytes.Equal(l.SrcIP, lo) || l.SrcPort != fx.lport || l.L4Proto != L4TCP {
		t.Errorf("listening fd: %+v, want 127.0.0.1:%d tcp server", l, fx.lport)
	}
	for _, c := range []struct {
		fd           int
		sport, dport uint16
	}{{fx.client, fx.cport, fx.lport}, {fx.server, fx.lport, fx.cport}} {
		s := findFD(sec, pid, c.fd)
		if s == nil || s.Type != scap.FDIPv4Sock || !bytes.Equal(s.SrcIP, lo) || !bytes.Equal(s.DstIP, lo) ||
			s.SrcPort != c.sport || s.DstPort != c.dport || s.L4Proto != L4TCP {
			t.Errorf("socket fd %d: %+v, want 127.0.0.1:%d->127.0.0.1:%d tcp", c.fd, s, c.sport, c.dport)
		}
	}
	for i, fd := range fx.pair {
		u := findFD(sec, pid, fd)
		if u == nil || u.Type != scap.FDUnixSock || u.Ino != fx.pairIno[i] || u.Name != "" {
			t.Errorf("unix fd %d: %+v, want unnamed unix socket ino %d", fd, u, fx.pairIno[i])
		}
	}
}

func checkModel(t *testing.T, sec *scap.Section, fx *liveFixture) {
	s := FromSection(sec)
	th := s.Thread(int64(os.Getpid()))
	if th == nil {
		t.Fatal("own process not in the model")
	}
	// Names and type characters (the protocol character depends on the
	// role the model gives sockets, which is not the snapshot's concern).
	lport, cport := strconv.Itoa(int(fx.lport)), strconv.Itoa(int(fx.cport))
	want := map[int]string{
		fx.file:   "f" + fx.path,
		fx.lis:    "4127.0.0.1:" + lport,
		fx.client: "4127.0.0.1:" + cport + "->127.0.0.1:" + lport,
		// The model turns an accepted connection of the initial state
		// into client->server order, as sysdig does.
		fx.server:  "4127.0.0.1:" + cport + "->127.0.0.1:" + lport,
		fx.pair[0]: "u",
	}
	for fd, w := range want {
		f := th.FDs().Get(int64(fd))
		if f == nil {
			t.Errorf("fd %d not in the model", fd)
			continue
		}
		if got := string(f.TypeChar()) + f.Name; got != w {
			t.Errorf("fd %d: %q, want %q", fd, got, w)
		}
	}
	if c := s.Thread(int64(fx.child.Process.Pid)); c == nil || c.Comm != "sleep" || c.CloneTS == 0 {
		t.Errorf("child in the model: %+v", c)
	}
	if n, ok := s.User(0); !ok || n != "root" {
		t.Errorf("user 0: %q %v", n, ok)
	}
	if n, ok := s.Group(0); !ok || n != "root" {
		t.Errorf("group 0: %q %v", n, ok)
	}
}

func checkHost(t *testing.T, sec *scap.Section) {
	m := sec.Machine
	host, _ := os.Hostname()
	if m == nil || m.Hostname != host || m.NumCPUs == 0 || m.MemoryBytes == 0 || m.MaxPID == 0 {
		t.Errorf("machine: %+v, want hostname %q and non-zero sizes", m, host)
	}
	boot := time.Unix(0, int64(m.BootTS))
	if d := time.Since(boot); d <= 0 || d > 10*365*24*time.Hour {
		t.Errorf("boot time %v", boot)
	}
}

// TestSnapshotTree reads a hand-made procfs tree: odd names, namespaces,
// a thread, and processes that vanish or lose files during the walk.
func TestSnapshotTree(t *testing.T) {
	root := t.TempDir()
	proc, etc := filepath.Join(root, "proc"), filepath.Join(root, "etc")
	files := map[string]string{
		"uptime":              "1000.50 1900.00\n",
		"stat":                "cpu  1 2 3\ncpu0 1 2 3\ncpu1 1 2 3\nintr 5\nbtime 1700000000\n",
		"meminfo":             "MemTotal:        2048 kB\nMemFree: 1 kB\n",
		"sys/kernel/pid_max":  "4194304\n",
		"sys/kernel/hostname": "tree\n",
		"100/cmdline":         "/bin/sh\x00-c\x00echo hi\x00",
		"100/loginuid":        "1000",
		"100/limits":          "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n",
		"100/cgroup":          "2:cpu,cpuacct:/user.slice\n1:name=systemd:/init.scope\n0::/user.slice\n",
		"100/task/100/comm":   "my (odd) sh\n",
		"100/task/100/status": "Name:\tsh\nPPid:\t1\nUid:\t1000\t1001\t1001\t1001\nGid:\t50\t51\t51\t51\nNStgid:\t100\t7\nNSpid:\t100\t7\nNSpgid:\t100\t7\nVmSize:\t   2048 kB\nVmRSS:\t  512 kB\nVmSwap:\t 0 kB\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000000400\n",
		"100/task/100/stat":   "100 (my (odd) sh) S 1 100 100 34816 100 4194560 11 0 3 0 0 0 0 0 20 0 2 0 250 1000 10\n",
		"100/task/101/comm":   "worker\n",
		"100/task/101/status": "PPid:\t1\nUid:\t1000\t1001\t1001\t1001\nGid:\t50\t51\t51\t51\nNStgid:\t100\t7\nNSpid:\t101\t8\n",
		"100/task/101/stat":   "101 (worker) S 1 100 100 0 100 4194368 0 0 0 0 0 0 0 0 20 0 2 0 260 1000 10\n",
		"100/task/102/comm":   "gone\n", // no status: exited during the walk
		"300/cmdline":         "",       // a kernel thread
		"300/task/300/comm":   "kworker/0:1\n",
		"300/task/300/status": "PPid:\t2\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
		"300/task/300/stat":   "300 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		"../etc/passwd":       "# comment\nroot:x:0:0:root:/root:/bin/bash\nbad line\nalice:x:1001:51:Alice:/home/alice:/bin/zsh\n",
		"../etc/group":        "root:x:0:\nstaff:x:51:alice\n",
	}
	for name, text := range files {
		p := filepath.Join(proc, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/tmp", filepath.Join(proc, "100/cwd")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(proc, "200"), 0o755) // vanished: nothing left in it
	os.MkdirAll(filepath.Join(proc, "self"), 0o755)

	for _, skip := range []bool{false, true} {
		sec, err := Snapshot(proc, etc, SnapshotOptions{SkipKernelThreads: skip})
		if err != nil {
			t.Fatal(err)
		}
		wantThreads := 3
		if skip {
			wantThreads = 2
		}
		if len(sec.Threads) != wantThreads {
			t.Fatalf("skip kernel threads %v: %d threads, want %d: %+v", skip, len(sec.Threads), wantThreads, sec.Threads)
		}
		checkTree(t, sec)
	}
	if _, err := Snapshot(filepath.Join(root, "nothing"), etc, SnapshotOptions{}); err == nil {
		t.Error("no error for a missing procfs")
	}
}

func checkTree(t *testing.T, sec *scap.Section) {
	m := sec.Machine
	if m.NumCPUs != 2 || m.MemoryBytes != 2048*1024 || m.MaxPID != 4194304 || m.Hostname != "tree" {
		t.Errorf("machine %+v", *m)
	}
	sh, w := findThread(sec, 100), findThread(sec, 101)
	if sh == nil || w == nil {
		t.Fatal("threads 100 and 101 missing")
	}
	want := scap.Thread{
		TID: 100, PID: 100, PTID: 1, SID: 100, VPGID: 7, PGID: 100, Comm: "my (odd) sh", Exe: "/bin/sh",
		Args: []byte("-c\x00echo hi\x00"), Cwd: "/tmp", FDLimit: 1024, UID: 1001, GID: 51, VMSize: 2048, VMRSS: 512,
		PFMajor: 3, PFMinor: 11, VTID: 7, VPID: 7, Cgroups: []byte("cpu=/user.slice\x00cpuacct=/user.slice\x00name=systemd=/init.scope\x00"),
		LoginUID: 1000, HasCaps: true, CapPermitted: 0x1ffffffffff, CapEffective: 0x400, TTY: 34816,
	}
	got := *sh
	got.CloneTS, got.PidnsInitStartTS = 0, 0
	if !sameThread(got, want) {
		t.Errorf("thread 100:\n got %+v\nwant %+v", got, want)
	}
	if sh.CloneTS-m.BootTS != 250*1e7 {
		t.Errorf("clone ts %d is not boot %d + 2.5 s", sh.CloneTS, m.BootTS)
	}
	if w.PID != 100 || w.VTID != 8 || w.VPID != 7 || w.Comm != "worker" || w.Flags != cloneThread|cloneFiles || w.HasCaps || w.Env != nil {
		t.Errorf("thread 101: %+v", *w)
	}
	if k := findThread(sec, 300); k != nil && (k.Comm != "kworker/0:1" || k.Exe != "" || k.ExePath != "") {
		t.Errorf("kernel thread: %+v", *k)
	}
	if len(sec.Users) != 2 || sec.Users[1] != (scap.User{UID: 1001, GID: 51, Name: "alice", Home: "/home/alice", Shell: "/bin/zsh"}) {
		t.Errorf("users %+v", sec.Users)
	}
	if len(sec.Groups) != 2 || sec.Groups[1] != (scap.Group{GID: 51, Name: "staff"}) {
		t.Errorf("groups %+v", sec.Groups)
	}
}

func sameThread(a, b scap.Thread) bool {
	if !bytes.Equal(a.Args, b.Args) || !bytes.Equal(a.Env, b.Env) || !bytes.Equal(a.Cgroups, b.Cgroups) {
		return false
	}
	a.Args, a.Env, a.Cgroups, b.Args, b.Env, b.Cgroups = nil, nil, nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// TestProcNetTables parses lines in the kernel's formats, with addresses
// as the kernel prints them on a little-endian machine.
func TestProcNetTables(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the sample lines are those of a little-endian machine")
	}
	tab := sockTable{}
	parseInet(tab, []byte("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n"+
		"   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0 20 4 30 10 -1\n"), L4TCP)
	parseInet(tab, []byte("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 113 2 0 0\n"+
		"   1: 0000000000000000FFFF00000A00000A:0050 0000000000000000FFFF00000B00000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 114 2 0 0\n"), L4UDP)
	parseUnix(tab, []byte("Num       RefCount Protocol Flags    Type St Inode Path\n"+
		"00000000a1b2c3d4: 00000002 00000000 00010000 0001 01 115 /run/x.sock\n"+
		"0000000000000000: 00000003 00000000 00000000 0001 03 116\n"))
	parseNetlink(tab, []byte("sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"+
		"00000000867d563c 0   0          00000000 0        0        0     2        0        117\n"))
	a := func(s string) []byte { return netip.MustParseAddr(s).AsSlice() }
	want := map[uint64]scap.FD{
		111: {Ino: 111, Type: scap.FDIPv4ServSock, L4Proto: L4TCP, SrcIP: a("127.0.0.1"), SrcPort: 8080},
		112: {Ino: 112, Type: scap.FDIPv4Sock, L4Proto: L4TCP, SrcIP: a("127.0.0.1"), SrcPort: 54321, DstIP: a("127.0.0.1"), DstPort: 8080},
		113: {Ino: 113, Type: scap.FDIPv6ServSock, L4Proto: L4UDP, SrcIP: a("::1"), SrcPort: 53},
		114: {Ino: 114, Type: scap.FDIPv6Sock, L4Proto: L4UDP, SrcIP: a("::ffff:10.0.0.10"), SrcPort: 80, DstIP: a("::ffff:10.0.0.11"), DstPort: 50000},
		115: {Ino: 115, Type: scap.FDUnixSock, SrcID: 0xa1b2c3d4, Name: "/run/x.sock"},
		116: {Ino: 116, Type: scap.FDUnixSock},
		117: {Ino: 117, Type: scap.FDNetlink},
	}
	if len(tab) != len(want) {
		t.Errorf("%d sockets, want %d", len(tab), len(want))
	}
	for ino, w := range want {
		g := tab[ino]
		if g.Type != w.Type || g.L4Proto != w.L4Proto || !bytes.Equal(g.SrcIP, w.SrcIP) || !bytes.Equal(g.DstIP, w.DstIP) ||
			g.SrcPort != w.SrcPort || g.DstPort != w.DstPort || g.SrcID != w.SrcID || g.Name != w.Name {
			t.Errorf("socket %d: %+v, want %+v", ino, g, w)
		}
	}
}

func TestOpenFlagsAndDev(t *testing.T) {
	// O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC|O_APPEND as Linux numbers them.
	in := uint64(syscall.O_RDWR | syscall.O_CREAT | syscall.O_TRUNC | syscall.O_CLOEXEC | syscall.O_APPEND)
	if got, want := ppmOpenFlags(in), uint32(3|1<<2|1<<8|1<<12|1<<3); got != want {
		t.Errorf("flags %#o: %#x, want %#x", in, got, want)
	}
	if got := ppmOpenFlags(syscall.O_WRONLY); got != ppmOWronly {
		t.Errorf("O_WRONLY: %#x", got)
	}
	// glibc's makedev(8, 3) and makedev(259, 300); the kernel encodes
	// them as minor&0xff | major<<8 | (minor&~0xff)<<12.
	glibc := func(major, minor uint64) uint64 {
		return (major&0xfff)<<8 | (major&^0xfff)<<32 | minor&0xff | (minor&^0xff)<<12
	}
	for _, c := range []struct {
		major, minor uint64
		want         uint32
	}{{8, 3, 0x803}, {259, 300, 300&0xff | 259<<8 | (300&^0xff)<<12}} {
		if got := encodeDev(glibc(c.major, c.minor)); got != c.want {
			t.Errorf("dev %d:%d: %#x, want %#x", c.major, c.minor, got, c.want)
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("no procfs")
	}
	for _, bc := range []struct {
		name string
		opts SnapshotOptions
	}{{"full", SnapshotOptions{}}, {"serial", SnapshotOptions{Workers: 1}}, {"nofds", SnapshotOptions{NoFDs: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			procs, threads, fds := 0, 0, 0
			start := time.Now()
			for b.Loop() {
				sec, err := Snapshot("/proc", "/etc", bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				for i := range sec.Threads {
					if sec.Threads[i].TID == sec.Threads[i].PID {
						procs++
					}
				}
				threads += len(sec.Threads)
				for i := range sec.FDs {
					fds += len(sec.FDs[i].FDs)
				}
			}
			sec := time.Since(start).Seconds()
			b.ReportMetric(float64(procs)/sec, "procs/s")
			b.ReportMetric(float64(threads)/sec, "threads/s")
			b.ReportMetric(float64(fds)/sec, "fds/s")
		})
	}
}

// TestSnapshotWritable writes a live snapshot as a capture's metadata and
// reads it back: what the walk returns fits the capture format.
func TestSnapshotWritable(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no procfs")
	}
	sec, err := Snapshot("/proc", "/etc", SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := scap.NewWriter(&buf, sec, scap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A section needs an event.
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 1, int64(os.Getpid()), openE, map[string]any{"name": "/x", "flags": 1})); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(&ev); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := scap.NewReader(&buf, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got := rd.Section()
	if len(got.Threads) != len(sec.Threads) || len(got.Users) != len(sec.Users) {
		t.Fatalf("read back %d threads and %d users, wrote %d and %d", len(got.Threads), len(got.Users), len(sec.Threads), len(sec.Users))
	}
	self := findThread(got, int64(os.Getpid()))
	want := findThread(sec, int64(os.Getpid()))
	if self == nil || self.Comm != want.Comm || self.ExePath != want.ExePath || !bytes.Equal(self.Args, want.Args) {
		t.Errorf("own process read back as %+v, want %+v", self, want)
	}
	var n, m int
	for i := range sec.FDs {
		n += len(sec.FDs[i].FDs)
	}
	for i := range got.FDs {
		m += len(got.FDs[i].FDs)
	}
	if n != m {
		t.Errorf("read back %d fds, wrote %d", m, n)
	}
}

// TestSnapshotCgroupsV2 checks the cgroups a snapshot takes of a process on
// a pure cgroup v2 host (the unified hierarchy alone) and on a hybrid one
// (where the unified line, without controllers, adds nothing).
func TestSnapshotCgroupsV2(t *testing.T) {
	proc := t.TempDir()
	full := strings.Repeat("ab", 32)
	for pid, text := range map[string]string{
		"10": "0::/system.slice/docker-" + full + ".scope\n",
		"11": "4:memory:/docker/" + full + "\n1:name=systemd:/docker/" + full + "\n0::/\n",
	} {
		if err := os.MkdirAll(filepath.Join(proc, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(proc, pid, "cgroup"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := newProcReader(proc, SnapshotOptions{}, 1)
	if got, want := string(r.cgroups(filepath.Join(proc, "10"))),
		strings.Repeat("=/system.slice/docker-"+full+".scope\x00", 1); !strings.HasPrefix(got, "cpuset"+want) || strings.Count(got, "\x00") != len(v2Controllers) {
		t.Errorf("pure v2: %q", got)
	}
	if got := string(r.cgroups(filepath.Join(proc, "11"))); got != "memory=/docker/"+full+"\x00name=systemd=/docker/"+full+"\x00" {
		t.Errorf("hybrid: %q", got)
	}
	for _, pid := range []string{"10", "11"} {
		id, typ, _ := ContainerFromCgroups(r.cgroups(filepath.Join(proc, pid)))
		if string(id) != full[:12] || typ != CTDocker {
			t.Errorf("pid %s: container %q %v", pid, id, typ)
		}
	}
}
