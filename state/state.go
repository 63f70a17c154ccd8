// Package state keeps Kestrel's model of the host: threads and processes,
// their fd tables and working directories, users and groups. It is seeded
// from a capture's metadata (or /proc for live use) and updated by
// [State.Apply] for every event in order, the way sysdig 0.29.3's libsinsp
// updates its own. One goroutine owns a State; nothing in it locks.
//
// Ownership: a [Thread] belongs to the thread table. Threads of one process
// share a [Process] (working directory, process-level bookkeeping) and,
// when created with CLONE_FILES (as threads are), one [FDTable]; a forked
// process gets a copy of its parent's table. The State also implements
// [event.Resolver], the text sysdig prints in parentheses after values.
package state

import (
	"encoding/binary"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// Clone flags (PPM_CL_*) the model looks at.
const (
	cloneFiles  = 1 << 0
	cloneFS     = 1 << 1
	cloneThread = 1 << 13
)

// Thread is what the model knows of one thread. Ids the model does not
// know are -1. String lists (Args, Env, Cgroups) are kept as events carry
// them, NUL-terminated strings back to back; the slices belong to the
// thread and are reused.
type Thread struct {
	TID, PID, PTID   int64
	VTID, VPID       int64 // ids in the thread's pid namespace
	SID, VPGID, PGID int64 // session and process group
	Comm             string
	Exe              string // argv[0]
	ExePath          string // the executable's full path
	Args             []byte // argv[1:]
	Env              []byte
	Cgroups          []byte // "subsystem=path" entries
	Root             string // the process's root directory
	UID, GID         uint32 // effective user and group
	LoginUID         uint32 // audit login uid; 0xFFFFFFFF when unset
	TTY              uint32 // controlling terminal device number; 0 when none
	Flags            uint32 // PPM_CL_* clone flags, and exe flags of execve
	FDLimit          uint64
	VMSize, VMRSS    uint32 // KiB
	VMSwap           uint32
	PFMajor, PFMinor uint64

	CapInheritable, CapPermitted, CapEffective uint64

	ExeWritable, ExeUpperLayer, ExeLowerLayer, ExeFromMemfd bool
	ExeIno, ExeInoCtime, ExeInoMtime                        uint64 // ctime, mtime in ns since the epoch

	CloneTS          uint64 // when the thread was created (ns since the epoch); 0 when unknown
	PidnsInitStartTS uint64 // start time of its pid namespace's init
	ContainerID      string // "" for host processes

	// Partial is set for threads the model learned of from their events
	// alone: no name (Comm is "<NA>"), no process.
	Partial bool

	proc *Process
	fdt  *FDTable

	// lastFD is the fd of the thread's latest enter event that has one,
	// which the exit of the same syscall refers to (classic event model;
	// an exit alone sets it from its own parameters, see exitonly.go).
	lastFD int64
	// enter is a copy of the latest enter record of a syscall whose exit
	// needs the enter's parameters.
	enter []byte
	// pendingExit is the exit type matching the latest enter event, until
	// an exit comes (0: none): an exit without it is applied as the
	// current model's lone exit event (exitonly.go).
	pendingExit event.Type

	dead bool    // exited leader kept while other threads of its process live
	seen uint64  // time of the thread's latest event (ns since the epoch)
	lat  latency // for evt.latency (latency.go)
}

// Process returns the process the thread belongs to.
func (t *Thread) Process() *Process { return t.proc }

// FDs returns the thread's fd table (shared with its process's other
// threads when they share it), or nil.
func (t *Thread) FDs() *FDTable { return t.fdt }

// Cwd returns the thread's working directory, with a trailing '/', or "".
func (t *Thread) Cwd() string {
	if t.proc == nil {
		return ""
	}
	return t.proc.Cwd
}

// Process is what the threads of a process share.
type Process struct {
	PID     int64
	Cwd     string // with a trailing '/'
	threads int    // threads of the model that belong to it
}

// Stats counts what the bounded tables could not keep.
type Stats struct {
	ThreadOverflow uint64 // threads not added: the thread table was full
	FDOverflow     uint64 // fds not added: their table was full
}

// MaxThreads bounds the thread table.
const MaxThreads = 1 << 20

// State is the model of the host.
type State struct {
	threads map[int64]*Thread
	users   map[uint32]string
	groups  map[uint32]string
	homes   map[uint32]userHome // home directory and shell, by uid

	exited int64 // tid of a procexit applied last, removed at the next event
	exitTS uint64
	// gone are the threads that exited last (see recentlyExited).
	gone     [goneLen]goneThread
	goneNext int
	// closeT and closeFD: the fd a successful close removes at the next
	// event, as sysdig does.
	closeT  *FDTable
	closeFD int64

	// last is the thread found by the latest lookup: events come in runs
	// from one thread, which then need no map access.
	last *Thread
	// free holds removed threads and fds for reuse, so that a busy host's
	// stream of short-lived ones does not allocate one each.
	free       []*Thread
	freeFDs    []*FD
	freeTables []*FDTable
	freeProcs  []*Process
	// names interns process names and executables, which few distinct
	// values take, so that execve and clone events allocate no strings.
	names map[string]string

	stats Stats
	fdev  fdEvent        // the fd of the current event; interface addresses
	ctrs  containerTable // containers, by short id
	enter event.Event    // scratch view over a thread's saved enter record
	buf   []byte         // scratch

	// classic is set once the stream showed an enter event that current
	// producers no longer emit: it follows the classic event model.
	classic bool
}

// Bounds on what the State keeps for reuse.
const (
	maxFree  = 1024
	maxNames = 4096
)

// New returns an empty State.
func New() *State {
	return &State{
		threads: make(map[int64]*Thread), exited: -1, closeFD: -1,
		names: make(map[string]string), users: map[uint32]string{}, groups: map[uint32]string{},
		homes: map[uint32]userHome{},
	}
}

// FromSection returns a State seeded from a capture section's initial state.
func FromSection(sec *scap.Section) *State {
	s := New()
	s.Reset(sec)
	return s
}

// Stats returns the overflow counters.
func (s *State) Stats() Stats { return s.stats }

// Reset replaces the model with a capture section's initial state, as a
// new section of a concatenated capture requires.
func (s *State) Reset(sec *scap.Section) {
	for _, t := range s.threads {
		s.setFDs(t, nil)
		s.join(t, nil)
	}
	clear(s.threads)
	clear(s.users)
	clear(s.groups)
	s.exited, s.closeT, s.closeFD = -1, nil, -1
	s.gone, s.goneNext = [goneLen]goneThread{}, 0
	s.last = nil
	s.classic = false
	s.fdev.setInterfaces(sec)
	if sec == nil {
		return
	}
	clear(s.homes)
	for i := range sec.Users {
		s.users[sec.Users[i].UID] = sec.Users[i].Name
		s.homes[sec.Users[i].UID] = userHome{sec.Users[i].Home, sec.Users[i].Shell}
	}
	for i := range sec.Groups {
		s.groups[sec.Groups[i].GID] = sec.Groups[i].Name
	}
	// Leaders first, so that their threads can share their process.
	for pass := 0; pass < 2; pass++ {
		for i := range sec.Threads {
			st := &sec.Threads[i]
			leader := st.TID == st.PID
			if leader != (pass == 0) {
				continue
			}
			if s.threads[st.TID] != nil {
				continue
			}
			t := s.add(st.TID)
			if t == nil {
				continue
			}
			s.fromSection(t, st)
			var main *Thread
			if !leader {
				main = s.threads[st.PID]
			}
			if main != nil && main.proc != nil {
				s.join(t, main.proc)
			} else {
				s.join(t, s.newProcess(st.PID, dirOf(st.Cwd)))
			}
			if main != nil && st.Flags&cloneFiles != 0 {
				s.setFDs(t, main.fdt)
			} else {
				s.setFDs(t, s.newFDTable())
			}
		}
	}
	for i := range sec.FDs {
		l := &sec.FDs[i]
		t := s.threads[l.TID]
		if t == nil {
			continue
		}
		for j := range l.FDs {
			if f := s.addFD(t.fdt, l.FDs[j].FD); f != nil {
				*f = fdFromSection(&l.FDs[j])
			}
		}
	}
	s.fixInitialSockets()
	s.last = nil
}

// Thread returns the thread tid, or nil when the model does not know it.
// The Thread belongs to the model and is valid until the next [State.Apply]
// or [State.Reset]: a thread that exits is removed, and its Thread may be
// reused for another.
func (s *State) Thread(tid int64) *Thread {
	if t := s.last; t != nil && t.TID == tid {
		return t
	}
	t := s.threads[tid]
	if t != nil {
		s.last = t
	}
	return t
}

// User returns the name of user uid.
func (s *State) User(uid uint32) (string, bool) {
	n, ok := s.users[uid]
	return n, ok
}

// Group returns the name of group gid.
func (s *State) Group(gid uint32) (string, bool) {
	n, ok := s.groups[gid]
	return n, ok
}

// add puts a new thread tid in the model and returns it, zeroed but for
// its id, or nil when the table is full.
func (s *State) add(tid int64) *Thread {
	if len(s.threads) >= MaxThreads {
		s.stats.ThreadOverflow++
		return nil
	}
	var t *Thread
	if n := len(s.free); n > 0 {
		t, s.free = s.free[n-1], s.free[:n-1]
		*t = Thread{TID: tid, enter: t.enter[:0], Args: t.Args[:0], Env: t.Env[:0], Cgroups: t.Cgroups[:0]}
	} else {
		t = &Thread{TID: tid}
	}
	t.lastFD = 0 // as sysdig starts its threads
	t.VTID, t.VPID, t.SID, t.VPGID, t.PGID = -1, -1, -1, -1, -1
	t.LoginUID = noUID
	s.threads[tid] = t
	s.last = t
	return t
}

// newProcess returns a process with no threads yet, reusing a released one
// when it can.
func (s *State) newProcess(pid int64, cwd string) *Process {
	var p *Process
	if n := len(s.freeProcs); n > 0 {
		p, s.freeProcs = s.freeProcs[n-1], s.freeProcs[:n-1]
	} else {
		p = new(Process)
	}
	*p = Process{PID: pid, Cwd: cwd}
	return p
}

// join makes t a thread of process p (nil: of none).
func (s *State) join(t *Thread, p *Process) {
	if old := t.proc; old != nil {
		if old.threads--; old.threads <= 0 && len(s.freeProcs) < maxFree {
			s.freeProcs = append(s.freeProcs, old)
		}
	}
	t.proc = p
	if p != nil {
		p.threads++
	}
}

// remove takes thread tid out of the model. The leader of a process whose
// other threads live on stays (sysdig keeps it for them) and goes with the
// last of them.
func (s *State) remove(tid int64) {
	t := s.threads[tid]
	if t == nil {
		return
	}
	p := t.proc
	if p != nil && t.TID == p.PID && p.threads > 1 {
		t.dead = true
		return
	}
	delete(s.threads, tid)
	if s.last == t {
		s.last = nil
	}
	s.setFDs(t, nil)
	s.join(t, nil)
	if p != nil && p.threads == 1 && p.PID != tid {
		if l := s.threads[p.PID]; l != nil && l.dead && l.proc == p {
			s.remove(p.PID)
		}
	}
	if len(s.free) < maxFree {
		s.free = append(s.free, t)
	}
}

// goneLen is how many exited threads the model remembers, and goneWindow
// how long: the parent's side of a vfork (or of a clone whose child ran
// first) may come after the child has already run, exec'd and exited;
// that late event must not bring the child back, where nothing would
// ever remove it.
const (
	goneLen    = 64
	goneWindow = uint64(time.Second)
)

// goneThread is a thread that exited, and when.
type goneThread struct {
	tid int64
	ts  uint64
}

// recentlyExited reports whether thread tid exited shortly before ts.
func (s *State) recentlyExited(tid int64, ts uint64) bool {
	for _, g := range s.gone {
		if g.tid == tid && g.ts <= ts && ts-g.ts < goneWindow {
			return true
		}
	}
	return false
}

// intern returns b as a string, shared with earlier equal values.
func (s *State) intern(b []byte) string {
	if v, ok := s.names[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(s.names) < maxNames {
		s.names[v] = v
	}
	return v
}

// Len returns the number of threads in the model.
func (s *State) Len() int { return len(s.threads) }

// Apply updates the model with one event. A thread that exits stays
// visible while its procexit event is handled and goes at the next event;
// so does an fd that a close removes.
func (s *State) Apply(e *event.Event) {
	if s.exited >= 0 {
		s.remove(s.exited)
		s.gone[s.goneNext] = goneThread{tid: s.exited, ts: s.exitTS}
		s.goneNext = (s.goneNext + 1) % goneLen
		s.exited = -1
	}
	if s.closeT != nil {
		s.removeFD(s.closeT, s.closeFD)
		s.closeT, s.closeFD = nil, -1
	}
	s.fdev.begin()
	info := e.Info()
	if info == nil {
		return
	}
	t := e.Type()
	name := info.Name
	if name == "container" {
		s.applyContainer(e)
		return
	}
	if t.IsEnter() {
		th := s.touch(e, name)
		if th == nil {
			return
		}
		th.seen = e.TS()
		th.noteLatency(e, info)
		s.applyEnter(e, th, info, name)
		return
	}
	switch name {
	case "clone", "fork", "vfork", "clone3":
		if res, ok := paramInt(e, "res"); ok && res == 0 {
			// The child's side: the clone creates the thread.
			s.applyClone(e, s.Thread(e.TID()), res)
			return
		}
	}
	th := s.touch(e, name)
	if th == nil {
		return
	}
	th.seen = e.TS()
	th.noteLatency(e, info)
	if th.pendingExit != t {
		s.exitAsEnter(e, th, name)
	}
	th.pendingExit = 0
	s.applyExit(e, th, name)
}

// touch returns the event's thread, adding one the model has never seen,
// as sysdig does for every event but procinfo: it has no name (fields
// print <NA>) until an execve or clone tells more.
func (s *State) touch(e *event.Event, name string) *Thread {
	tid := e.TID()
	if tid < 0 {
		return nil
	}
	if th := s.Thread(tid); th != nil {
		return th
	}
	if name == "procinfo" {
		return nil
	}
	return s.addPartial(tid)
}

// addPartial adds a thread the model knows nothing of but its tid, or
// returns nil when the table is full. It has what sysdig assumes of a
// thread it has not seen created: its own process, no parent, unknown
// name, executable and ids, no fd limit.
func (s *State) addPartial(tid int64) *Thread {
	th := s.add(tid)
	if th == nil {
		return nil
	}
	th.PID, th.PTID, th.Comm, th.Exe, th.Partial = tid, -1, unknownName, unknownName, true
	th.UID, th.GID, th.FDLimit = noUID, noUID, noFDLimit
	s.setFDs(th, s.newFDTable())
	s.join(th, s.newProcess(-1, ""))
	return th
}

// unknownName is the name of threads the model learned of from their events alone.
const unknownName = "<NA>"

// enterSaved lists the syscalls whose exit needs parameters of the enter.
func enterSaved(name string) bool {
	switch name {
	case "socket", "open", "openat", "openat2", "creat", "sendto", "sendmsg", "fcntl":
		return true
	}
	return false
}

func (s *State) applyEnter(e *event.Event, th *Thread, info *event.Info, name string) {
	noteEnterFD(e, th)
	s.noteEnter(e, th, info)
	if enterSaved(name) || credSaved(name) {
		th.enter = append(th.enter[:0], e.Raw()...)
	} else if len(th.enter) > 0 {
		th.enter = th.enter[:0]
	}
	switch name {
	case "procexit":
		s.exited, s.exitTS = th.TID, e.TS()
	case "switch":
		s.switchEnter(e, th)
	case "connect":
		s.connectEnter(e, th)
	}
}

// enterOf returns the saved enter event of the syscall whose exit e is, or nil.
func (s *State) enterOf(e *event.Event, th *Thread) *event.Event {
	if len(th.enter) < 26 {
		return nil
	}
	if event.Type(binary.LittleEndian.Uint16(th.enter[20:])) != e.Type()-1 {
		return nil
	}
	if s.enter.Reset(th.enter) != nil {
		return nil
	}
	return &s.enter
}

func (s *State) applyExit(e *event.Event, th *Thread, name string) {
	switch name {
	case "clone", "fork", "vfork", "clone3":
		if res, ok := paramInt(e, "res"); ok && res > 0 {
			s.applyClone(e, th, res)
		}
	case "execve", "execveat":
		s.applyExec(e, th)
	case "open", "openat", "openat2", "creat":
		s.openExit(e, th)
	case "close":
		if res, ok := paramInt(e, "res"); ok && res >= 0 && th.fdt.Get(th.lastFD) != nil {
			s.closeT, s.closeFD = th.fdt, th.lastFD
		}
	case "socket":
		s.socketExit(e, th)
	case "bind":
		s.bindExit(e, th)
	case "connect":
		s.connectExit(e, th)
	case "accept", "accept4":
		s.acceptExit(e, th)
	case "pipe", "pipe2":
		s.pairExit(e, th, scap.FDFifo)
	case "socketpair":
		s.pairExit(e, th, scap.FDUnixSock)
	case "eventfd", "eventfd2":
		s.simpleExit(e, th, scap.FDEvent)
	case "signalfd", "signalfd4":
		s.simpleExit(e, th, scap.FDSignalFD)
	case "timerfd_create":
		s.simpleExit(e, th, scap.FDTimerFD)
	case "inotify_init", "inotify_init1":
		s.simpleExit(e, th, scap.FDInotify)
	case "epoll_create", "epoll_create1", "userfaultfd", "io_uring_setup", "memfd_create", "pidfd_open", "bpf":
		s.kindExit(e, th, name)
	case "unshare", "setns":
		s.nsExit(e, th, name)
	case "dup", "dup2", "dup3":
		s.dupExit(e, th)
	case "fcntl":
		s.fcntlExit(e, th)
	case "chdir":
		if res, ok := paramInt(e, "res"); ok && res >= 0 {
			if p, ok := e.ParamByName("path"); ok {
				s.setCwd(th, p.Bytes())
			}
		}
	case "fchdir":
		if res, ok := paramInt(e, "res"); ok && res >= 0 {
			if f := th.fdt.Get(th.lastFD); f != nil {
				s.setCwd(th, []byte(f.Name))
			}
		}
	case "read", "write", "readv", "writev", "pread", "pwrite", "preadv", "pwritev":
		s.rwExit(e, th)
	case "recvfrom", "recvmsg", "recv", "recvmmsg":
		// recv and recvmmsg carry a tuple in the current model only.
		s.tupleUpdate(e, th, e, true)
	case "sendto", "sendmsg":
		s.tupleUpdate(e, th, s.argsOf(e, th), false)
	case "send", "sendmmsg":
		s.tupleUpdate(e, th, e, false)
	default:
		s.applyCred(e, th, name)
	}
}

func paramInt(e *event.Event, name string) (int64, bool) {
	p, ok := e.ParamByName(name)
	if !ok || p.Empty() {
		return 0, false
	}
	return p.Int(), true
}

func (s *State) paramStr(e *event.Event, name string) (string, bool) {
	p, ok := e.ParamByName(name)
	if !ok {
		return "", false
	}
	return s.intern(p.Bytes()), true
}

// applyClone adds the new thread from whichever side of the clone exit
// comes first: the parent (res is the child's tid, th the caller) or the
// child (res 0, th the child as the model knows it, possibly nil).
func (s *State) applyClone(e *event.Event, th *Thread, res int64) {
	flags64, _ := paramInt(e, "flags")
	flags := uint32(flags64)
	var child int64
	var parent *Thread
	if res == 0 {
		child = e.TID()
		if th != nil && !th.Partial {
			// The parent's side created it; in a pid namespace, only this
			// side knows the child's ids there.
			if cloneInPidns(e, flags) {
				th.VTID, _ = paramInt(e, "vtid")
				th.VPID, _ = paramInt(e, "vpid")
			}
			return
		}
		ptid, _ := paramInt(e, "ptid")
		if flags&cloneThread != 0 {
			ptid, _ = paramInt(e, "pid")
		}
		if parent = s.threads[ptid]; parent == nil {
			// sysdig 0.29.3 adds the parent it does not know, and gives
			// it the child's names below.
			if parent = s.addPartial(ptid); parent == nil {
				return
			}
		}
	} else {
		child = res
		parent = th
		if c := s.threads[child]; c != nil && !c.Partial {
			return // the child's side came first
		}
		if s.recentlyExited(child, e.TS()) {
			return // the child ran, and exited, before its parent returned
		}
		if cloneInPidns(e, flags) {
			// The caller or its child is in another pid namespace: the
			// child's own side creates it, with the ids it has there.
			return
		}
	}
	// A parent the model knows nothing of, not even its name: sysdig
	// 0.29.3 copies nothing from it (the child has no working directory,
	// session or group) and names it after the child.
	unnamed := parent == nil || parent.unnamed()
	c := s.threads[child]
	if c == nil {
		if c = s.add(child); c == nil {
			return
		}
	} else {
		s.last = c
	}
	c.Partial = false
	c.Flags = flags
	c.Comm, _ = s.paramStr(e, "comm")
	c.Exe, _ = s.paramStr(e, "exe")
	if c.Comm == "" {
		c.Comm = c.Exe
	}
	if uid, ok := paramInt(e, "uid"); ok {
		c.UID = uint32(uid)
	}
	if gid, ok := paramInt(e, "gid"); ok {
		c.GID = uint32(gid)
	}
	s.fromProcEvent(c, e)
	c.CloneTS = e.TS()
	if res != 0 {
		// The parent's side reports the caller's namespace ids: the
		// child's are known only when the caller is in the host's.
		c.VTID, c.VPID = -1, -1
	}
	if !unnamed {
		c.SID, c.VPGID, c.PGID, c.LoginUID, c.TTY = parent.SID, parent.VPGID, parent.PGID, parent.LoginUID, parent.TTY
		c.ExePath, c.Root, c.ContainerID = parent.ExePath, parent.Root, parent.ContainerID
	}
	s.containerFromEvent(c, e) // the event's cgroups, when it has them, over the parent's
	if parent != nil {
		if flags&cloneThread == 0 && len(c.Env) == 0 {
			c.Env = append(c.Env[:0], parent.Env...) // a new process inherits the environment
		}
		c.CapInheritable, c.CapPermitted, c.CapEffective = parent.CapInheritable, parent.CapPermitted, parent.CapEffective
		c.ExeWritable, c.ExeUpperLayer, c.ExeLowerLayer, c.ExeFromMemfd = parent.ExeWritable, parent.ExeUpperLayer, parent.ExeLowerLayer, parent.ExeFromMemfd
		c.ExeIno, c.ExeInoCtime, c.ExeInoMtime = parent.ExeIno, parent.ExeInoCtime, parent.ExeInoMtime
	}
	if res == 0 {
		c.PID, _ = paramInt(e, "pid")
		c.PTID, _ = paramInt(e, "ptid")
		if flags&cloneThread != 0 {
			c.PTID, _ = paramInt(e, "pid") // sysdig: the process's main thread
		}
	} else if flags&cloneThread != 0 {
		c.PID = parent.PID
		c.PTID = parent.TID // sysdig: the calling thread, for threads too
	} else {
		c.PID = child
		c.PTID = parent.TID
	}
	if res != 0 && !cloneInPidns(e, flags) {
		c.VTID, c.VPID = c.TID, c.PID
	}
	// Process: a thread joins its parent's; a new process gets its own,
	// with the working directory the event reports.
	if flags&cloneThread != 0 && parent != nil && parent.proc != nil && parent.proc.PID == c.PID {
		s.join(c, parent.proc)
	} else if flags&cloneThread != 0 && s.threads[c.PID] != nil && s.threads[c.PID].proc != nil {
		s.join(c, s.threads[c.PID].proc)
	} else if unnamed {
		s.join(c, s.newProcess(c.PID, ""))
	} else {
		s.join(c, s.newProcess(c.PID, s.cwdParam(e, parent)))
	}
	// Fd table: shared with CLONE_FILES, copied otherwise.
	var pt *FDTable
	if parent != nil {
		pt = parent.fdt
	}
	if flags&cloneFiles != 0 && pt != nil {
		s.setFDs(c, pt)
	} else {
		s.setFDs(c, s.copyTable(pt))
	}
	if unnamed && parent != nil {
		parent.Comm, parent.Exe, parent.ExePath = c.Comm, c.Exe, c.ExePath
		parent.Args = append(parent.Args[:0], c.Args...)
	}
}

// unnamed reports whether the model knows nothing of t but its tid, as
// sysdig tells its placeholder threads: no name and no user.
func (t *Thread) unnamed() bool { return t.Comm == unknownName && t.UID == noUID }

// applyExec gives the thread its new image after a successful execve.
func (s *State) applyExec(e *event.Event, th *Thread) {
	if res, ok := paramInt(e, "res"); !ok || res != 0 {
		return
	}
	th.Partial = false
	if exe, ok := s.paramStr(e, "exe"); ok {
		th.Exe = exe
		th.Comm = exe
	}
	if comm, ok := s.paramStr(e, "comm"); ok {
		th.Comm = comm
	}
	if pid, ok := paramInt(e, "pid"); ok {
		th.PID = pid
	}
	s.fromProcEvent(th, e)
	s.execPath(e, th)
	if fl, ok := paramInt(e, "flags"); ok {
		th.ExeWritable = fl&exeWritable != 0
		th.ExeUpperLayer = fl&exeUpperLayer != 0
		th.ExeFromMemfd = fl&exeFromMemfd != 0
		th.ExeLowerLayer = fl&exeLowerLayer != 0
	}
	if th.PTID == -1 {
		th.PTID, _ = paramInt(e, "ptid")
	}
	if th.proc == nil || th.proc.PID == -1 {
		s.join(th, s.newProcess(th.PID, s.cwdParam(e, nil)))
	}
}

// cwdParam returns the event's cwd parameter as a model working directory,
// interned, or parent's when the event has none.
func (s *State) cwdParam(e *event.Event, parent *Thread) string {
	p, ok := e.ParamByName("cwd")
	if !ok || p.Empty() {
		if parent != nil {
			return parent.Cwd()
		}
		return ""
	}
	b := p.Bytes()
	s.buf = append(s.buf[:0], b...)
	if len(s.buf) == 0 || s.buf[len(s.buf)-1] != '/' {
		s.buf = append(s.buf, '/')
	}
	return s.intern(s.buf)
}

// setCwd changes the working directory of th's process to dir, relative
// to the current one.
func (s *State) setCwd(th *Thread, dir []byte) {
	if th.proc == nil {
		return
	}
	s.buf = appendJoin(s.buf[:0], th.proc.Cwd, cstr(dir))
	if len(s.buf) == 0 || s.buf[len(s.buf)-1] != '/' {
		s.buf = append(s.buf, '/')
	}
	th.proc.Cwd = string(s.buf)
}

func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// Sizes returns the threads, open fds and containers the model holds.
// Fds are counted once per fd table (threads of a process share one).
// It walks the thread table: for metrics, not for every event.
func (s *State) Sizes() (threads, fds, containers int) {
	var prev *FDTable
	for _, t := range s.threads {
		if t.fdt != nil && t.fdt != prev && (t.TID == t.PID || t.proc == nil) {
			fds += t.fdt.Len()
			prev = t.fdt
		}
	}
	return len(s.threads), fds, len(s.ctrs.byID)
}
