package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestCaptureRingLive runs `kestrel capture --ring --trigger`: nothing is
// written until the trigger matches; then one capture holds what came
// before the trigger (a file opened a second earlier) and the trigger
// itself, 0600, and sysdig 0.29.3 reads it with the same names as
// Kestrel; the command ends by itself after --after.
func TestCaptureRingLive(t *testing.T) {
	ebpftest.Live(t)
	sysdig := testenv.Tool(t, "sysdig")
	dir := t.TempDir()
	before, trigger := filepath.Join(dir, "before-marker"), filepath.Join(dir, "trigger-marker")
	for _, f := range []string{before, trigger} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	prefix := filepath.Join(dir, "incident")
	o := CaptureOptions{Write: prefix, Ring: RingOptions{Enabled: true, Before: 3 * time.Second, After: 500 * time.Millisecond,
		Memory: 16, Trigger: fmt.Sprintf("evt.type in (open, openat, openat2) and fd.name = %s", trigger)}}
	ready := make(chan struct{})
	o.Ready = func() { close(ready) }
	var stderr syncBuffer
	var wg sync.WaitGroup
	var err error
	wg.Go(func() { err = Capture(context.Background(), o, io.Discard, &stderr) })
	select {
	case <-ready:
	case <-waitDone(&wg):
		t.Fatalf("capture ended before it started: %v\n%s", err, stderr.String())
	}
	runCmd("cat", before)
	time.Sleep(time.Second)
	if m, _ := filepath.Glob(prefix + "_*"); len(m) != 0 {
		t.Fatalf("a capture was written before the trigger: %v", m)
	}
	runCmd("cat", trigger)
	select {
	case <-waitDone(&wg):
	case <-time.After(20 * time.Second):
		t.Fatalf("capture --ring did not end after its trigger\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("capture: %v\n%s", err, stderr.String())
	}
	files, _ := filepath.Glob(prefix + "_*.scap")
	if len(files) != 1 {
		t.Fatalf("captures %v, want one\n%s", files, stderr.String())
	}
	if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("capture %s: %v, mode %v; want 0600", files[0], err, st.Mode())
	}
	const format = "%evt.num %proc.name %evt.type %fd.name"
	filterCat := "evt.type in (open, openat) and proc.name = cat and evt.dir = <"
	var ours bytes.Buffer
	if err := Read(context.Background(), ReadOptions{Path: files[0], Format: format, Filter: filterCat}, &ours, io.Discard); err != nil {
		t.Fatalf("kestrel read: %v", err)
	}
	theirs, err := exec.Command(sysdig, "-r", files[0], "-p", format, filterCat).CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig: %v\n%s", err, theirs)
	}
	for _, f := range []string{before, trigger} {
		if !strings.Contains(ours.String(), " "+f) {
			t.Errorf("the capture has no open of %s:\n%s", f, ours.String())
		}
	}
	if strings.TrimSpace(ours.String()) != strings.TrimSpace(string(theirs)) {
		t.Errorf("kestrel read and sysdig differ:\nkestrel:\n%s\nsysdig:\n%s", ours.String(), theirs)
	}
}
