package state

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

// More event codes of the legacy table.
const (
	closeE    = 4
	closeX    = 5
	socketE   = 18
	socketX   = 19
	bindE     = 20
	bindX     = 21
	connectE  = 22
	connectX  = 23
	pipeX     = 61
	chdirX    = 95
	dupE      = 124
	dupX      = 125
	fcntlE    = 150
	fcntlX    = 151
	accept5X  = 247
	openatE2  = 306
	openatX2  = 307
	setuidE   = 198
	cloneFlag = 1<<0 | 1<<1 | 1<<13 // CLONE_FILES|CLONE_FS|CLONE_THREAD
)

// args applies an event and returns its arguments as sysdig prints them
// with this model's resolved text.
func (st *stream) args(tid int64, typ event.Type, vals map[string]any) string {
	st.t.Helper()
	st.apply(tid, typ, vals)
	return string(event.AppendArgs(nil, &st.ev, st.s))
}

func (st *stream) wantArgs(tid int64, typ event.Type, vals map[string]any, want string) {
	st.t.Helper()
	if got := strings.TrimSpace(st.args(tid, typ, vals)); got != want {
		st.t.Errorf("event %d of %d:\n got %s\nwant %s", typ, tid, got, want)
	}
}

func seeded(t *testing.T) *stream {
	return &stream{t: t, s: FromSection(&scap.Section{
		Users: []scap.User{{UID: 0, Name: "root"}, {UID: 1000, Name: "alice"}},
		Threads: []scap.Thread{
			{TID: 100, PID: 100, PTID: 1, Comm: "app", Exe: "/bin/app", Cwd: "/home/alice"},
			{TID: 101, PID: 100, PTID: 1, Comm: "app", Exe: "/bin/app", Cwd: "/home/alice", Flags: cloneFiles | cloneThread},
		},
		FDs: []scap.FDList{{TID: 100, FDs: []scap.FD{
			{FD: 0, Type: scap.FDFileV2, Name: "/dev/pts/0"},
			{FD: 5, Type: scap.FDDirectory, Name: "/etc"},
		}}},
	})}
}

func cloneVals(res, tid, pid, ptid int64, flags uint32) map[string]any {
	return map[string]any{"res": res, "exe": "/bin/app", "comm": "app", "tid": tid, "pid": pid, "ptid": ptid,
		"cwd": "/home/alice", "flags": flags}
}

func TestSharedTableAndThreads(t *testing.T) {
	st := seeded(t)
	// 101 shares 100's table from the initial state.
	st.wantArgs(101, closeE, map[string]any{"fd": 0}, "fd=0(<f>/dev/pts/0)")
	st.apply(101, closeX, map[string]any{"res": 0})
	st.apply(100, closeE, map[string]any{"fd": 7}) // the close removed fd 0 at this event
	st.wantArgs(100, dupE, map[string]any{"fd": 0}, "fd=0")
	// A new thread (CLONE_FILES) sees fds its siblings open later.
	st.apply(100, cloneX, cloneVals(102, 100, 100, 1, cloneFlag))
	st.wantArgs(102, cloneX, cloneVals(0, 102, 100, 1, cloneFlag), "res=0 exe=/bin/app args= tid=102(app) pid=100(app) ptid=1 cwd=/home/alice fdlimit=0 pgft_maj=0 pgft_min=0 vm_size=0 vm_rss=0 vm_swap=0 comm=app cgroups= flags=8195(CLONE_FILES|CLONE_FS|CLONE_THREAD) uid=0 gid=0 vtid=0 vpid=0")
	st.apply(100, openatE2, map[string]any{"dirfd": -100, "name": "notes"})
	st.apply(100, openatX2, map[string]any{"fd": 3, "dirfd": -100, "name": "notes", "flags": 1})
	st.wantArgs(102, dupE, map[string]any{"fd": 3}, "fd=3(<f>/home/alice/notes)")
	// A forked process gets a copy: later opens in the parent are not its.
	st.apply(100, cloneX, cloneVals(200, 100, 100, 1, 0))
	st.apply(100, openatX2, map[string]any{"fd": 4, "dirfd": -100, "name": "/tmp/x", "flags": 1})
	st.wantArgs(200, dupE, map[string]any{"fd": 3}, "fd=3(<f>/home/alice/notes)")
	st.wantArgs(200, dupE, map[string]any{"fd": 4}, "fd=4")
	st.wantArgs(100, dupE, map[string]any{"fd": 4}, "fd=4(<f>/tmp/x)")

	// The leader exits first: it stays for its threads, and goes with the last.
	st.apply(100, procexitE, nil)
	st.apply(101, dupE, map[string]any{"fd": 3})
	st.want(100, "app", 100)
	st.wantArgs(101, dupE, map[string]any{"fd": 3}, "fd=3(<f>/home/alice/notes)")
	st.apply(101, procexitE, nil)
	st.apply(102, procexitE, nil)
	st.apply(200, dupE, map[string]any{"fd": 3})
	st.want(100, "", 0)
	st.want(101, "", 0)
	st.want(102, "", 0)
	st.want(200, "app", 200)
}

