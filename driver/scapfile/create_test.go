package scapfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kestrel-sec/kestrel/scap"
)

// TestCreateDevice checks that a capture written to a file that is not a
// regular one (a FIFO here; /dev/null, as benchmarks use, alike) is
// written into it, never renamed over it. /dev/null itself is not used:
// a regression would replace the host's.
func TestCreateDevice(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- len(b)
	}()
	for _, path := range []string{fifo} {
		f, err := Create(path, &scap.Section{}, scap.WriterOptions{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().IsRegular() {
			t.Fatalf("%s is now %v (%v): replaced by a regular file", path, st.Mode(), err)
		}
	}
	if n := <-got; n == 0 {
		t.Error("nothing came through the FIFO")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(fifo), ".fifo.*.tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
