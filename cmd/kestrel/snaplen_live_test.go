package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestCaptureSnaplenLive runs 'kestrel capture' without --snaplen while a
// program writes 101 bytes: the write event holds the first 80, as
// sysdig's would.
func TestCaptureSnaplenLive(t *testing.T) {
	ebpftest.Live(t)
	bin, err := binary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	echo := testenv.Tool(t, "echo")
	// A name of its own, so that the filter sees this test's writes only.
	const name = "kestrel-snapfx"
	fixture := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(echo, fixture); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for i := range 100 {
		text.WriteByte(byte('a' + i%26))
	}
	cmd := exec.Command(bin, "capture", "-M", "20", "-p", "%evt.rawarg.size|%evt.arg.data",
		"proc.name = "+name+" and evt.type = write and evt.dir = <")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The capture gives no sign that it has started: write until it
	// reports a write.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the capture ended without reporting a write")
			}
			if want := "101|" + text.String()[:80]; l != want {
				t.Fatalf("write event:\n got %q\nwant %q", l, want)
			}
			return
		case <-tick.C:
			w := exec.Command(fixture, text.String())
			if err := w.Run(); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("no write event captured in 15s")
		}
	}
}
