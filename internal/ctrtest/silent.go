package ctrtest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
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
