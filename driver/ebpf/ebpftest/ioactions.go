package ebpftest

import (
	"fmt"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Values of the I/O actions.
const (
	WriteData  = "kestrel write data"
	PwriteData = "kestrel pwrite"
	PwritePos  = 100
	UDPData    = "kestrel datagram"
	MsgData    = "kestrel message"
)

// IO is what the I/O actions did.
type IO struct {
	DataFile     string
	DataFD       int
	ReadBuf      int    // the size read asked for
	Pipe         [2]int // made with pipe2
	PlainPipe    [2]int // made with pipe, whose inode is PlainPipeIno
	PlainPipeIno uint64
	UDPServer    int // the server's fd and port
	UDPPort      int
	UDPClient    int // the client's fd and port
	ClientPort   int
	RecvFD       int // the fd recvfrom and recvmsg read
}

// ioActions writes and reads a file, makes a pipe with pipe2 and one with
// pipe, and sends datagrams with sendto and sendmsg that recvfrom and
// recvmsg receive.
func ioActions(dir string, io *IO) error {
	io.DataFile = filepath.Join(dir, "data.txt")
	fd, err := unix.Open(io.DataFile, unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	io.DataFD = fd
	if _, err := unix.Write(fd, []byte(WriteData)); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := unix.Pwrite(fd, []byte(PwriteData), PwritePos); err != nil {
		return fmt.Errorf("pwrite: %w", err)
	}
	buf := make([]byte, 64)
	io.ReadBuf = len(buf)
	if _, err := unix.Pread(fd, buf, 0); err != nil {
		return fmt.Errorf("pread: %w", err)
	}
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		return err
	}
	if _, err := unix.Read(fd, buf); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	unix.Close(fd)
	if err := pipes(io); err != nil {
		return err
	}
	return datagrams(io)
}

// pipes makes a pipe with pipe2 and one with pipe.
func pipes(io *IO) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("pipe2: %w", err)
	}
	// The pipe, like the userfaultfd and io_uring fds, stays open to the
	// end: its event type is one sysdig 0.29.3 skips, so a close would
	// name an fd that sysdig never saw in the captures compared with it.
	// The other pipe stays open as well, like the workload's sockets.
	io.Pipe = p
	var fds [2]int32 // pipe writes two ints
	if _, err := sys(unix.SYS_PIPE, unsafe.Pointer(&fds)); err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	io.PlainPipe = [2]int{int(fds[0]), int(fds[1])}
	var st unix.Stat_t
	if err := unix.Fstat(io.PlainPipe[0], &st); err != nil {
		return fmt.Errorf("fstat pipe: %w", err)
	}
	io.PlainPipeIno = st.Ino
	return nil
}

func datagrams(io *IO) error {
	loop := [4]byte{127, 0, 0, 1}
	srv, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(srv, &unix.SockaddrInet4{Addr: loop}); err != nil {
		return err
	}
	sa, err := unix.Getsockname(srv)
	if err != nil {
		return err
	}
	io.UDPServer, io.UDPPort, io.RecvFD = srv, sa.(*unix.SockaddrInet4).Port, srv
	cli, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(cli, &unix.SockaddrInet4{Addr: loop}); err != nil {
		return err
	}
	if sa, err = unix.Getsockname(cli); err != nil {
		return err
	}
	io.UDPClient, io.ClientPort = cli, sa.(*unix.SockaddrInet4).Port
	to := &unix.SockaddrInet4{Addr: loop, Port: io.UDPPort}
	if err := unix.Sendto(cli, []byte(UDPData), 0, to); err != nil {
		return fmt.Errorf("sendto: %w", err)
	}
	buf := make([]byte, 64)
	if _, _, err := unix.Recvfrom(srv, buf, 0); err != nil {
		return fmt.Errorf("recvfrom: %w", err)
	}
	if err := sendmsg(cli, []byte(MsgData), io.UDPPort); err != nil {
		return fmt.Errorf("sendmsg: %w", err)
	}
	if _, _, _, _, err := unix.Recvmsg(srv, buf, nil, 0); err != nil {
		return fmt.Errorf("recvmsg: %w", err)
	}
	unix.Close(srv)
	unix.Close(cli)
	return nil
}

// sendmsg sends data in two iovecs to the loopback port.
func sendmsg(fd int, data []byte, port int) error {
	to := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: [4]byte{127, 0, 0, 1}}
	to.Port = uint16(port>>8) | uint16(port&0xff)<<8
	half := len(data) / 2
	iov := []unix.Iovec{{Base: &data[0]}, {Base: &data[half]}}
	iov[0].SetLen(half)
	iov[1].SetLen(len(data) - half)
	msg := unix.Msghdr{Name: (*byte)(unsafe.Pointer(&to)), Namelen: uint32(unsafe.Sizeof(to)), Iov: &iov[0]}
	msg.SetIovlen(len(iov))
	_, err := sys(unix.SYS_SENDMSG, fd, unsafe.Pointer(&msg), 0)
	return err
}
