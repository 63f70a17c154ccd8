package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary builds the kestrel command once for the tests that run it as a
// process.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kestrel-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kestrel")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
})

// started runs kestrel with args and returns the process and its stderr.
func started(t *testing.T, stdin *os.File, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stderr = stdin, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, &stderr
}

// stopsWithin sends sig to cmd and checks that it exits within limit
// with status code.
func stopsWithin(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, sig os.Signal, limit time.Duration, code int) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // let it block
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != code {
			t.Errorf("exit: %v, want status %d; stderr:\n%s", err, code, stderr)
		}
		if d := time.Since(start); d > limit {
			t.Errorf("stopped %v after %v, want within %v", d, sig, limit)
		}
	case <-time.After(limit + stopGrace):
		t.Fatalf("still running %v after %v; stderr:\n%s", limit+stopGrace, sig, stderr)
	}
}

// TestStopsOnSignal checks that a command stops promptly on SIGINT and
// SIGTERM whatever it is blocked on: a FIFO that no writer opens, a pipe
// on standard input that sends nothing.
func TestStopsOnSignal(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "f")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, stderr := started(t, nil, "replay", fifo)
	stopsWithin(t, cmd, stderr, syscall.SIGTERM, time.Second, 143)

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd, stderr = started(t, r, "read", "-")
	r.Close()
	stopsWithin(t, cmd, stderr, os.Interrupt, time.Second, 130)
}
