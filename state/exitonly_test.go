package state

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
)

// Event codes of the current table that 0.29.3 does not have.
const (
	dup1E    = 366
	dup1X    = 367
	accept4X = 389
	memfdX   = 405
)

// More event codes shared by both tables.
const (
	listenE   = 24
	listenX   = 25
	sendtoE   = 30
	sendtoX   = 31
	recvfromE = 34
	recvfromX = 35
	fchdirE   = 96
	fchdirX   = 97
	readE     = 6
	readX     = 7
	execveE   = 292
	acceptE   = 248 // accept4 in 0.29.3's table
	acceptX   = 249
)

// sysCall is one system call as both models record it: the classic enter
// and exit (0.29.3's schema; enter 0: the call has none the model
// reads), and the current model's lone exit event.
type sysCall struct {
	enter, exit event.Type
	enterVals   map[string]any
	exitVals    map[string]any
	cur         event.Type
	curVals     map[string]any
}

// model renders what the model knows of thread tid and of the fd the
// last event concerns, for comparing the two models.
func model(st *stream, tid int64) string {
	var b strings.Builder
	th := st.s.Thread(tid)
	if th == nil {
		return "no thread"
	}
	f, num, ok := st.s.EventFD(&st.ev)
	fmt.Fprintf(&b, "evtfd ok=%v num=%d", ok, num)
	if f != nil {
		fmt.Fprintf(&b, " name=%q", f.Name)
	}
	fmt.Fprintf(&b, "\nuid=%d gid=%d pgid=%d vpgid=%d cwd=%q exepath=%q\n", th.UID, th.GID, th.PGID, th.VPGID, th.Cwd(), th.ExePath)
	var fds []string
	th.FDs().Each(func(f *FD) {
		fds = append(fds, fmt.Sprintf("%d %c l4=%d role=%d conn=%v %q %x:%d %x:%d", f.Num, f.TypeChar(), f.L4, f.Role, f.Connected,
			f.Name, f.SrcAddr(), f.SrcPort, f.DstAddr(), f.DstPort))
	})
	sort.Strings(fds)
	b.WriteString(strings.Join(fds, "\n"))
	return b.String()
}

// runBoth applies the calls to two models, one in each event model, and
// requires them to agree after every call. It returns the exit-only
// stream for further checks.
func runBoth(t *testing.T, calls []sysCall) *stream {
	t.Helper()
	classic, current := seeded(t), seeded(t)
	for i, c := range calls {
		if c.enter != 0 {
			classic.apply(100, c.enter, c.enterVals)
		}
		classic.apply(100, c.exit, c.exitVals)
		current.applyCurrent(100, c.cur, c.curVals)
		if a, b := model(classic, 100), model(current, 100); a != b {
			t.Fatalf("call %d (exit %d): the models differ\nclassic:\n%s\nexit only:\n%s", i, c.cur, a, b)
		}
	}
	return current
}

// wantFD requires fd n of thread 100 to be shown as sysdig shows it.
func wantFD(t *testing.T, st *stream, n int64, want string) {
	t.Helper()
	f := st.s.Thread(100).FDs().Get(n)
	got := "none"
	if f != nil {
		got = fmt.Sprintf("<%c>%s", f.TypeChar(), f.Name)
	}
	if got != want {
		t.Errorf("fd %d: %s, want %s", n, got, want)
	}
}