func TestPaths(t *testing.T) {
	st := seeded(t)
	// Relative to a directory fd, to the cwd, and normalised.
	st.wantArgs(100, openatE2, map[string]any{"dirfd": 5, "name": "passwd"}, "dirfd=5(<d>/etc) name=passwd(/etc/passwd) flags=0(O_NONE) mode=0")
	st.apply(100, openatX2, map[string]any{"fd": 3, "dirfd": 5, "name": "./ssh/../passwd", "flags": 1})
	st.wantArgs(100, dupE, map[string]any{"fd": 3}, "fd=3(<f>/etc/passwd)")
	st.wantArgs(100, openatE2, map[string]any{"dirfd": -100, "name": "../bob/.x"}, "dirfd=-100(AT_FDCWD) name=../bob/.x(/home/bob/.x) flags=0(O_NONE) mode=0")
	// An unknown directory fd: the path as given.
	st.wantArgs(100, openatE2, map[string]any{"dirfd": 9, "name": "a"}, "dirfd=9 name=a(a) flags=0(O_NONE) mode=0")
	// chdir moves the process, threads included; O_DIRECTORY makes a directory.
	st.apply(100, chdirX, map[string]any{"res": 0, "path": "../bob"})
	st.apply(101, openatX2, map[string]any{"fd": 6, "dirfd": -100, "name": "src", "flags": 1 | 1<<10})
	st.wantArgs(100, dupE, map[string]any{"fd": 6}, "fd=6(<d>/home/bob/src)")
	// Users: known, unknown.
	st.wantArgs(100, setuidE, map[string]any{"uid": 1000}, "uid=1000(alice)")
	st.wantArgs(100, setuidE, map[string]any{"uid": 7}, "uid=7(<NA>)")
}

func TestSockets(t *testing.T) {
	st := seeded(t)
	// IPv6 TCP server: socket, bind, accept.
	st.apply(100, socketE, map[string]any{"domain": afInet6, "type": 1, "proto": 6})
	st.wantArgs(100, socketX, map[string]any{"fd": 3}, "fd=3(<6>)")
	st.apply(100, bindE, map[string]any{"fd": 3})
	st.apply(100, bindX, map[string]any{"res": 0, "addr": netip.MustParseAddrPort("[2001:db8::3]:1234")})
	st.wantArgs(100, dupE, map[string]any{"fd": 3}, "fd=3(<6t>2001:db8::3:1234)")
	tuple := evtest.Tuple{Src: netip.MustParseAddrPort("[2001:db8::4]:5000"), Dst: netip.MustParseAddrPort("[2001:db8::3]:1234")}
	st.wantArgs(100, accept5X, map[string]any{"fd": 4, "tuple": tuple},
		"fd=4(<6t>2001:db8::4:5000->2001:db8::3:1234) tuple=2001:db8::4:5000->2001:db8::3:1234 queuepct=0 queuelen=0 queuemax=0")
	// IPv4 UDP client: no protocol shown until connected.
	st.apply(100, socketE, map[string]any{"domain": afInet, "type": 2, "proto": 0})
	st.wantArgs(100, socketX, map[string]any{"fd": 7}, "fd=7(<4>)")
	st.apply(100, connectE, map[string]any{"fd": 7, "addr": netip.MustParseAddrPort("8.8.8.8:53")})
	st.wantArgs(100, connectX, map[string]any{"res": 0, "tuple": evtest.Tuple{Src: netip.MustParseAddrPort("10.0.0.1:4000"), Dst: netip.MustParseAddrPort("8.8.8.8:53")}},
		"res=0 tuple=10.0.0.1:4000->8.8.8.8:53")
	st.wantArgs(100, dupE, map[string]any{"fd": 7}, "fd=7(<4u>10.0.0.1:4000->8.8.8.8:53)")
	// Unix socket: named by its path once connected; a failed connect changes nothing.
	st.apply(100, socketE, map[string]any{"domain": afUnix, "type": 1, "proto": 0})
	st.wantArgs(100, socketX, map[string]any{"fd": 8}, "fd=8(<u>)")
	st.apply(100, connectE, map[string]any{"fd": 8, "addr": evtest.Unix("/run/x.sock")})
	ut := evtest.UnixTuple{Src: 0x10, Dst: 0x20, Path: "/run/x.sock"}
	st.apply(100, connectX, map[string]any{"res": -2, "tuple": ut})
	st.wantArgs(100, dupE, map[string]any{"fd": 8}, "fd=8(<u>/run/x.sock)")
	// pipe fds, dup and fcntl(F_DUPFD) copies.
	st.apply(100, pipeX, map[string]any{"res": 0, "fd1": 10, "fd2": 11, "ino": 99})
	st.apply(100, dupE, map[string]any{"fd": 10})
	st.wantArgs(100, dupX, map[string]any{"res": 12}, "res=12(<p>)")
	st.apply(100, fcntlE, map[string]any{"fd": 4, "cmd": 1})
	st.wantArgs(100, fcntlX, map[string]any{"res": 13}, "res=13(<6t>2001:db8::4:5000->2001:db8::3:1234)")
	// Close of an fd the model does not know: nothing happens.
	st.apply(100, closeE, map[string]any{"fd": 42})
	st.apply(100, closeX, map[string]any{"res": 0})
	st.wantArgs(100, dupE, map[string]any{"fd": 13}, "fd=13(<6t>2001:db8::4:5000->2001:db8::3:1234)")
	// Unknown threads have their own (empty) table.
	st.wantArgs(999, dupE, map[string]any{"fd": 3}, "fd=3")
	st.want(999, unknownName, 999)
}

