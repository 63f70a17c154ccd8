//go:build linux && amd64

package ebpf_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
)

// pfStep is one action of the pre-filter tests' child process.
type pfStep struct {
	Op    string // "open", "openat" (relative to Dir opened as dirfd), "creat", "chdir", "wait", "loop", and on fds: see run
	Dir   string `json:",omitempty"`
	Path  string `json:",omitempty"`
	Flags int    `json:",omitempty"`
	FD    int    `json:",omitempty"` // the fd number an fd step makes or uses
	At    int    `json:",omitempty"` // "at", "opendirat": the dirfd; "dup2": the fd duplicated
	N     int    `json:",omitempty"` // "loop": opens of Path
	Sent  bool   `json:"-"`          // the parent's expectation for an open
	Check bool   `json:"-"`          // whether the parent checks it
}

// sent and dropped are the expectations of an open of path.
func sent(op, path string, flags int) pfStep {
	return pfStep{Op: op, Path: path, Flags: flags, Sent: true, Check: true}
}

func dropped(op, path string, flags int) pfStep {
	return pfStep{Op: op, Path: path, Flags: flags, Check: true}
}

const envPrefilterScript = "KESTREL_PREFILTER_SCRIPT"

// TestPrefilterHelper runs a script of pfSteps when started by runScript:
// on one locked thread, whose id it prints first.
func TestPrefilterHelper(t *testing.T) {
	script := os.Getenv(envPrefilterScript)
	if script == "" {
		t.Skip("runs only as the child of the pre-filter tests")
	}
	runtime.LockOSThread()
	var steps []pfStep
	if err := json.Unmarshal([]byte(script), &steps); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("tid %d\n", unix.Gettid())
	in := bufio.NewReader(os.Stdin)
	for _, s := range steps {
		if err := s.run(in); err != nil {
			fmt.Fprintf(os.Stderr, "%s %s: %v\n", s.Op, s.Path, err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

func (s pfStep) run(in *bufio.Reader) error {
	closeFD := func(fd int, _ error) {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	switch s.Op {
	case "open":
		closeFD(unix.Open(s.Path, s.Flags|unix.O_CLOEXEC, 0o644))
	case "creat":
		closeFD(unix.Creat(s.Path, 0o644))
	case "openat":
		dfd, err := unix.Open(s.Dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		closeFD(unix.Openat(dfd, s.Path, s.Flags|unix.O_CLOEXEC, 0o644))
		unix.Close(dfd)
	case "chdir":
		return unix.Chdir(s.Path)
	case "opendir", "opendirat": // Path (relative to the fd At) opened as the fd FD
		at := unix.AT_FDCWD
		if s.Op == "opendirat" {
			at = s.At
		}
		fd, err := unix.Openat(at, s.Path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Dup3(fd, s.FD, unix.O_CLOEXEC)
	case "at": // Path opened relative to the fd At
		closeFD(unix.Openat(s.At, s.Path, s.Flags|unix.O_CLOEXEC, 0o644))
	case "dup2":
		return unix.Dup3(s.At, s.FD, unix.O_CLOEXEC)
	case "fchdir":
		return unix.Fchdir(s.FD)
	case "close":
		return unix.Close(s.FD)
	case "rename":
		return unix.Rename(s.Dir, s.Path)
	case "wait":
		fmt.Println("waiting")
		_, err := in.ReadString('\n')
		return err
	case "loop":
		for range s.N {
			closeFD(unix.Open(s.Path, s.Flags|unix.O_CLOEXEC, 0))
		}
	default:
		return fmt.Errorf("unknown step")
	}
	return nil
}

// pfTree makes the tests' files: in/ and out/ with a few files each, in a
// temp dir without symbolic links in its path (the kernel's paths have
// none).
func pfTree(t *testing.T) (in, out string) {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	in, out = filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, d := range []string{in, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "kpf-secret", "w", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"} {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return in, out
}

// pfRun is a started child with the probe capturing its opens.
type pfRun struct {
	t      *testing.T
	p      *ebpf.Probe
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	tid    int64
	before uint64 // opens pre-filtered before the child started
	latest atomic.Uint64
	done   chan []pfOpen
	cancel context.CancelFunc
}

// pfOpen is an open event: its name and result.
type pfOpen struct {
	tid  int64
	name string
	res  int64
}

// startScript opens the probe with o and starts the child running steps.
func startScript(t *testing.T, o ebpf.Options, steps []pfStep) *pfRun {
	t.Helper()
	ebpftest.Live(t)
	checked := map[string]bool{}
	for _, s := range steps {
		if s.Check && checked[s.Path] {
			t.Fatalf("two checked opens of %s: the test cannot tell them apart", s.Path)
		}
		checked[s.Path] = s.Check
	}
	script, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	o.Syscalls = []string{"open", "openat", "openat2", "creat"}
	p, err := openLive(t, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	r := &pfRun{t: t, p: p, done: make(chan []pfOpen)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.read(ctx)
	r.cmd = exec.Command(os.Args[0], "-test.run=^TestPrefilterHelper$")
	r.cmd.Env = append(os.Environ(), envPrefilterScript+"="+string(script))
	r.cmd.Stderr = os.Stderr
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.stdout = bufio.NewReader(out)
	r.before = p.Prefiltered()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := r.line()
	if r.tid, err = strconv.ParseInt(strings.TrimPrefix(line, "tid "), 10, 64); err != nil {
		t.Fatalf("child said %q", line)
	}
	return r
}

func (r *pfRun) read(ctx context.Context) {
	var opens []pfOpen
	for {
		e, err := r.p.Next(ctx)
		if err != nil {
			r.done <- opens
			return
		}
		r.latest.Store(max(r.latest.Load(), e.TS()))
		switch e.Name() {
		case "open", "openat", "openat2", "creat":
			name, _ := e.ParamByName("name")
			opens = append(opens, pfOpen{tid: e.TID(), name: name.Str(), res: e.Param(0).Int()})
		}
	}
}

func (r *pfRun) line() string {
	r.t.Helper()
	l, err := r.stdout.ReadString('\n')
	if err != nil {
		r.t.Fatalf("child: %v", err)
	}
	return strings.TrimSpace(l)
}

// waitStep waits for the child to reach a "wait" step.
func (r *pfRun) waitStep() {
	r.t.Helper()
	if l := r.line(); l != "waiting" {
		r.t.Fatalf("child said %q", l)
	}
	ebpftest.Settle() // what came before is judged
}

// resume lets the child go on past a "wait" step.
func (r *pfRun) resume() {
	r.t.Helper()
	if _, err := io.WriteString(r.stdin, "go\n"); err != nil {
		r.t.Fatal(err)
	}
}

// finish waits for the child's end and returns its open events.
func (r *pfRun) finish() []pfOpen {
	r.t.Helper()
	r.stdin.Close()
	if err := r.cmd.Wait(); err != nil {
		r.t.Fatalf("child: %v", err)
	}
	drained(r.t, r.p, &r.latest, uint64(time.Now().UnixNano()))
	r.cancel()
	var mine []pfOpen
	for _, o := range <-r.done {
		if o.tid == r.tid {
			mine = append(mine, o)
		}
	}
	return mine
}

// checkSteps compares the child's open events with the steps' expectations
// and returns how many opens were expected to be dropped.
func checkSteps(t *testing.T, steps []pfStep, opens []pfOpen) int {
	t.Helper()
	got := map[string]int{}
	for _, o := range opens {
		got[o.name]++
	}
	drops := 0
	for _, s := range steps {
		if !s.Check {
			continue
		}
		if !s.Sent {
			drops++
		}
		switch {
		case s.Sent && got[s.Path] == 0:
			t.Errorf("%s %q (flags %#o): dropped, want sent", s.Op, s.Path, s.Flags)
		case !s.Sent && got[s.Path] != 0:
			t.Errorf("%s %q (flags %#o): sent, want dropped", s.Op, s.Path, s.Flags)
		}
	}
	return drops
}

// runScript runs steps under a probe with o and checks what was sent and
// the count of opens kept in the kernel.
func runScript(t *testing.T, o ebpf.Options, steps []pfStep) {
	t.Helper()
	r := startScript(t, o, steps)
	opens := r.finish()
	drops := checkSteps(t, steps, opens)
	n := r.p.Prefiltered() - r.before
	// The filter applies to every process: other opens may be counted.
	if o.Prefilter.Open == nil && n != 0 || n < uint64(drops) {
		t.Errorf("%d opens counted as pre-filtered, want %d or more (0 without a filter)", n, drops)
	}
	if st := r.p.Stats(); st.Dropped() != 0 {
		t.Errorf("events lost: %+v", st)
	}
	t.Logf("%d opens of the child sent; %d pre-filtered in all", len(opens), n)
}

const (
	rdonly = unix.O_RDONLY
	wronly = unix.O_WRONLY
	create = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC
)

// TestPrefilterOpens checks what the pre-filter sends: paths under a
// prefix or with a name, relative ones by their directory; paths that are
// not plain sent; directories;
// writes with WriteAll; failed opens by their path.
func TestPrefilterOpens(t *testing.T) {
	in, out := pfTree(t)
	f := &driver.OpenFilter{
		WriteAll: true,
		Any:      driver.PathSet{Prefixes: []string{in + "/"}, Names: []string{"kpf-secret"}},
	}
	steps := []pfStep{
		sent("open", in+"/a", rdonly),
		dropped("open", out+"/a", rdonly),
		sent("open", out+"/kpf-secret", rdonly),
		sent("open", out, rdonly|unix.O_DIRECTORY), // a directory
		sent("open", out+"/w", wronly),             // a write, with WriteAll
		sent("creat", out+"/created", 0),
		dropped("open", out+"/missing", rdonly),            // failed, not Failed, not in the sets
		sent("open", in+"/missing", rdonly),                // failed, in Any
		sent("open", out+"/../in/b", rdonly),               // resolved into the prefix
		sent("open", in+"/../out/b", rdonly),               // not plain: sent, as the model may name it otherwise
		sent("open", out+"//kpf-secret", rdonly),           // not plain: sent
		sent("open", out+"/./missing-odd", rdonly),         // failed and not plain: undecidable
		{Op: "chdir", Path: in}, sent("open", "c", rdonly), // relative to the cwd
		sent("open", "./d", rdonly),                            // the same, not plain
		sent("open", "missing-rel", rdonly),                    // failed and relative: undecidable
		{Op: "chdir", Path: out}, dropped("open", "e", rdonly), // resolved out of the prefix
		{Op: "openat", Dir: in, Path: "f", Flags: rdonly, Sent: true, Check: true}, // relative to a dirfd
		{Op: "openat", Dir: out, Path: "g", Flags: rdonly, Check: true},            // resolved out of the prefix
		{Op: "openat", Dir: out, Path: "../in/h", Flags: rdonly, Sent: true, Check: true},
	}
	runScript(t, ebpf.Options{Prefilter: driver.Prefilter{Open: f}}, steps)
}

// TestPrefilterFailedAndWrite checks Failed and the Write set without
// WriteAll.
func TestPrefilterFailedAndWrite(t *testing.T) {
	in, out := pfTree(t)
	f := &driver.OpenFilter{
		Failed: true,
		Any:    driver.PathSet{Prefixes: []string{in + "/"}},
		Write:  driver.PathSet{Prefixes: []string{out + "/w"}, Names: []string{"kpf-secret"}},
	}
	steps := []pfStep{
		sent("open", out+"/missing", rdonly),     // failed, with Failed
		sent("open", "missing-rel", rdonly),      // likewise
		sent("open", out+"/w", wronly),           // a write in Write
		sent("open", out+"/./w", rdonly),         // a read of the same file, not plain: sent
		dropped("open", out+"/a", wronly),        // a write not in Write
		sent("open", out+"/kpf-secret", create),  // a write of a name in Write
		sent("open", out+"//kpf-secret", rdonly), // not plain: sent
		sent("creat", out+"/w-created", 0),       // creat writes
		dropped("creat", out+"/created", 0),
		sent("open", in+"/a", rdonly),
	}
	runScript(t, ebpf.Options{Prefilter: driver.Prefilter{Open: f}}, steps)
}

// TestPrefilterZero checks that without a pre-filter every open is sent.
func TestPrefilterZero(t *testing.T) {
	in, out := pfTree(t)
	steps := []pfStep{
		sent("open", in+"/a", rdonly),
		sent("open", out+"/a", rdonly),
		sent("open", out+"/missing", rdonly),
		sent("open", in+"/../out/b", rdonly),
		{Op: "chdir", Path: out}, sent("open", "e", rdonly),
	}
	runScript(t, ebpf.Options{}, steps)
}

// TestPrefilterSet checks that SetPrefilter changes the filter while the
// probe runs, and refuses relative prefixes.
func TestPrefilterSet(t *testing.T) {
	in, out := pfTree(t)
	inF := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{in + "/"}}}}
	outF := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Names: []string{"b", "c"}}}}
	steps := []pfStep{
		sent("open", in+"/a", rdonly), dropped("open", out+"/a", rdonly),
		{Op: "wait"},
		dropped("open", in+"/e", rdonly), sent("open", out+"/b", rdonly),
		{Op: "wait"},
		sent("open", in+"/f", rdonly), sent("open", out+"/f", rdonly),
		{Op: "wait"},
		dropped("open", in+"/g", rdonly), sent("open", out+"/c", rdonly),
	}
	r := startScript(t, ebpf.Options{Prefilter: inF}, steps)
	r.waitStep()
	if err := r.p.SetPrefilter(outF); err != nil {
		t.Fatal(err)
	}
	r.resume()
	r.waitStep()
	if err := r.p.SetPrefilter(driver.Prefilter{}); err != nil {
		t.Fatal(err)
	}
	r.resume()
	r.waitStep()
	if err := r.p.SetPrefilter(outF); err != nil {
		t.Fatal(err)
	}
	bad := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{"etc/"}}}}
	if err := r.p.SetPrefilter(bad); err == nil {
		t.Error("a relative prefix was taken")
	}
	r.resume()
	checkSteps(t, steps, r.finish())
}

// TestPrefilterChange checks that no open either filter sends is dropped
// while the filter changes: the child opens a file that one filter holds
// by prefix and the other by name, while the filters alternate.
func TestPrefilterChange(t *testing.T) {
	in, _ := pfTree(t)
	const n = 20000
	path := in + "/kpf-secret"
	byPrefix := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{in + "/"}}}}
	byName := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Names: []string{"kpf-secret"}}}}
	steps := []pfStep{{Op: "wait"}, {Op: "loop", Path: path, N: n}}
	r := startScript(t, ebpf.Options{Prefilter: byPrefix}, steps)
	r.waitStep()
	stop := make(chan struct{})
	changes := make(chan int)
	start := time.Now()
	go func() {
		i := 0
		for ; ; i++ {
			select {
			case <-stop:
				changes <- i
				return
			default:
			}
			f := byPrefix
			if i%2 == 0 {
				f = byName
			}
			if err := r.p.SetPrefilter(f); err != nil {
				t.Error(err)
			}
		}
	}()
	r.resume()
	opens := r.finish()
	close(stop)
	k := <-changes
	if st := r.p.Stats(); st.Dropped() != 0 {
		t.Fatalf("events lost: %+v", st)
	}
	if len(opens) != n {
		t.Errorf("%d opens sent while the filter changed %d times, want %d", len(opens), k, n)
	}
	t.Logf("%d opens, %d changes of the filter, %v each", len(opens), k, time.Since(start)/time.Duration(max(k, 1)))
}