func TestExitOnlySockets(t *testing.T) {
	srv := netip.MustParseAddrPort("10.0.0.1:8080")
	cli := netip.MustParseAddrPort("10.0.0.9:5000")
	dns := netip.MustParseAddrPort("8.8.8.8:53")
	local := netip.MustParseAddrPort("10.0.0.1:4000")
	in := tupleOf(cli, srv)
	out := tupleOf(local, dns)
	st := runBoth(t, []sysCall{
		// TCP server: socket, bind, listen, accept4.
		{enter: socketE, enterVals: map[string]any{"domain": afInet, "type": 1, "proto": 6},
			exit: socketX, exitVals: map[string]any{"fd": 3},
			cur: socketX, curVals: map[string]any{"fd": 3, "domain": afInet, "type": 1, "proto": 6}},
		{enter: bindE, enterVals: map[string]any{"fd": 3},
			exit: bindX, exitVals: map[string]any{"res": 0, "addr": srv},
			cur: bindX, curVals: map[string]any{"res": 0, "addr": srv, "fd": 3}},
		{enter: listenE, enterVals: map[string]any{"fd": 3, "backlog": 5},
			exit: listenX, exitVals: map[string]any{"res": 0},
			cur: listenX, curVals: map[string]any{"res": 0, "fd": 3, "backlog": 5}},
		{enter: acceptE, enterVals: map[string]any{"flags": 0},
			exit: acceptX, exitVals: map[string]any{"fd": 4, "tuple": in},
			cur: accept4X, curVals: map[string]any{"fd": 4, "tuple": in}},
		// UDP client: socket, connect, sendto, recvfrom.
		{enter: socketE, enterVals: map[string]any{"domain": afInet, "type": 2, "proto": 0},
			exit: socketX, exitVals: map[string]any{"fd": 7},
			cur: socketX, curVals: map[string]any{"fd": 7, "domain": afInet, "type": 2, "proto": 0}},
		{enter: connectE, enterVals: map[string]any{"fd": 7, "addr": dns},
			exit: connectX, exitVals: map[string]any{"res": 0, "tuple": out},
			cur: connectX, curVals: map[string]any{"res": 0, "tuple": out, "fd": 7, "addr": dns}},
		{enter: sendtoE, enterVals: map[string]any{"fd": 7, "size": 10, "tuple": out},
			exit: sendtoX, exitVals: map[string]any{"res": 10},
			cur: sendtoX, curVals: map[string]any{"res": 10, "fd": 7, "size": 10, "tuple": out}},
		// An unconnected UDP socket learns its ends from the transfers.
		{enter: socketE, enterVals: map[string]any{"domain": afInet, "type": 2, "proto": 17},
			exit: socketX, exitVals: map[string]any{"fd": 8},
			cur: socketX, curVals: map[string]any{"fd": 8, "domain": afInet, "type": 2, "proto": 17}},
		{enter: recvfromE, enterVals: map[string]any{"fd": 8, "size": 100},
			exit: recvfromX, exitVals: map[string]any{"res": 4, "tuple": tupleOf(dns, local)},
			cur: recvfromX, curVals: map[string]any{"res": 4, "tuple": tupleOf(dns, local), "fd": 8, "size": 100}},
		{enter: sendtoE, enterVals: map[string]any{"fd": 8, "size": 1, "tuple": tupleOf(local, dns)},
			exit: sendtoX, exitVals: map[string]any{"res": 1},
			cur: sendtoX, curVals: map[string]any{"res": 1, "fd": 8, "size": 1, "tuple": tupleOf(local, dns)}},
		// Unix client: a failed connect still names the socket after the path.
		{enter: socketE, enterVals: map[string]any{"domain": afUnix, "type": 1, "proto": 0},
			exit: socketX, exitVals: map[string]any{"fd": 9},
			cur: socketX, curVals: map[string]any{"fd": 9, "domain": afUnix, "type": 1, "proto": 0}},
		{enter: connectE, enterVals: map[string]any{"fd": 9, "addr": unixAddr("/run/x.sock")},
			exit: connectX, exitVals: map[string]any{"res": -2},
			cur: connectX, curVals: map[string]any{"res": -2, "fd": 9, "addr": unixAddr("/run/x.sock")}},
	})
	// The names of TestSockets' classic events, which sysdig shows so.
	wantFD(t, st, 3, "<4>10.0.0.1:8080")
	wantFD(t, st, 4, "<4>10.0.0.9:5000->10.0.0.1:8080")
	wantFD(t, st, 7, "<4>10.0.0.1:4000->8.8.8.8:53")
	wantFD(t, st, 9, "<u>/run/x.sock")
}

func TestExitOnlyFDs(t *testing.T) {
	st := runBoth(t, []sysCall{
		// read: the event is about its fd.
		{enter: readE, enterVals: map[string]any{"fd": 5, "size": 10},
			exit: readX, exitVals: map[string]any{"res": 0},
			cur: readX, curVals: map[string]any{"res": 0, "fd": 5, "size": 10}},
		// dup copies the fd; dup's current event names it oldfd.
		{enter: dupE, enterVals: map[string]any{"fd": 5},
			exit: dupX, exitVals: map[string]any{"res": 6},
			cur: dup1X, curVals: map[string]any{"res": 6, "oldfd": 5}},
		// fcntl(F_DUPFD) too; another command does not.
		{enter: fcntlE, enterVals: map[string]any{"fd": 6, "cmd": 1},
			exit: fcntlX, exitVals: map[string]any{"res": 10},
			cur: fcntlX, curVals: map[string]any{"res": 10, "fd": 6, "cmd": 1, "arg": 10}},
		{enter: fcntlE, enterVals: map[string]any{"fd": 6, "cmd": 3},
			exit: fcntlX, exitVals: map[string]any{"res": 11},
			cur: fcntlX, curVals: map[string]any{"res": 11, "fd": 6, "cmd": 3, "arg": 0}},
		// close removes the fd (at the next event).
		{enter: closeE, enterVals: map[string]any{"fd": 6},
			exit: closeX, exitVals: map[string]any{"res": 0},
			cur: closeX, curVals: map[string]any{"res": 0, "fd": 6}},
		// fchdir moves the process to the directory of the fd.
		{enter: fchdirE, enterVals: map[string]any{"fd": 10},
			exit: fchdirX, exitVals: map[string]any{"res": 0},
			cur: fchdirX, curVals: map[string]any{"res": 0, "fd": 10}},
		{exit: chdirX, exitVals: map[string]any{"res": 0, "path": "ssl"},
			cur: chdirX, curVals: map[string]any{"res": 0, "path": "ssl"}},
	})
	wantFD(t, st, 6, "none")
	wantFD(t, st, 10, "<d>/etc")
	wantFD(t, st, 11, "none")
	if cwd := st.s.Thread(100).Cwd(); cwd != "/etc/ssl/" {
		t.Errorf("cwd %q, want /etc/ssl/", cwd)
	}
}

