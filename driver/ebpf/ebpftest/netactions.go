package ebpftest

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Values of the network actions.
const (
	UnixSockName = "kestrel.sock" // in the workload's directory
	NetBacklog   = 4
)

// Net is what the IPv6 and unix-domain actions did. Their fds stay open
// to the end, as those of the IPv4 connection do.
type Net struct {
	V6Listen, V6Client, V6Accept       int
	V6ServerPort, V6ClientPort         int
	UnixPath                           string
	UnixListen, UnixClient, UnixAccept int
}

// netActions makes a TCP connection over [::1] and a unix-domain stream
// connection to a socket bound in dir.
func netActions(dir string, n *Net) error {
	if err := ipv6Conn(n); err != nil {
		return fmt.Errorf("ipv6: %w", err)
	}
	n.UnixPath = filepath.Join(dir, UnixSockName)
	if err := unixConn(n); err != nil {
		return fmt.Errorf("unix: %w", err)
	}
	return nil
}

func ipv6Conn(n *Net) error {
	loop := [16]byte{15: 1}
	lfd, cfd, afd, err := streamConn(unix.AF_INET6, &unix.SockaddrInet6{Addr: loop}, func(sa unix.Sockaddr) unix.Sockaddr {
		return &unix.SockaddrInet6{Addr: loop, Port: sa.(*unix.SockaddrInet6).Port}
	})
	if err != nil {
		return err
	}
	n.V6Listen, n.V6Client, n.V6Accept = lfd, cfd, afd
	if n.V6ServerPort, err = port6(lfd); err != nil {
		return err
	}
	n.V6ClientPort, err = port6(cfd)
	return err
}

func port6(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("getsockname: %w", err)
	}
	return sa.(*unix.SockaddrInet6).Port, nil
}

func unixConn(n *Net) error {
	addr := &unix.SockaddrUnix{Name: n.UnixPath}
	lfd, cfd, afd, err := streamConn(unix.AF_UNIX, addr, func(unix.Sockaddr) unix.Sockaddr { return addr })
	n.UnixListen, n.UnixClient, n.UnixAccept = lfd, cfd, afd
	return err
}

// streamConn makes a listening stream socket of family bound to addr, a
// client connected to the address peer returns for the bound one, and
// the accepted end.
func streamConn(family int, addr unix.Sockaddr, peer func(unix.Sockaddr) unix.Sockaddr) (lfd, cfd, afd int, err error) {
	if lfd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return 0, 0, 0, fmt.Errorf("socket: %w", err)
	}
	if err = unix.Bind(lfd, addr); err != nil {
		return 0, 0, 0, fmt.Errorf("bind: %w", err)
	}
	if err = unix.Listen(lfd, NetBacklog); err != nil {
		return 0, 0, 0, fmt.Errorf("listen: %w", err)
	}
	bound, err := unix.Getsockname(lfd)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("getsockname: %w", err)
	}
	if cfd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return 0, 0, 0, fmt.Errorf("socket: %w", err)
	}
	if err = unix.Connect(cfd, peer(bound)); err != nil {
		return 0, 0, 0, fmt.Errorf("connect: %w", err)
	}
	if afd, _, err = unix.Accept4(lfd, unix.SOCK_CLOEXEC); err != nil {
		return 0, 0, 0, fmt.Errorf("accept4: %w", err)
	}
	return lfd, cfd, afd, nil
}
