package state

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// noUID is the uid of an unset login uid.
const noUID = 0xFFFFFFFF

// fromSection sets what a capture's process list says of thread t.
func (s *State) fromSection(t *Thread, st *scap.Thread) {
	t.PID, t.PTID = st.PID, st.PTID
	t.VTID, t.VPID = st.VTID, st.VPID
	t.SID, t.VPGID, t.PGID = st.SID, st.VPGID, st.PGID
	t.Comm, t.Exe, t.ExePath = st.Comm, st.Exe, st.ExePath
	t.Args = append(t.Args[:0], st.Args...)
	t.Env = append(t.Env[:0], st.Env...)
	t.Cgroups = append(t.Cgroups[:0], st.Cgroups...)
	t.Root = st.Root
	t.UID, t.GID, t.Flags = st.UID, st.GID, st.Flags
	t.LoginUID, t.TTY = st.LoginUID, st.TTY
	t.FDLimit = st.FDLimit
	t.VMSize, t.VMRSS, t.VMSwap = st.VMSize, st.VMRSS, st.VMSwap
	t.PFMajor, t.PFMinor = st.PFMajor, st.PFMinor
	if st.HasCaps {
		t.CapInheritable, t.CapPermitted, t.CapEffective = st.CapInheritable, st.CapPermitted, st.CapEffective
	}
	t.ExeWritable, t.ExeUpperLayer, t.ExeLowerLayer, t.ExeFromMemfd =
		st.ExeWritable, st.ExeUpperLayer, st.ExeLowerLayer, st.ExeFromMemfd
	t.ExeIno, t.ExeInoCtime, t.ExeInoMtime = st.ExeIno, st.ExeInoCtime, st.ExeInoMtime
	t.PidnsInitStartTS = st.PidnsInitStartTS
	t.CloneTS = st.CloneTS
	s.resolveContainer(t)
}

// fromProcEvent sets what an execve or clone exit event says of thread t:
// the parameters the event's schema has, the rest left as they are.
func (s *State) fromProcEvent(t *Thread, e *event.Event) {
	n := e.NumParams()
	info := e.Info()
	for i := 0; i < n && i < len(info.Params); i++ {
		p := e.Param(i)
		name := info.Params[i].Name
		if p.Empty() {
			// A program started with no arguments (or no environment)
			// has none: it does not keep its predecessor's.
			switch name {
			case "args":
				t.Args = t.Args[:0]
			case "env":
				t.Env = t.Env[:0]
			}
			continue
		}
		switch name {
		case "args":
			t.Args = append(t.Args[:0], p.Raw...)
		case "env":
			t.Env = append(t.Env[:0], p.Raw...)
		case "cgroups":
			t.Cgroups = append(t.Cgroups[:0], p.Raw...)
		case "fdlimit":
			t.FDLimit = p.Uint()
		case "pgft_maj":
			t.PFMajor = p.Uint()
		case "pgft_min":
			t.PFMinor = p.Uint()
		case "vm_size":
			t.VMSize = uint32(p.Uint())
		case "vm_rss":
			t.VMRSS = uint32(p.Uint())
		case "vm_swap":
			t.VMSwap = uint32(p.Uint())
		case "vtid":
			t.VTID = p.Int()
		case "vpid":
			t.VPID = p.Int()
		case "vpgid":
			t.VPGID = p.Int()
		case "pgid":
			t.PGID = p.Int()
		case "loginuid":
			t.LoginUID = uint32(p.Uint())
		case "tty":
			t.TTY = uint32(p.Uint())
		case "uid":
			t.UID = uint32(p.Uint())
		case "gid":
			t.GID = uint32(p.Uint())
		case "cap_inheritable":
			t.CapInheritable = p.Uint()
		case "cap_permitted":
			t.CapPermitted = p.Uint()
		case "cap_effective":
			t.CapEffective = p.Uint()
		case "exe_ino":
			t.ExeIno = p.Uint()
		case "exe_ino_ctime":
			t.ExeInoCtime = p.Uint()
		case "exe_ino_mtime":
			t.ExeInoMtime = p.Uint()
		case "trusted_exepath":
			t.ExePath = s.intern(cstr(p.Bytes()))
		case "pidns_init_start_ts":
			t.PidnsInitStartTS = p.Uint()
		}
	}
	s.containerFromEvent(t, e)
}

// Exe flags of execve exit events (PPM_EXE_*).
const (
	exeWritable   = 1
	exeUpperLayer = 2
	exeFromMemfd  = 4
	exeLowerLayer = 8
)

// memoryExit sets the memory counters a brk, mmap or munmap exit reports
// for the calling thread.
func memoryExit(e *event.Event, th *Thread) {
	if v, ok := paramInt(e, "vm_size"); ok {
		th.VMSize = uint32(v)
	}
	if v, ok := paramInt(e, "vm_rss"); ok {
		th.VMRSS = uint32(v)
	}
	if v, ok := paramInt(e, "vm_swap"); ok {
		th.VMSwap = uint32(v)
	}
}

// switchEnter sets what a context switch reports of the thread switched
// out: its page faults, and its process's memory on the main thread.
func (s *State) switchEnter(e *event.Event, th *Thread) {
	if v, ok := paramInt(e, "pgft_maj"); ok {
		th.PFMajor = uint64(v)
	}
	if v, ok := paramInt(e, "pgft_min"); ok {
		th.PFMinor = uint64(v)
	}
	if mt := s.MainThread(th); mt != nil {
		memoryExit(e, mt)
	}
}

// cloneChildInPidns is PPM_CL_CHILD_IN_PIDNS: the child is in a pid
// namespace other than the host's.
const cloneChildInPidns = 1 << 29

// cloneInPidns reports whether the caller of clone exit e, or its child,
// lives in a pid namespace of its own, where the ids it sees are not the
// host's.
func cloneInPidns(e *event.Event, flags uint32) bool {
	if flags&cloneChildInPidns != 0 {
		return true
	}
	// A zero vtid is a producer that did not record it.
	vtid, ok := paramInt(e, "vtid")
	return ok && vtid > 0 && vtid != e.TID()
}

// execPath sets the executable's path after an execve whose exit event
// does not report it: the file name of the enter event (or of the exit
// in the current model), relative to the working directory, as sysdig
// computes it.
func (s *State) execPath(e *event.Event, th *Thread) {
	if p, ok := e.ParamByName("trusted_exepath"); ok && !p.Empty() {
		return
	}
	src := s.argsOf(e, th)
	p, ok := src.ParamByName("filename")
	if !ok || (src == e && p.Empty()) {
		return
	}
	name := cstr(p.Bytes())
	if string(name) == unknownName {
		th.ExePath = unknownName
		return
	}
	s.buf = appendJoin(s.buf[:0], th.Cwd(), name)
	th.ExePath = s.intern(s.buf)
}