func TestInvertedClone(t *testing.T) {
	st := seeded(t)
	// The child's side comes first: it creates the thread, copying the parent's fds.
	st.apply(300, cloneX, cloneVals(0, 300, 300, 100, 0))
	st.want(300, "app", 300)
	st.wantArgs(300, dupE, map[string]any{"fd": 5}, "fd=5(<d>/etc)")
	st.apply(100, cloneX, cloneVals(300, 100, 100, 1, 0))
	st.want(300, "app", 300)
}

// TestCloneOfUnknownParent follows sysdig 0.29.3 when the child's side of
// a clone names a parent the model has never seen: the parent is added
// and named after the child, and the child takes nothing from it (no
// working directory, session or fds), not even the event's cwd.
func TestCloneOfUnknownParent(t *testing.T) {
	st := seeded(t)
	vals := cloneVals(0, 300, 300, 999, 0)
	vals["args"] = []string{"-v"}
	st.apply(300, cloneX, vals)
	child, parent := st.s.Thread(300), st.s.Thread(999)
	if child == nil || parent == nil {
		t.Fatalf("child %v, parent %v: want both in the model", child, parent)
	}
	if child.Cwd() != "" || child.SID != -1 || child.FDs().Len() != 0 {
		t.Errorf("child: cwd %q, sid %d, %d fds; want none of them", child.Cwd(), child.SID, child.FDs().Len())
	}
	if parent.Comm != "app" || parent.Exe != "/bin/app" || string(parent.Args) != "-v\x00" || parent.Cwd() != "" {
		t.Errorf("parent: comm %q exe %q args %q cwd %q; want the child's names and no cwd", parent.Comm, parent.Exe, parent.Args, parent.Cwd())
	}
	if p := st.s.Parent(child); p != parent {
		t.Errorf("the child's parent is %v, want thread 999", p)
	}
	// A known parent gives its working directory, session and fds.
	st.apply(400, cloneX, cloneVals(0, 400, 400, 100, 0))
	if c := st.s.Thread(400); c.Cwd() != "/home/alice/" || c.FDs().Len() != 2 {
		t.Errorf("child of a known parent: cwd %q, %d fds", c.Cwd(), c.FDs().Len())
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct{ base, rel, want string }{
		{"/home/a/", "x", "/home/a/x"},
		{"/home/a/", "", "/home/a"},
		{"/home/a/", ".", "/home/a"},
		{"/home/a/", "..", "/home"},
		{"/home/a/", "../../../..", "/"},
		{"/home/a/", "b//c/./d/", "/home/a/b/c/d"},
		{"/", "etc", "/etc"},
		{"/x/", "/abs/../y", "/y"},
	} {
		if got := string(appendJoin(nil, c.base, []byte(c.rel))); got != c.want {
			t.Errorf("join(%q, %q) = %q, want %q", c.base, c.rel, got, c.want)
		}
	}
}

// TestLateParentOfExitedChild checks a vfork (or a clone whose child runs
// first) whose parent's side comes after the child has run and exited:
// the late event does not bring the child back, where no event would
// ever remove it; a new thread that takes the tid later is added.
func TestLateParentOfExitedChild(t *testing.T) {
	st := seeded(t)
	st.apply(300, cloneX, cloneVals(0, 300, 300, 100, 0)) // the child's side
	st.apply(300, procexitE, nil)
	st.apply(100, cloneX, cloneVals(300, 100, 100, 1, 0)) // the parent's side, late
	st.want(300, "", 0)
	if n := st.s.Len(); n != 2 {
		t.Errorf("%d threads in the model, want the 2 seeded", n)
	}
	st.ts += uint64(2 * goneWindow) // later, a new process gets tid 300
	st.apply(100, cloneX, cloneVals(300, 100, 100, 1, 0))
	st.want(300, "app", 300)
}

// TestSweep checks that a sweep removes the idle threads that no longer
// exist in /proc, and keeps those that exist or had an event lately.
func TestSweep(t *testing.T) {
	st := seeded(t)
	st.apply(300, cloneX, cloneVals(0, 300, 300, 100, 0))
	st.apply(301, cloneX, cloneVals(0, 301, 301, 100, 0))
	proc := t.TempDir()
	for _, tid := range []string{"100", "101"} { // alive
		if err := os.Mkdir(filepath.Join(proc, tid), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	now := st.ts + uint64(time.Minute)
	st.ts = now - 1
	st.apply(301, closeE, map[string]any{"fd": 0}) // 301 had an event just now
	if n := st.s.Sweep(proc, now, 30*time.Second); n != 1 {
		t.Errorf("swept %d threads, want 1 (300)", n)
	}
	st.want(300, "", 0)
	st.want(301, "app", 301)
	st.want(100, "app", 100)
}

// TestSweepContainers checks that a sweep forgets the container records no
// thread has referred to at two sweeps in a row, and keeps those in use,
// the sandboxes of those in use, and those put since the last sweep.
func TestSweepContainers(t *testing.T) {
	s := New()
	proc := t.TempDir()
	inUse := &Container{ID: "aaaaaaaaaaaa", SandboxID: "bbbbbbbbbbbb" + strings.Repeat("0", 52), Name: "app"}
	for _, c := range []*Container{inUse, {ID: "bbbbbbbbbbbb", IsSandbox: true}, {ID: "cccccccccccc", Name: "gone"}} {
		s.PutContainer(c)
	}
	s.threads[7] = &Thread{TID: 7, PID: 7, ContainerID: "aaaaaaaaaaaa", seen: 1 << 62}
	if err := os.Mkdir(filepath.Join(proc, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.Sweep(proc, 1<<62, time.Minute)
	s.PutContainer(&Container{ID: "dddddddddddd", Name: "looked up early"})
	for _, id := range []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd"} {
		if s.Container(id) == nil {
			t.Errorf("after one sweep, %s is gone", id)
		}
	}
	s.Sweep(proc, 1<<62, time.Minute)
	for id, keep := range map[string]bool{"aaaaaaaaaaaa": true, "bbbbbbbbbbbb": true, "cccccccccccc": false, "dddddddddddd": true} {
		if (s.Container(id) != nil) != keep {
			t.Errorf("after two sweeps, %s kept: %v, want %v", id, !keep, keep)
		}
	}
}

// TestEmptyArgsClear checks that a program executed with no arguments has
// none, rather than keeping those its process had before.
func TestEmptyArgsClear(t *testing.T) {
	st := seeded(t)
	vals := cloneVals(0, 300, 300, 100, 0)
	vals["args"] = []string{"-v", "x"}
	st.apply(300, cloneX, vals)
	if a := string(st.s.Thread(300).Args); a != "-v\x00x\x00" {
		t.Fatalf("args %q", a)
	}
	// It executes a program with no arguments.
	st.apply(300, execveX, map[string]any{"res": 0, "exe": "/bin/ls", "args": []string{}, "tid": 300, "pid": 300, "ptid": 100, "comm": "ls"})
	if a := st.s.Thread(300).Args; len(a) != 0 {
		t.Errorf("args %q after an execve with none; want none", a)
	}
}
