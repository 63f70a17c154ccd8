package ctrtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// PodmanService starts a podman API service of the test's own (the
// Docker-compatible and libpod APIs) on a socket in a fresh directory,
// with env (PodmanEnv's), and returns the socket's path once the service
// answers. It shares the host's podman storage, so containers that the
// podman command runs are the service's too. The test's cleanup stops it.
// A host where the service does not start skips the test (fails it in CI).
func PodmanService(t *testing.T, env []string) string {
	t.Helper()
	testenv.Tool(t, "podman")
	// Not t.TempDir: its path can be longer than a socket path may be.
	dir, err := os.MkdirTemp("", "kestrel-podman")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "podman.sock")
	cmd := exec.Command("podman", "system", "service", "--time=0", "unix://"+sock)
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		CannotRun(t, fmt.Errorf("start podman service: %v", err))
	}
	t.Cleanup(func() { stopProcess(cmd, 5*time.Second) })
	if err := awaitPing(sock, 10*time.Second); err != nil {
		CannotRun(t, fmt.Errorf("podman service on %s: %v: %s", sock, err, logs.String()))
	}
	return sock
}

// stopProcess ends a service the test started: SIGTERM, then SIGKILL if
// it has not exited within limit.
func stopProcess(cmd *exec.Cmd, limit time.Duration) {
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
	}
}

// awaitPing waits until the Engine API on sock answers /_ping.
func awaitPing(sock string, limit time.Duration) error {
	c := &http.Client{
		Timeout: time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(limit)
	for {
		resp, err := c.Get("http://d/_ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("ping: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
