// Package ebpftest supports the tests that run the probe against the real
// kernel: the check that the machine can, and a workload of known,
// security-relevant actions run in a child process whose results the
// tests compare with the events captured.
package ebpftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// Names of the workload's programs: symbolic links whose names become the
// process names, so that filters and assertions can single them out.
const (
	WorkloadName = "kestrel-wl"
	EchoName     = "kestrel-echo"
)

// Live skips the test when the machine cannot load the probe (not root,
// no BTF), or fails it in CI.
func Live(tb testing.TB) {
	tb.Helper()
	if err := ebpf.Check(); err != nil {
		testenv.Missing(tb, err.Error())
	}
}

// envDir tells a test binary started by [Start] to run the workload in
// that directory instead of its tests.
const envDir = "KESTREL_WORKLOAD_DIR"

// Info is what the workload did, for the tests to build the expected
// events.
type Info struct {
	Dir        string // the workload's directory
	PID        int    // the workload process
	EchoPID    int    // the child that executed EchoName
	File       string // created, then renamed to Renamed
	Renamed    string
	MemfdFD    int
	ListenFD   int
	ClientFD   int
	AcceptFD   int
	ServerPort int
	ClientPort int
	Echo       string // path of the EchoName link
	Self       int    // the workload's own pid, as it saw it
	FS         FS
	IO         IO
	Sys        Sys
	Net        Net
	Priv       Priv
}

// Workload holds a started workload.
type Workload struct {
	cmd     *exec.Cmd
	dir     string
	release io.WriteCloser // stdin of a held workload (see Hold)
	out     bytes.Buffer   // a held workload's output
	Info    Info
}

// MaybeRun runs the workload and exits when the process was started by
// [Start]; tests call it first in the helper test named by [Start].
func MaybeRun() {
	dir := os.Getenv(envDir)
	if dir == "" {
		return
	}
	info, err := run(dir)
	if err == nil {
		var b []byte
		b, err = json.Marshal(info)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "info.json"), b, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Prepare makes the workload's directory and program links under a temp
// dir; helperTest names the test function that calls [MaybeRun].
func Prepare(tb testing.TB, helperTest string) *Workload {
	tb.Helper()
	dir := tb.TempDir()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	wl := filepath.Join(dir, WorkloadName)
	if err := os.Symlink(self, wl); err != nil {
		tb.Fatal(err)
	}
	echo, err := exec.LookPath("echo")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(echo, filepath.Join(dir, EchoName)); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(wl, "-test.run=^"+helperTest+"$")
	cmd.Env = append(os.Environ(), envDir+"="+dir)
	return &Workload{cmd: cmd, dir: dir}
}

// Dir returns the directory the workload's programs run from.
func (w *Workload) Dir() string { return w.dir }

// Wrap makes the workload run under a program: prefix is its command
// line, which the workload's own is appended to (strace -f -o FILE).
func (w *Workload) Wrap(prefix ...string) {
	args := append(append([]string(nil), prefix...), w.cmd.Args...)
	env := w.cmd.Env
	w.cmd = exec.Command(args[0], args[1:]...)
	w.cmd.Env = env
}

// Hold starts the workload's process now, as a shell waiting for Run to
// let it exec the workload. A capture started after Hold then knows the
// workload's parent from its initial state: a workload started by Run
// is forked by whichever thread of the test process runs it, which a
// capture may never have seen (Kestrel does not watch its own process,
// the test's).
func (w *Workload) Hold(tb testing.TB) {
	tb.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		tb.Fatal(err)
	}
	args := append([]string{sh, "-c", `read go && exec "$@"`, "sh"}, w.cmd.Args...)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = w.cmd.Env
	w.out.Reset()
	cmd.Stdout, cmd.Stderr = &w.out, &w.out
	if w.release, err = cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("holding the workload: %v", err)
	}
	w.cmd = cmd
	tb.Cleanup(func() {
		if w.release != nil {
			w.release.Close() // the shell reads end of file and exits
			_ = cmd.Wait()
		}
	})
}

// Run runs the workload to its end and reads what it did.
func (w *Workload) Run(tb testing.TB) Info {
	tb.Helper()
	var out []byte
	var err error
	if w.release != nil {
		_, err = io.WriteString(w.release, "go\n")
		w.release.Close()
		w.release = nil
		if err == nil {
			err = w.cmd.Wait()
		}
		out = w.out.Bytes()
	} else {
		out, err = w.cmd.CombinedOutput()
	}
	if err != nil {
		tb.Fatalf("workload: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(w.dir, "info.json"))
	if err != nil {
		tb.Fatalf("workload left no report: %v\n%s", err, out)
	}
	if err := json.Unmarshal(b, &w.Info); err != nil {
		tb.Fatal(err)
	}
	w.Info.PID = w.cmd.Process.Pid
	if w.Info.Self != 0 {
		w.Info.PID = w.Info.Self
	}
	return w.Info
}

// Settle waits for the events of actions just done to leave the kernel.
func Settle() { time.Sleep(200 * time.Millisecond) }

// Lines returns the lines of out that contain every one of subs.
func Lines(out string, subs ...string) []string {
	var found []string
	for _, l := range strings.Split(out, "\n") {
		ok := true
		for _, s := range subs {
			if !strings.Contains(l, s) {
				ok = false
				break
			}
		}
		if ok && l != "" {
			found = append(found, l)
		}
	}
	return found
}
