package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// minimalCaps is the set of capabilities live capture needs (see
// driver/ebpf/caps.go and packaging/systemd/kestrel.service).
var minimalCaps = []string{"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"}

// Users of the test: Kestrel runs as nobody; the fixture, whose process
// Kestrel must see whole, as another unprivileged user.
const (
	kestrelUID = 65534
	fixtureUID = 54321
)

// capsFixture is the name of the fixture's program: a link to sleep.
const capsFixture = "kestrel-capsfx"

// capsEnv is where the test runs Kestrel as nobody: a directory nobody can
// enter, with the binary, a writable output directory and the marker file
// that the fixture holds open and the rule watches.
type capsEnv struct {
	setpriv string
	bin     string
	dir     string // 0755
	out     string // 0777, under dir
	marker  string
	fixture *exec.Cmd
}

func newCapsEnv(t *testing.T) *capsEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root (to run kestrel as another user with chosen capabilities)")
	}
	ebpftest.Live(t)
	e := &capsEnv{setpriv: testenv.Tool(t, "setpriv")}
	built, err := binary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	// t.TempDir's directories are 0700: nobody could not enter them.
	if e.dir, err = os.MkdirTemp("", "kestrel-caps"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(e.dir) })
	if err := os.Chmod(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.bin = filepath.Join(e.dir, "kestrel")
	copyFile(t, built, e.bin, 0o755)
	e.out = filepath.Join(e.dir, "out")
	if err := os.Mkdir(e.out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(e.out, 0o777); err != nil { // whatever the umask
		t.Fatal(err)
	}
	e.marker = filepath.Join(e.dir, "kestrel-caps-marker")
	if err := os.WriteFile(e.marker, []byte("marker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.startFixture(t)
	return e
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// startFixture starts a process of fixtureUID that holds the marker open
// as fd 3: its exe, cwd, environment and fds are what a snapshot without
// CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH leaves empty.
func (e *capsEnv) startFixture(t *testing.T) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(e.dir, capsFixture)
	if err := os.Symlink(sleep, link); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(e.marker)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(link, "600")
	cmd.Dir = e.dir
	cmd.Env = []string{"KESTREL_CAPS_FIXTURE=1"}
	cmd.ExtraFiles = []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: fixtureUID, Gid: fixtureUID}}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the fixture: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	e.fixture = cmd
}

// kestrel returns the command running Kestrel as kestrelUID with exactly
// the capabilities caps (names as capabilities(7) spells them).
func (e *capsEnv) kestrel(caps []string, args ...string) *exec.Cmd {
	set := "-all"
	for _, c := range caps {
		set += ",+" + strings.ToLower(strings.TrimPrefix(c, "CAP_"))
	}
	id := strconv.Itoa(kestrelUID)
	argv := append([]string{"--reuid=" + id, "--regid=" + id, "--clear-groups",
		"--inh-caps=" + set, "--ambient-caps=" + set, e.bin}, args...)
	cmd := exec.Command(e.setpriv, argv...)
	cmd.Dir = e.out
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + e.out}
	return cmd
}

// without returns caps less drop.
func without(caps []string, drop string) []string {
	var s []string
	for _, c := range caps {
		if c != drop {
			s = append(s, c)
		}
	}
	return s
}

// TestCapsMinimalRun runs 'kestrel run' as nobody with exactly the minimal
// capabilities: it starts, alerts on an action of another user and loses
// no event.
func TestCapsMinimalRun(t *testing.T) {
	e := newCapsEnv(t)
	rules := filepath.Join(e.dir, "rules.yaml")
	rule := `- rule: Kestrel caps marker
  desc: the test's marker file opened
  condition: evt.type in (open, openat, openat2) and fd.name = ` + e.marker + `
  output: caps marker opened (proc=%proc.name uid=%user.uid file=%fd.name)
  priority: WARNING
`
	if err := os.WriteFile(rules, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := e.kestrel(minimalCaps, "run", "-M", "3", "-r", rules,
		"-o", "webserver.listen_port=0", "-o", "log_syslog=false")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var stderr bytes.Buffer
	watching := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderrPipe)
		seen := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if !seen && strings.Contains(sc.Text(), "watching this host") {
				seen = true
				close(watching)
			}
		}
		io.Copy(io.Discard, stderrPipe)
	}()
	select {
	case <-watching:
	case <-copied:
		cmd.Wait()
		t.Fatalf("kestrel run ended before watching the host; stderr:\n%s", &stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("kestrel run is not watching the host after 30s; stderr:\n%s", &stderr)
	}
	cat := exec.Command("cat", e.marker)
	cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: fixtureUID, Gid: fixtureUID}}
	if out, err := cat.CombinedOutput(); err != nil {
		t.Fatalf("cat as uid %d: %v\n%s", fixtureUID, err, out)
	}
	<-copied
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kestrel run: %v; stderr:\n%s", err, &stderr)
	}
	want := "caps marker opened (proc=cat uid=" + strconv.Itoa(fixtureUID) + " file=" + e.marker + ")"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("no alert %q; stdout:\n%s\nstderr:\n%s", want, &stdout, &stderr)
	}
	if !strings.Contains(stderr.String(), " events captured, 0 dropped (") {
		t.Errorf("events were dropped, or no summary; stderr:\n%s", &stderr)
	}
}

