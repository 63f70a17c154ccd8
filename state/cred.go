package state

import "github.com/kestrel-sec/kestrel/event"

// Credential and identity changes: the set*id family, capset, prctl
// PR_SET_NAME, setsid and setpgid. Each applies to the calling thread, and
// only when the syscall succeeded, as libsinsp does. Classic captures carry
// the ids in the enter event; the model saves it (see enterSaved).

// prSetName is PR_SET_NAME, the prctl option that renames the thread.
const prSetName = 15

// credSaved lists the syscalls whose classic exit event needs the ids (or,
// for execve, the file name) of the enter event.
func credSaved(name string) bool {
	switch name {
	case "setuid", "setgid", "setresuid", "setresgid", "setpgid", "execve":
		return true
	}
	return false
}

// applyCred applies the exit e of a credential or identity syscall, or of
// a memory syscall that reports the process's memory, to th. It reports
// whether name was one of them.
func (s *State) applyCred(e *event.Event, th *Thread, name string) bool {
	switch name {
	case "setuid", "setgid", "setresuid", "setresgid", "setreuid", "setregid":
		s.setIDs(e, th, name)
	case "capset":
		if succeeded(e) {
			th.CapInheritable = uintParam(e, "cap_inheritable", th.CapInheritable)
			th.CapPermitted = uintParam(e, "cap_permitted", th.CapPermitted)
			th.CapEffective = uintParam(e, "cap_effective", th.CapEffective)
		}
	case "prctl":
		s.prctlExit(e, th)
	case "setsid":
		if res, okr := paramInt(e, "res"); okr && res >= 0 {
			th.SID = res
		}
	case "setpgid":
		s.setpgidExit(e, th)
	case "brk", "mmap", "mmap2", "munmap":
		memoryExit(e, th)
	default:
		return false
	}
	return true
}

// setIDs sets the effective user or group id a successful set*id call
// gives the thread. An id of -1 (unchanged) is ignored.
func (s *State) setIDs(e *event.Event, th *Thread, name string) {
	if !succeeded(e) {
		return
	}
	var key string
	switch name {
	case "setuid":
		key = "uid"
	case "setgid":
		key = "gid"
	case "setresuid", "setreuid":
		key = "euid"
	case "setresgid", "setregid":
		key = "egid"
	}
	id, found := s.credParam(e, th, key)
	if !found || uint32(id) == noUID {
		return
	}
	if key[len(key)-3] == 'u' {
		th.UID = uint32(id)
	} else {
		th.GID = uint32(id)
	}
}

// prctlExit renames the thread after a successful PR_SET_NAME: the kernel
// keeps the first 15 bytes.
func (s *State) prctlExit(e *event.Event, th *Thread) {
	if !succeeded(e) {
		return
	}
	if opt, found := paramInt(e, "option"); !found || opt != prSetName {
		return
	}
	p, found := e.ParamByName("arg2_str")
	if !found || p.Empty() {
		return
	}
	name := cstr(p.Bytes())
	if len(name) > 15 {
		name = name[:15]
	}
	th.Comm = s.intern(name)
}

// setpgidExit moves the calling process to a process group after a
// successful setpgid(0 or own pid, pgid); a pgid of 0 makes it the leader
// of a group of its own. The ids are those of the caller's pid namespace.
func (s *State) setpgidExit(e *event.Event, th *Thread) {
	if !succeeded(e) {
		return
	}
	pid, found := s.credParam(e, th, "pid")
	if !found {
		return
	}
	pgid, _ := s.credParam(e, th, "pgid")
	own := th.VPID
	if own == -1 {
		own = th.PID
	}
	if pid != 0 && pid != own {
		return // another process's group: the model follows the caller only
	}
	if pgid == 0 {
		pgid = own
	}
	th.VPGID = pgid
	if th.VPID == -1 || th.VPID == th.PID {
		th.PGID = pgid
	}
}

// credParam returns an id parameter of the exit event or, for classic
// captures, of the saved enter event.
func (s *State) credParam(e *event.Event, th *Thread, name string) (int64, bool) {
	if v, found := paramInt(e, name); found {
		return v, true
	}
	if en := s.enterOf(e, th); en != nil {
		return paramInt(en, name)
	}
	return 0, false
}

// succeeded reports whether the syscall of exit event e succeeded (res >= 0).
func succeeded(e *event.Event) bool {
	res, found := paramInt(e, "res")
	return found && res >= 0
}

func uintParam(e *event.Event, name string, def uint64) uint64 {
	p, found := e.ParamByName(name)
	if !found || p.Empty() {
		return def
	}
	return p.Uint()
}

// noFDLimit is the fd limit of a thread whose limit is unknown (-1 as a
// signed number, as sysdig prints it).
const noFDLimit = ^uint64(0)

// userHome is what the model keeps of a user besides the name.
type userHome struct{ Home, Shell string }

// UserHome returns the home directory and shell of user uid.
func (s *State) UserHome(uid uint32) (home, shell string, ok bool) {
	h, ok := s.homes[uid]
	return h.Home, h.Shell, ok
}
