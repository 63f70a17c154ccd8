package state

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// fdKind returns the fd type of the calls that create one kind of fd and
// report it in their exit event, as current Falco libraries model them.
func fdKind(name string) uint8 {
	switch name {
	case "epoll_create", "epoll_create1":
		return scap.FDEventPoll
	case "userfaultfd":
		return scap.FDUserfaultFD
	case "io_uring_setup":
		return scap.FDIOUring
	case "memfd_create":
		return scap.FDMemFD
	case "pidfd_open":
		return scap.FDPidFD
	case "bpf":
		return scap.FDBPF
	}
	return scap.FDUnknown
}

// kindExit adds the fd a successful call of fdKind created: its "res",
// or its "fd" in the events that report it so. A memfd is named after the
// name given to memfd_create.
func (s *State) kindExit(e *event.Event, th *Thread, name string) {
	fd, ok := paramInt(e, "fd")
	if !ok {
		fd, ok = paramInt(e, "res")
	}
	if !ok || fd < 0 {
		return
	}
	f := s.addFD(th.fdt, fd)
	if f == nil {
		return
	}
	f.Type = fdKind(name)
	if name == "memfd_create" {
		if p, ok := e.ParamByName("name"); ok {
			f.Name = s.intern(cstr(p.Bytes()))
		}
	}
	th.lastFD = fd
}

// cloneNewUser is PPM_CL_CLONE_NEWUSER, in unshare's flags and setns's
// nstype.
const cloneNewUser = 1 << 20

// allCaps is every capability the kernel defines (0 to 40).
const allCaps = 1<<41 - 1

// nsExit applies a successful unshare or setns into a new user namespace:
// the thread holds every capability there, as current Falco records it.
func (s *State) nsExit(e *event.Event, th *Thread, name string) {
	if res, ok := paramInt(e, "res"); !ok || res != 0 {
		return
	}
	flag := "flags"
	if name == "setns" {
		flag = "nstype"
	}
	if fl, ok := paramInt(e, flag); !ok || fl&cloneNewUser == 0 {
		return
	}
	th.CapPermitted, th.CapEffective, th.CapInheritable = allCaps, allCaps, allCaps
}
