package ctrtest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// SilentSocket listens on a unix socket that accepts connections and
// never answers, as a runtime that hangs; the test's cleanup closes it.
func SilentSocket(t *testing.T) string {
	t.Helper()
	// Not t.TempDir: its path can be longer than a socket path may be.
	dir, err := os.MkdirTemp("", "kestrel-silent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "silent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return path
}

// CheckOpen checks how a runtime's Open fails: on a socket that is not
// there with unavailable (containers.ErrUnavailable, given by the caller:
// the containers package's own tests use this package), and on a socket
// that never answers within about the timeout it is given. open opens the
// runtime on socket with timeout and returns its error.
func CheckOpen(t *testing.T, unavailable error, open func(socket string, timeout time.Duration) error) {
	t.Helper()
	if err := open(filepath.Join(t.TempDir(), "none.sock"), 0); !errors.Is(err, unavailable) {
		t.Errorf("Open of a missing socket: %v, want %v", err, unavailable)
	}
	const timeout = 300 * time.Millisecond
	start := time.Now()
	err := open(SilentSocket(t), timeout)
	if err == nil {
		t.Fatal("Open of a socket that never answers succeeded")
	}
	if d := time.Since(start); d > timeout+2*time.Second {
		t.Errorf("Open failed after %v, want about %v: %v", d, timeout, err)
	}
}
