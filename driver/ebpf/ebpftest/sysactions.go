package ebpftest

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Values of the system actions.
const (
	MmapLen      = 4 * 4096
	DupMin       = 100
	ThreadName   = "kestrel-thr"
	BadChroot    = "/nonexistent-kestrel-root"
	BadModule    = "kestrel_no_such_module"
	BadBPFCmd    = 0x7fff
	IOUringDepth = 4
)

// Sys is what the system actions did.
type Sys struct {
	MmapAddr  uint64
	DupFD     int
	ThreadTID int // the thread that renamed itself and left its UTS namespace
	UffdRes   int64
	UringRes  int64
	ModuleRes int64 // delete_module: ENOENT, or ENOSYS without module support
	SetsidRes int64 // setsid: the new session, or EPERM for a group leader
	PgidRes   int64 // setpgid(0, 0): 0, or EPERM for a session leader
}

// sysActions maps, protects and unmaps memory, duplicates an fd with
// fcntl, renames a thread and moves it to a new UTS namespace, and makes
// system calls that fail harmlessly (chroot, module, bpf) or that only
// create fds (userfaultfd, io_uring_setup).
func sysActions(s *Sys) error {
	addr, err := sys(unix.SYS_MMAP, 0, MmapLen, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	s.MmapAddr = uint64(addr)
	if _, err := sys(unix.SYS_MPROTECT, addr, MmapLen, unix.PROT_READ); err != nil {
		return fmt.Errorf("mprotect: %w", err)
	}
	if _, err := sys(unix.SYS_MUNMAP, addr, MmapLen); err != nil {
		return fmt.Errorf("munmap: %w", err)
	}
	fd, err := unix.FcntlInt(0, unix.F_DUPFD, DupMin)
	if err != nil {
		return fmt.Errorf("fcntl: %w", err)
	}
	s.DupFD = fd
	unix.Close(fd)
	if s.ThreadTID, err = threadActions(); err != nil {
		return err
	}
	sys(unix.SYS_CHROOT, BadChroot)
	r, err := sys(unix.SYS_DELETE_MODULE, BadModule, unix.O_NONBLOCK)
	s.ModuleRes = result(r, err)
	sys(unix.SYS_BPF, BadBPFCmd, 0, 0)
	r, err = sys(unix.SYS_USERFAULTFD, unix.O_CLOEXEC)
	s.UffdRes = result(r, err)
	r, err = sys(unix.SYS_SETSID)
	s.SetsidRes = result(r, err)
	r, err = sys(unix.SYS_SETPGID, 0, 0)
	s.PgidRes = result(r, err)
	var params [120]byte // struct io_uring_params
	r, err = sys(unix.SYS_IO_URING_SETUP, IOUringDepth, unsafe.Pointer(&params[0]))
	s.UringRes = result(r, err)
	return nil
}

// result is a syscall's return value as the kernel gave it.
func result(r uintptr, err error) int64 {
	if errno, ok := err.(unix.Errno); ok {
		return -int64(errno)
	}
	return int64(r)
}

// threadActions renames a thread of its own and unshares its UTS
// namespace; the thread ends with its goroutine, still locked to it.
func threadActions() (int, error) {
	type res struct {
		tid int
		err error
	}
	c := make(chan res)
	go func() {
		runtime.LockOSThread()
		tid := unix.Gettid()
		if _, err := sys(unix.SYS_PRCTL, unix.PR_SET_NAME, ThreadName); err != nil {
			c <- res{tid, fmt.Errorf("prctl: %w", err)}
			return
		}
		if _, err := sys(unix.SYS_UNSHARE, unix.CLONE_NEWUTS); err != nil {
			c <- res{tid, fmt.Errorf("unshare: %w", err)}
			return
		}
		c <- res{tid, nil}
	}()
	r := <-c
	return r.tid, r.err
}