// at, opendir and the like are the fd steps of the relative-open tests.
func at(fd int, path string, want bool) pfStep {
	return pfStep{Op: "at", At: fd, Path: path, Flags: rdonly, Sent: want, Check: true}
}

func opendir(fd int, path string) pfStep { return pfStep{Op: "opendir", FD: fd, Path: path} }

func opendirat(fd, dirfd int, path string) pfStep {
	return pfStep{Op: "opendirat", FD: fd, At: dirfd, Path: path}
}

// TestPrefilterRelative checks the opens relative to a dirfd or to the
// working directory, which the probe judges by the directory's cached
// path: the path its open was judged by (plain), or walked at its first
// use, kept while the fd holds the same directory.
func TestPrefilterRelative(t *testing.T) {
	in, out := pfTree(t)
	for _, d := range []string{in + "/sub", out + "/sub", out + "/moved", out + "/moved-too"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"} {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink(in, out+"/link-in"); err != nil {
		t.Fatal(err)
	}
	f := &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{in + "/"}, Names: []string{"kpf-secret"}}}
	steps := []pfStep{
		// A dirfd opened by a plain path: cached at its open.
		opendir(100, in), at(100, "a", true), at(100, "b", true),
		opendir(101, out), at(101, "c", false), at(101, "d", false),
		at(101, "kpf-secret", true), // by name
		at(100, "sub/s1", true),     // plain, with '/' inside
		at(101, "sub/s2", false),
		at(101, "../in/e", true), // not plain: sent
		at(101, "./f", true),     // likewise
		at(101, "missing", true), // failed and relative: undecidable
		// Opened relative to a cached dirfd: cached by the join.
		opendirat(102, 100, "sub"), at(102, "s3", true),
		opendirat(103, 101, "sub"), at(103, "s4", false),
		// Through a symbolic link the model's path is the link's, and so
		// is the kernel's (the walk of the opened file would give in/).
		at(101, "link-in/g", false),
		opendir(104, out+"/link-in"), at(104, "h", false),
		// The fd reused for another directory: never the stale path.
		{Op: "dup2", At: 100, FD: 101}, at(101, "r1", true),
		opendir(101, out), at(101, "r2", false),
		{Op: "close", FD: 101}, opendir(101, in), at(101, "r3", true),
		// A dirfd opened by a path that is not plain: walked at its first
		// use, then cached; a rename after shows that the cache is used.
		opendir(105, out+"/moved/."), at(105, "s5", false),
		{Op: "rename", Dir: out + "/moved", Path: in + "/moved"},
		at(105, "s6", false), // out/moved/s6, the name at the first use (a walk now: in/moved/s6)
		opendir(106, in+"/moved"), at(106, "s7", true),
		// A cached directory renamed: the kernel, as the model, keeps the
		// name it had at its open.
		opendir(107, out+"/moved-too"),
		{Op: "rename", Dir: out + "/moved-too", Path: in + "/moved-too"},
		at(107, "s8", false),
		// The working directory: walked at the first relative open, then
		// cached while the process stays there.
		{Op: "chdir", Path: in}, sent("open", "r4", rdonly), sent("open", "r5", rdonly),
		{Op: "chdir", Path: out}, dropped("open", "r6", rdonly), dropped("open", "r7", rdonly),
		{Op: "chdir", Path: in}, sent("open", "r8", rdonly),
		{Op: "fchdir", FD: 103}, dropped("open", "s9", rdonly),
		{Op: "fchdir", FD: 102}, sent("open", "s1", rdonly),
		{Op: "chdir", Path: ".."}, sent("open", "r9", rdonly),
		{Op: "fchdir", FD: 104}, sent("open", "w", rdonly), // out/link-in: walked, in
	}
	runScript(t, ebpf.Options{Prefilter: driver.Prefilter{Open: f}}, steps)
}
