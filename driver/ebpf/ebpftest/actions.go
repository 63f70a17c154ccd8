package ebpftest

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Values the workload uses, which the tests expect in the events.
const (
	MemfdName    = "kestrel-memfd"
	BadPtracePID = 0x7ffffff0 // no such process: ptrace fails with ESRCH
	FileMode     = 0o600
	ChmodMode    = 0o640
)

// EchoArgs are the arguments the workload's child executes EchoName with.
var EchoArgs = []string{EchoName, "hello", "kestrel"}

// run performs the actions, each with a direct syscall so that the event
// type and arguments are known exactly.
func run(dir string) (Info, error) {
	in := Info{Self: os.Getpid(), Dir: dir, File: filepath.Join(dir, "created.txt"), Renamed: filepath.Join(dir, "renamed.txt"), Echo: filepath.Join(dir, EchoName)}
	fd, err := unix.Openat(unix.AT_FDCWD, in.File, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, FileMode)
	if err != nil {
		return in, fmt.Errorf("openat: %w", err)
	}
	unix.Close(fd)
	if err := rename(in.File, in.Renamed); err != nil {
		return in, fmt.Errorf("rename: %w", err)
	}
	if err := unix.Fchmodat(unix.AT_FDCWD, in.Renamed, ChmodMode, 0); err != nil {
		return in, fmt.Errorf("fchmodat: %w", err)
	}
	if in.MemfdFD, err = unix.MemfdCreate(MemfdName, unix.MFD_CLOEXEC); err != nil {
		return in, fmt.Errorf("memfd_create: %w", err)
	}
	if err := sockets(&in); err != nil {
		return in, err
	}
	if err := netActions(dir, &in.Net); err != nil {
		return in, err
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); errno != 0 {
		return in, fmt.Errorf("setuid: %w", errno)
	}
	unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_PEEKDATA, BadPtracePID, 0x1000, 0, 0, 0)
	if err := unix.Kill(os.Getpid(), 0); err != nil {
		return in, fmt.Errorf("kill: %w", err)
	}
	// The child keeps the standard fds as they are: no dup2, whose
	// current-only event sysdig 0.29.3 would not see.
	pid, err := syscall.ForkExec(in.Echo, EchoArgs, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}, Env: []string{"KESTREL_TEST=1"}})
	if err != nil {
		return in, fmt.Errorf("exec %s: %w", in.Echo, err)
	}
	in.EchoPID = pid
	var ws syscall.WaitStatus
	if _, err = syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return in, err
	}
	// Last, as a thread renames itself here.
	if err := fsActions(dir, &in.FS); err != nil {
		return in, err
	}
	if err := ioActions(dir, &in.IO); err != nil {
		return in, err
	}
	if err := sysActions(&in.Sys); err != nil {
		return in, err
	}
	return in, privActions(&in.Priv)
}

func rename(from, to string) error {
	p1, err := unix.BytePtrFromString(from)
	if err != nil {
		return err
	}
	p2, err := unix.BytePtrFromString(to)
	if err != nil {
		return err
	}
	if _, _, errno := unix.Syscall(unix.SYS_RENAME, uintptr(unsafePointer(p1)), uintptr(unsafePointer(p2)), 0); errno != 0 {
		return errno
	}
	return nil
}

// sockets listens on a loopback TCP port, connects to it and accepts.
func sockets(in *Info) error {
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	loop := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(lfd, loop); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(lfd, 8); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		return err
	}
	in.ServerPort = sa.(*unix.SockaddrInet4).Port
	cfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	if err := unix.Connect(cfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: in.ServerPort}); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if sa, err = unix.Getsockname(cfd); err != nil {
		return err
	}
	in.ClientPort = sa.(*unix.SockaddrInet4).Port
	afd, _, err := unix.Accept4(lfd, 0)
	if err != nil {
		return fmt.Errorf("accept4: %w", err)
	}
	in.ListenFD, in.ClientFD, in.AcceptFD = lfd, cfd, afd
	return nil
}
