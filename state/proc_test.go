package state

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

// Event codes used below (the same in both tables).
const (
	setresuidE = 192
	setresuidX = 193
	setuidX    = 199
	setgidE    = 200
	setgidX    = 201
	setsidX    = 275
	setpgidE   = 294
	setpgidX   = 295
	capsetX    = 353
	prctlX     = 401
	setreuidX  = 427
)

// applyCurrent applies an event built with the current table, whose exit
// events carry what classic ones leave in the enter event.
func (st *stream) applyCurrent(tid int64, typ event.Type, vals map[string]any) {
	st.t.Helper()
	st.ts++
	if err := st.ev.Reset(evtest.MustRecord(event.Current(), st.ts, tid, typ, vals)); err != nil {
		st.t.Fatal(err)
	}
	st.s.Apply(&st.ev)
}

func TestCredentialChanges(t *testing.T) {
	st := seeded(t)
	th := func() *Thread { return st.s.Thread(100) }
	th().UID, th().GID = 1000, 1000
	// Classic setuid: the id is in the enter event; a failure changes nothing.
	st.apply(100, setuidE, map[string]any{"uid": 0})
	st.apply(100, setuidX, map[string]any{"res": -1})
	if th().UID != 1000 {
		t.Fatalf("failed setuid changed uid to %d", th().UID)
	}
	st.apply(100, setuidE, map[string]any{"uid": 0})
	st.apply(100, setuidX, map[string]any{"res": 0})
	if th().UID != 0 {
		t.Fatalf("setuid(0): uid %d", th().UID)
	}
	// setresuid sets the effective id; -1 leaves it.
	st.apply(100, setresuidE, map[string]any{"ruid": 5, "euid": 33, "suid": 5})
	st.apply(100, setresuidX, map[string]any{"res": 0})
	if th().UID != 33 {
		t.Fatalf("setresuid: uid %d, want 33", th().UID)
	}
	st.apply(100, setresuidE, map[string]any{"ruid": 5, "euid": uint32(noUID), "suid": 5})
	st.apply(100, setresuidX, map[string]any{"res": 0})
	if th().UID != 33 {
		t.Fatalf("setresuid(-1): uid %d, want 33", th().UID)
	}
	st.apply(100, setgidE, map[string]any{"gid": 50})
	st.apply(100, setgidX, map[string]any{"res": 0})
	if th().GID != 50 {
		t.Fatalf("setgid: gid %d", th().GID)
	}
	// Current events carry the ids in the exit.
	st.applyCurrent(100, setreuidX, map[string]any{"res": 0, "ruid": 7, "euid": 8})
	if th().UID != 8 {
		t.Fatalf("setreuid: uid %d, want 8", th().UID)
	}
	// Only the calling thread changes.
	if u := st.s.Thread(101).UID; u != 0 {
		t.Fatalf("sibling thread's uid changed to %d", u)
	}
}

func TestCapsetPrctlSession(t *testing.T) {
	st := seeded(t)
	th := st.s.Thread(100)
	st.applyCurrent(100, capsetX, map[string]any{"res": 0, "cap_inheritable": 0, "cap_permitted": 0x3, "cap_effective": 0x1})
	if th.CapPermitted != 3 || th.CapEffective != 1 || th.CapInheritable != 0 {
		t.Fatalf("capset: %x %x %x", th.CapInheritable, th.CapPermitted, th.CapEffective)
	}
	st.applyCurrent(100, capsetX, map[string]any{"res": -1, "cap_permitted": 0xff})
	if th.CapPermitted != 3 {
		t.Fatal("failed capset changed the capabilities")
	}
	// PR_SET_NAME: the kernel keeps 15 bytes of the name.
	st.applyCurrent(101, prctlX, map[string]any{"res": 0, "option": prSetName, "arg2_str": "worker-pool-thread"})
	if c := st.s.Thread(101).Comm; c != "worker-pool-thr" {
		t.Fatalf("prctl(PR_SET_NAME): comm %q", c)
	}
	if th.Comm != "app" {
		t.Fatalf("prctl renamed the sibling: %q", th.Comm)
	}
	st.applyCurrent(101, prctlX, map[string]any{"res": 0, "option": 16, "arg2_str": "x"})
	if c := st.s.Thread(101).Comm; c != "worker-pool-thr" {
		t.Fatalf("prctl(PR_GET_NAME) renamed the thread: %q", c)
	}
	st.apply(100, setsidX, map[string]any{"res": 100})
	if th.SID != 100 {
		t.Fatalf("setsid: sid %d", th.SID)
	}
	th.VPID = 100
	st.apply(100, setpgidE, map[string]any{"pid": 0, "pgid": 0})
	st.apply(100, setpgidX, map[string]any{"res": 0})
	if th.VPGID != 100 || th.PGID != 100 {
		t.Fatalf("setpgid(0, 0): vpgid %d pgid %d", th.VPGID, th.PGID)
	}
}

