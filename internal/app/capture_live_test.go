package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestCaptureWorkloadHelper is the workload process of the live tests.
func TestCaptureWorkloadHelper(t *testing.T) {
	ebpftest.MaybeRun()
	t.Skip("runs only as the workload of the live capture tests")
}

// liveFilter selects the processes of the workload that runs from dir
// (the workload and the echo it runs, whose argv[0] has no directory),
// and not those of another package's tests running at the same time.
func liveFilter(dir string) string {
	return fmt.Sprintf("proc.name in (%s, %s) and (proc.exe startswith %q or proc.pexe startswith %[3]q)", ebpftest.WorkloadName, ebpftest.EchoName, dir+"/")
}

// captureWorkload runs Capture with o, filtered by liveFilter, while the
// workload runs, and returns what it printed and the workload's report.
func captureWorkload(t *testing.T, o CaptureOptions) (string, string, ebpftest.Info) {
	t.Helper()
	ebpftest.Live(t)
	wl := ebpftest.Prepare(t, "TestCaptureWorkloadHelper")
	wl.Hold(t) // its parent is in the capture's initial state
	o.Filter = liveFilter(wl.Dir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	o.Ready = func() { close(ready) }
	var out, errOut bytes.Buffer
	var err error
	var wg sync.WaitGroup
	wg.Go(func() { err = Capture(ctx, o, &out, &errOut) })
	select {
	case <-ready:
	case <-waitDone(&wg):
		t.Fatalf("capture ended before it started: %v\n%s", err, errOut.String())
	}
	info := wl.Run(t)
	ebpftest.Settle()
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("capture: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String(), info
}

func waitDone(wg *sync.WaitGroup) <-chan struct{} {
	c := make(chan struct{})
	go func() { wg.Wait(); close(c) }()
	return c
}

const liveFormat = "*%evt.num|%evt.type|%proc.name|%proc.pname|%thread.tid|%fd.name|%fd.cip|%fd.cport|%fd.sip|%fd.sport|%evt.args"

func TestCaptureLive(t *testing.T) {
	out, stderr, in := captureWorkload(t, CaptureOptions{Format: liveFormat})
	t.Logf("stderr: %s", stderr)
	if !strings.Contains(stderr, " 0 dropped") {
		t.Errorf("drops reported: %s", stderr)
	}
	wl, echo := ebpftest.WorkloadName, ebpftest.EchoName
	cport, sport := in.ClientPort, in.ServerPort
	tuple := fmt.Sprintf("127.0.0.1:%d->127.0.0.1:%d", cport, sport)
	want := [][]string{
		{"|openat|" + wl + "|", fmt.Sprintf("|%s|", in.File), fmt.Sprintf("dirfd=-100(AT_FDCWD) name=%s flags=", in.File), "O_WRONLY", "O_CREAT", "O_CLOEXEC", "O_F_CREATED", "mode=0600"},
		{"|rename|" + wl + "|", fmt.Sprintf("res=0 oldpath=%s newpath=%s", in.File, in.Renamed)},
		{"|fchmodat|" + wl + "|", fmt.Sprintf("res=0 dirfd=-100(AT_FDCWD) filename=%s mode=0640", in.Renamed)},
		{"|memfd_create|" + wl + "|", fmt.Sprintf("fd=%d", in.MemfdFD), "name=" + ebpftest.MemfdName, "flags=1(MFD_CLOEXEC)"},
		{"|listen|" + wl + "|", fmt.Sprintf("fd=%d(", in.ListenFD), "backlog=8"},
		{"|connect|" + wl + "|", fmt.Sprintf("|%s|127.0.0.1|%d|127.0.0.1|%d|", tuple, cport, sport), "res=0 tuple=" + tuple, fmt.Sprintf("addr=127.0.0.1:%d", sport)},
		{"|accept4|" + wl + "|", fmt.Sprintf("|%s|127.0.0.1|%d|127.0.0.1|%d|", tuple, cport, sport), fmt.Sprintf("fd=%d(<4t>%s) tuple=%s", in.AcceptFD, tuple, tuple)},
		{"|setuid|" + wl + "|", "res=0 uid=0(root)"},
		{"|ptrace|" + wl + "|", "res=-3(ESRCH)", "request=3(PTRACE_PEEKDATA)", fmt.Sprintf("pid=%d", ebpftest.BadPtracePID)},
		{"|kill|" + wl + "|", fmt.Sprintf("res=0 pid=%d(%s) sig=0", in.PID, wl)},
		{"|execve|" + echo + "|" + wl + "|", fmt.Sprintf("res=0 exe=%s args=hello.kestrel. tid=%d(%s)", echo, in.EchoPID, echo), "filename=" + in.Echo},
		{"|procexit|" + echo + "|" + wl + "|", "status=0 ret=0 sig=0 core=0"},
		{"|execve|" + wl + "|", "res=0 exe=" + in.Dir + "/" + wl},
	}
	for _, w := range want {
		if len(ebpftest.Lines(out, w...)) == 0 {
			t.Errorf("no event with %q; the %s events:\n%s", w, strings.Split(w[0], "|")[0], strings.Join(ebpftest.Lines(out, w[0]), "\n"))
		}
	}
	if n := len(ebpftest.Lines(out, "|execve|"+echo+"|", fmt.Sprintf("tid=%d(", in.EchoPID))); n != 1 {
		t.Errorf("%d execve events of %s %d, want 1", n, echo, in.EchoPID)
	}
	// The child's side of the fork that runs echo, before its execve.
	clones := ebpftest.Lines(out, "|clone|"+wl+"|", "res=0 exe="+in.Dir+"/"+wl, fmt.Sprintf("tid=%d(%s)", in.EchoPID, wl))
	if len(clones) == 0 {
		t.Errorf("no clone event for the child %d", in.EchoPID)
	}
	if t.Failed() {
		t.Logf("captured:\n%s", out)
	}
}

// compareFormat is printed by Kestrel and sysdig for the same capture.
const compareFormat = "*%evt.dir|%evt.type|%proc.name|%proc.pname|%thread.tid|%proc.cwd|%fd.name|%fd.cip|%fd.cport|%fd.sip|%fd.sport|%evt.res"

// comparedTypes are the event types of the workload that sysdig 0.29.3
// shows by name. The capture writer records accept4, dup2 and pipe2 as
// its driver did, as accept, dup and pipe events.
var comparedTypes = []string{"openat", "close", "rename", "fchmodat", "socket", "bind", "listen", "connect", "setuid", "ptrace", "kill", "execve", "procexit", "clone",
	"accept", "dup", "pipe"}

// TestCaptureWriteSysdig records the workload with -w and reads the
// capture back with Kestrel and with sysdig 0.29.3: both show the same
// events, with the same process, fd and socket names.
func TestCaptureWriteSysdig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.scap")
	_, stderr, in := captureWorkload(t, CaptureOptions{Write: path})
	t.Logf("stderr: %s", stderr)
	var out bytes.Buffer
	if err := Read(context.Background(), ReadOptions{Path: path, Format: compareFormat}, &out, io.Discard); err != nil {
		t.Fatalf("kestrel read: %v", err)
	}
	sysdig := testenv.Tool(t, "sysdig")
	cmd := exec.Command(sysdig, "-r", path, "-p", compareFormat)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	sd, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig -r: %v\n%s", err, sd)
	}
	ours, theirs := pick(out.String()), pick(string(sd))
	if len(ours) < 20 {
		t.Fatalf("only %d events compared:\n%s", len(ours), out.String())
	}
	for i := 0; i < max(len(ours), len(theirs)); i++ {
		var a, b string
		if i < len(ours) {
			a = ours[i]
		}
		if i < len(theirs) {
			b = theirs[i]
		}
		if a != b {
			t.Errorf("event %d differs:\nkestrel: %s\nsysdig:  %s", i, a, b)
			break
		}
	}
	// The workload's own actions are among them, resolved.
	tuple := fmt.Sprintf("127.0.0.1:%d->127.0.0.1:%d", in.ClientPort, in.ServerPort)
	for _, w := range [][]string{
		{"<|openat|" + ebpftest.WorkloadName + "|", "|" + in.File + "|"},
		{"<|connect|" + ebpftest.WorkloadName + "|", "|" + tuple + "|"},
		{"<|execve|" + ebpftest.EchoName + "|" + ebpftest.WorkloadName + "|", fmt.Sprintf("|%d|", in.EchoPID)},
	} {
		if len(ebpftest.Lines(string(sd), w...)) == 0 {
			t.Errorf("sysdig shows no event with %q", w)
		}
	}
}

// pick returns the lines of the compared types.
func pick(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.SplitN(l, "|", 3)
		if len(f) == 3 && slices.Contains(comparedTypes, f[1]) {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestCaptureLiveNotHeldBack checks that 'kestrel capture' writes an
// event to a pipe while it runs, not when it ends.
func TestCaptureLiveNotHeldBack(t *testing.T) {
	ebpftest.Live(t)
	path := filepath.Join(t.TempDir(), "held-back-marker")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		o := CaptureOptions{Filter: "evt.type in (open, openat) and fd.name = " + path, Format: "%proc.name %fd.name",
			Ready: func() { close(ready) }}
		Capture(ctx, o, pw, io.Discard)
		pw.Close()
	})
	defer wg.Wait()
	defer cancel()
	select {
	case <-ready:
	case <-waitDone(&wg):
		t.Fatal("capture ended before it started")
	}
	if out, err := exec.Command("cat", path).CombinedOutput(); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			line <- sc.Text()
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case l := <-line:
		if l != "cat "+path {
			t.Errorf("line %q", l)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the event was not written while the capture ran")
	}
}