// TestCapsMinimalCapture records a capture as nobody with exactly the
// minimal capabilities and checks that its initial state holds the
// processes of other users whole: another unprivileged user's and root's
// (the test's own), with their executables and open files.
func TestCapsMinimalCapture(t *testing.T) {
	e := newCapsEnv(t)
	// The test holds the marker open too: root's fd table must be there.
	held, err := os.Open(e.marker)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	file := filepath.Join(e.out, "out.scap")
	cmd := e.kestrel(minimalCaps, "capture", "-M", "1", "-w", file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kestrel capture: %v\n%s", err, out)
	}
	sec := readSection(t, file)
	fds := map[int64][]scap.FD{}
	for _, l := range sec.FDs {
		fds[l.TID] = l.FDs
	}
	for _, p := range []struct {
		who  string
		pid  int
		fd   int64
		comm string
	}{
		{"uid " + strconv.Itoa(fixtureUID), e.fixture.Process.Pid, 3, capsFixture},
		{"root", os.Getpid(), int64(held.Fd()), ""},
	} {
		th := thread(sec, int64(p.pid))
		if th == nil {
			t.Errorf("%s's process %d is not in the capture", p.who, p.pid)
			continue
		}
		if p.comm != "" && th.Comm != p.comm {
			t.Errorf("%s's process %d: comm %q, want %q", p.who, p.pid, th.Comm, p.comm)
		}
		if th.ExePath == "" || th.Cwd == "" || len(th.Env) == 0 {
			t.Errorf("%s's process %d: exe %q, cwd %q, %d bytes of environment: want all (needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)",
				p.who, p.pid, th.ExePath, th.Cwd, len(th.Env))
		}
		found := false
		for _, fd := range fds[int64(p.pid)] {
			if fd.FD == p.fd && fd.Name == e.marker {
				found = true
			}
		}
		if !found {
			t.Errorf("%s's process %d: fd %d (%s) missing from its %d fds (needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)",
				p.who, p.pid, p.fd, e.marker, len(fds[int64(p.pid)]))
		}
	}
}

func readSection(t *testing.T, file string) *scap.Section {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := scap.NewReader(f, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ev event.Event
	if err := r.Next(&ev); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if r.Section() == nil {
		t.Fatal("the capture has no section")
	}
	return r.Section()
}

func thread(sec *scap.Section, tid int64) *scap.Thread {
	for i := range sec.Threads {
		if sec.Threads[i].TID == tid {
			return &sec.Threads[i]
		}
	}
	return nil
}

// TestCapsMissing checks that without any one capability of the minimal
// set, run and capture refuse to start and name exactly that one.
func TestCapsMissing(t *testing.T) {
	e := newCapsEnv(t)
	for _, drop := range minimalCaps {
		for _, args := range [][]string{
			{"run", "-M", "1", "-o", "webserver.listen_port=0", "-o", "log_syslog=false"},
			{"capture", "-M", "1", "-w", filepath.Join(e.out, "missing.scap")},
		} {
			cmd := e.kestrel(without(minimalCaps, drop), args...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Errorf("kestrel %s without %s: %v, want a failure; output:\n%s", args[0], drop, err, out)
				continue
			}
			want := "live capture needs capabilities this process lacks: " + drop + " ("
			if !strings.Contains(string(out), want) {
				t.Errorf("kestrel %s without %s: output\n%s\nwant it to say %q", args[0], drop, out, want)
			}
			if !strings.Contains(string(out), "packaging/systemd/kestrel.service") {
				t.Errorf("kestrel %s without %s: output does not say how to grant it:\n%s", args[0], drop, out)
			}
		}
	}
}
