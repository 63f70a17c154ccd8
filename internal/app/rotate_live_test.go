package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestCaptureRotateLive records the host for 2.5 s with -G 1: three
// files, each with a second of events, each readable on its own by Kestrel
// and sysdig. A shell started with the capture writes every 100 ms to a
// file it opened at its start: in every file its writes show its name and
// the file's path, which in the second and third files only the lists of
// processes and fds they start with can tell.
func TestCaptureRotateLive(t *testing.T) {
	ebpftest.Live(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "target.log")
	sh := exec.Command("/bin/sh", "-c", fmt.Sprintf("exec 3>>%s; while :; do echo x >&3; sleep 0.1; done", target))
	var startErr error
	defer func() {
		if sh.Process != nil {
			sh.Process.Kill()
			sh.Wait()
		}
	}()

	base := filepath.Join(dir, "live.scap")
	var errOut bytes.Buffer
	o := CaptureOptions{Write: base, LiveOptions: LiveOptions{Duration: 2500 * time.Millisecond}, Rotate: RotateOptions{Seconds: 1}}
	// The shell starts once the capture runs: the first file has its
	// clone, execve and open; the later ones know it from their fd lists
	// alone.
	o.Ready = func() { startErr = sh.Start() }
	err := Capture(context.Background(), o, io.Discard, &errOut)
	if startErr != nil {
		t.Fatal(startErr)
	}
	if err != nil {
		t.Fatalf("capture: %v\n%s", err, errOut.String())
	}
	t.Logf("stderr: %s", errOut.String())
	var names []string
	for _, n := range dirNames(t, dir) {
		if strings.HasPrefix(n, "live.scap") {
			names = append(names, n)
		}
	}
	if want := numbered("live.scap", 0, 3, 0); !slices.Equal(names, want) {
		t.Fatalf("files %q, want %q", names, want)
	}
	const format = "*%evt.rawtime|%thread.tid|%evt.type|%proc.name|%fd.num|%fd.name"
	sysdig := testenv.Tool(t, "sysdig")
	for _, name := range names {
		path := filepath.Join(dir, name)
		var out bytes.Buffer
		if err := Read(context.Background(), ReadOptions{Path: path, Format: format}, &out, io.Discard); err != nil {
			t.Fatalf("kestrel read %s: %v", name, err)
		}
		checkRotatedLive(t, "kestrel", name, out.String(), sh.Process.Pid, target)
		cmd := exec.Command(sysdig, "-r", path, "-p", format)
		sd, err := cmd.Output()
		if err != nil {
			t.Fatalf("sysdig -r %s: %v", name, err)
		}
		checkRotatedLive(t, "sysdig", name, string(sd), sh.Process.Pid, target)
	}
}

// checkRotatedLive checks what a reader shows of one file of the live
// capture: events over less than a second, and the shell's writes
// resolved.
func checkRotatedLive(t *testing.T, tool, name, out string, pid int, target string) {
	t.Helper()
	ls := lines(out)
	if len(ls) == 0 {
		t.Errorf("%s: %s shows no events", tool, name)
		return
	}
	// Events of different CPUs reach the ring a little out of time
	// order, so a file's span may pass the period by that much; the first
	// file also holds the events queued while the initial state was taken,
	// before the period's clock started.
	slack := 20 * time.Millisecond
	if strings.HasSuffix(name, "0") {
		slack = 250 * time.Millisecond
	}
	first, last := rawTime(t, ls[0]), rawTime(t, ls[len(ls)-1])
	if d := last.Sub(first); d >= time.Second+slack {
		t.Errorf("%s: %s holds %v of events, more than the period of -G 1", tool, name, d)
	}
	// The shell's echo writes through fd 1, a dup of fd 3 made for the
	// redirection: naming it takes fd 3 from the file's fd lists.
	prefix := fmt.Sprintf("|%d|write|", pid)
	writes := 0
	for _, l := range ls {
		if strings.Contains(l, prefix) {
			writes++
			if !strings.Contains(l, prefix+"sh|") || !strings.HasSuffix(l, "|"+target) {
				t.Errorf("%s: %s: %q, want the shell's write to %s", tool, name, l, target)
				return
			}
		}
	}
	if writes < 3 {
		t.Errorf("%s: %s: %d writes of the shell, want about 10", tool, name, writes)
	}
}