func TestExitOnlyCredentials(t *testing.T) {
	st := runBoth(t, []sysCall{
		{enter: setuidE, enterVals: map[string]any{"uid": 1000},
			exit: setuidX, exitVals: map[string]any{"res": 0},
			cur: setuidX, curVals: map[string]any{"res": 0, "uid": 1000}},
		{enter: setgidE, enterVals: map[string]any{"gid": 50},
			exit: setgidX, exitVals: map[string]any{"res": 0},
			cur: setgidX, curVals: map[string]any{"res": 0, "gid": 50}},
		{enter: setresuidE, enterVals: map[string]any{"ruid": 1, "euid": 33, "suid": 1},
			exit: setresuidX, exitVals: map[string]any{"res": 0},
			cur: setresuidX, curVals: map[string]any{"res": 0, "ruid": 1, "euid": 33, "suid": 1}},
		{enter: setresuidE, enterVals: map[string]any{"ruid": 1, "euid": 0, "suid": 1},
			exit: setresuidX, exitVals: map[string]any{"res": -1},
			cur: setresuidX, curVals: map[string]any{"res": -1, "ruid": 1, "euid": 0, "suid": 1}},
		{enter: setpgidE, enterVals: map[string]any{"pid": 0, "pgid": 0},
			exit: setpgidX, exitVals: map[string]any{"res": 0},
			cur: setpgidX, curVals: map[string]any{"res": 0, "pid": 0, "pgid": 0}},
		{enter: execveE, enterVals: map[string]any{"filename": "bin/tool"},
			exit: execveX, exitVals: map[string]any{"res": 0, "exe": "tool", "tid": 100, "pid": 100, "ptid": 1, "comm": "tool", "pgid": 100},
			// The current exit also reports the ids the process has; with
			// no trusted path, the file name gives the executable's path.
			cur: execveX, curVals: map[string]any{"res": 0, "exe": "tool", "tid": 100, "pid": 100, "ptid": 1, "comm": "tool", "vpgid": 100,
				"uid": 33, "gid": 50, "pgid": 0, "trusted_exepath": []byte{}, "filename": "bin/tool"}},
	})
	th := st.s.Thread(100)
	if th.UID != 33 || th.GID != 50 || th.VPGID != 100 || th.ExePath != "/home/alice/bin/tool" {
		t.Errorf("uid %d gid %d vpgid %d exepath %q, want 33 50 100 /home/alice/bin/tool", th.UID, th.GID, th.VPGID, th.ExePath)
	}
}

// An fd-creating event sysdig 0.29.3 does not know: memfd_create's fd is
// named after the name given, and is the event's fd.
func TestExitOnlyMemfd(t *testing.T) {
	st := seeded(t)
	st.applyCurrent(100, memfdX, map[string]any{"fd": 4, "name": "jit", "flags": 0})
	wantFD(t, st, 4, "<m>jit")
	if f, num, ok := st.s.EventFD(&st.ev); !ok || num != 4 || f == nil {
		t.Errorf("memfd_create's fd: %v %d %v", f, num, ok)
	}
}

// An exit-only event that leaves its fd empty refers to no fd it names:
// the last fd stays, as for a classic exit whose enter was lost; an exit
// whose enter had no fd refers to none.
func TestExitOnlyWithoutFD(t *testing.T) {
	st := seeded(t)
	st.applyCurrent(100, readX, map[string]any{"res": 0, "fd": 5, "size": 1})
	st.applyCurrent(100, closeX, map[string]any{"res": 0, "fd": []byte{}})
	if _, num, _ := st.s.EventFD(&st.ev); num != 5 {
		t.Errorf("close without its fd: last fd %d, want 5", num)
	}
	wantFD(t, st, 5, "<d>/etc") // not closed: the close's fd is not known
	st.applyCurrent(100, accept4X, map[string]any{"fd": -11, "tuple": []byte{}})
	if _, num, _ := st.s.EventFD(&st.ev); num != -1 {
		t.Errorf("failed accept4: last fd %d, want -1", num)
	}
}

func tupleOf(src, dst netip.AddrPort) evtest.Tuple { return evtest.Tuple{Src: src, Dst: dst} }

func unixAddr(path string) evtest.Unix { return evtest.Unix(path) }

// Applying an exit-only event allocates nothing.
func TestExitOnlyAllocs(t *testing.T) {
	st := seeded(t)
	var ev event.Event
	raw := evtest.MustRecord(event.Current(), 1, 100, readX, map[string]any{"res": 1, "data": "x", "fd": 5, "size": 1})
	if n := testing.AllocsPerRun(100, func() {
		if err := ev.Reset(raw); err != nil {
			t.Fatal(err)
		}
		st.s.Apply(&ev)
	}); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
	if _, num, _ := st.s.EventFD(&ev); num != 5 {
		t.Errorf("read's fd %d, want 5", num)
	}
}