// family is systemd(1) > sshd(10) > sshd(20) > bash(30) > vim(40), vim
// having a second thread 41; 40 and 41 share a session and group led by 30.
func family(t *testing.T) *stream {
	th := func(tid, pid, ptid int64, comm string) scap.Thread {
		return scap.Thread{TID: tid, PID: pid, PTID: ptid, Comm: comm, Exe: comm, SID: 30, VPGID: 30, PGID: 30, VTID: tid, VPID: pid}
	}
	ts := []scap.Thread{th(1, 1, 0, "systemd"), th(10, 10, 1, "sshd"), th(20, 20, 10, "sshd"),
		th(30, 30, 20, "bash"), th(40, 40, 30, "vim"), th(41, 40, 30, "vim")}
	ts[0].SID, ts[1].SID, ts[2].SID = 1, 1, 1
	ts[5].Flags = cloneThread | cloneFiles
	return &stream{t: t, s: FromSection(&scap.Section{Threads: ts})}
}

func TestAncestors(t *testing.T) {
	st := family(t)
	s := st.s
	want := []int64{40, 30, 20, 10, 1}
	for n, pid := range want {
		a := s.Ancestor(s.Thread(41), n)
		if a == nil || a.TID != pid {
			t.Fatalf("ancestor %d of 41: %+v, want %d", n, a, pid)
		}
	}
	if a := s.Ancestor(s.Thread(41), len(want)); a != nil {
		t.Fatalf("ancestor past systemd: %d", a.TID)
	}
	var walked []int64
	s.WalkParents(s.Thread(40), func(a *Thread) bool { walked = append(walked, a.TID); return true })
	if len(walked) != 4 || walked[0] != 30 || walked[3] != 1 {
		t.Fatalf("walk from 40: %v", walked)
	}
	if l := s.SessionLeader(s.Thread(41)); l == nil || l.TID != 30 {
		t.Fatalf("session leader: %+v", l)
	}
	if l := s.GroupLeader(s.Thread(40)); l == nil || l.TID != 30 {
		t.Fatalf("group leader: %+v", l)
	}
	// The leader gone, the oldest ancestor of the same session leads it.
	st.apply(30, procexitE, nil)
	st.apply(40, openE, map[string]any{"name": "x"})
	if s.Thread(30) != nil {
		t.Fatal("bash still known after its exit")
	}
	if l := s.SessionLeader(s.Thread(41)); l == nil || l.TID != 40 {
		t.Fatalf("session leader after its exit: %+v", l)
	}
	if n, ok := s.NThreads(s.Thread(41)); !ok || n != 2 || s.NChilds(s.Thread(40)) != 1 || s.NChilds(s.Thread(41)) != 0 {
		t.Fatalf("thread counts: %d %v, childs %d %d", n, ok, s.NChilds(s.Thread(40)), s.NChilds(s.Thread(41)))
	}
}

func TestParentLoopEndsWalk(t *testing.T) {
	s := FromSection(&scap.Section{Threads: []scap.Thread{
		{TID: 5, PID: 5, PTID: 6, Comm: "a"}, {TID: 6, PID: 6, PTID: 7, Comm: "b"}, {TID: 7, PID: 7, PTID: 5, Comm: "c"},
	}})
	n := 0
	s.WalkParents(s.Thread(5), func(*Thread) bool { n++; return true })
	if n == 0 || n > 3 {
		t.Fatalf("walk over a loop visited %d threads", n)
	}
}

// TestLeaderExitWithLiveThreads: the main thread's procexit keeps it for
// its live threads (their process fields still read it) until the last
// one exits.
func TestLeaderExitWithLiveThreads(t *testing.T) {
	st := family(t)
	s := st.s
	st.apply(40, procexitE, nil)
	st.apply(41, openE, map[string]any{"name": "x"})
	if s.Thread(40) == nil {
		t.Fatal("leader removed while thread 41 lives")
	}
	if mt := s.MainThread(s.Thread(41)); mt == nil || mt.Comm != "vim" {
		t.Fatalf("main thread of 41: %+v", mt)
	}
	st.apply(41, procexitE, nil)
	st.apply(1, openE, map[string]any{"name": "x"})
	if s.Thread(40) != nil || s.Thread(41) != nil {
		t.Fatal("process still known after its last thread exited")
	}
}

// TestForkCopiesThreadsShare: a thread (CLONE_FILES) shares its parent's fd
// table; a forked process gets a copy, which later opens do not reach.
func TestForkCopiesThreadsShare(t *testing.T) {
	st := seeded(t)
	st.apply(100, cloneX, cloneVals(200, 100, 100, 1, 0)) // fork
	st.apply(100, cloneX, cloneVals(102, 100, 100, 1, cloneFlag))
	st.apply(100, openatE2, map[string]any{"dirfd": -100, "name": "log"})
	st.apply(100, openatX2, map[string]any{"fd": 9, "dirfd": -100, "name": "log"})
	s := st.s
	if s.Thread(200).FDs().Get(5) == nil || s.Thread(200).FDs().Get(9) != nil {
		t.Fatal("forked child: want fd 5 copied and no fd 9")
	}
	if s.Thread(102).FDs().Get(9) == nil {
		t.Fatal("thread: want fd 9 of the shared table")
	}
	if s.Thread(200).PTID != 100 || s.Thread(102).PTID != 100 || s.Thread(102).PID != 100 {
		t.Fatalf("ptids: child %d thread %d", s.Thread(200).PTID, s.Thread(102).PTID)
	}
}
