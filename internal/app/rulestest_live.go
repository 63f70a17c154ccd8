package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/state"
)

// markerTimeout bounds how long a case waits for the agent to have
// processed its events.
const markerTimeout = 10 * time.Second

// outputLimit bounds what is kept of a case's commands' output.
const outputLimit = 8 << 10

// liveCheck reports why this process cannot load the probe.
func liveCheck() error { return ebpf.Check() }

// podmanMissing returns why container cases cannot run here, or "".
func podmanMissing() string {
	if _, err := exec.LookPath("podman"); err != nil {
		return "container cases need podman: " + err.Error()
	}
	return ""
}

// liveTester is the agent that the live cases of one test file run
// under: the probe, the pipeline with the file's rules and, as its only
// output, a [liveCollector].
type liveTester struct {
	dir    string // the test file's directory, where run scripts start
	probe  *ebpf.Probe
	pipe   *pipeline.Pipeline
	ctrs   *containers.Manager // nil when no container runtime answers
	col    *liveCollector
	cancel context.CancelFunc
	done   chan struct{} // closed when the pipeline stops
	err    error         // why it stopped, once done
}

// startLiveTester loads the probe with the syscalls eng needs, takes the
// host's state and starts the pipeline, as `kestrel run` does, without
// outputs.
func startLiveTester(ctx context.Context, cfg *config.Config, eng *engine.Engine, f *ruleTestFile, stderr io.Writer) (*liveTester, error) {
	probe, err := ebpf.Open(LiveOptions{}.probeOptions(runSyscalls(eng, cfg), false, 0))
	if err != nil {
		return nil, fmt.Errorf("load the probe: %w", err)
	}
	sec, err := state.Snapshot("/proc", etcRoot("", cfg.ContainerEngines), state.SnapshotOptions{})
	if err != nil {
		probe.Close()
		return nil, fmt.Errorf("take the host's state: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &liveTester{dir: filepath.Dir(f.Path), probe: probe, cancel: cancel, done: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	po := pipeline.Options{Hostname: hostnameOrEmpty(), Sweep: sweepEvery, ProcRoot: "/proc"}
	if l.ctrs = newContainerManager(ctx, cfg.ContainerEngines, log); l.ctrs != nil {
		po.Inbox = l.ctrs
	}
	l.pipe = pipeline.New(probe, sec, po)
	if l.ctrs != nil {
		l.ctrs.Start(ctx)
		l.pipe.State().WatchContainers(l.ctrs)
	}
	l.col = newLiveCollector(l.pipe.State(), l.pipe.Context())
	l.pipe.Add(pipeline.NewRules(eng, l.pipe.Context(), l.col.emit), l.col)
	go func() {
		defer close(l.done)
		l.err = l.pipe.Run(ctx, 0)
	}()
	return l, nil
}

// close stops the pipeline and the probe.
func (l *liveTester) close() error {
	l.cancel()
	<-l.done
	err := l.pipe.Close()
	if l.ctrs != nil {
		l.ctrs.Close()
	}
	return errors.Join(l.err, err)
}

// run runs one case, waits until the agent has processed its events and
// returns the alerts that came from it.
func (l *liveTester) run(ctx context.Context, c *ruleTestCase, timeout time.Duration, res *caseResult) ([]*caseAlert, error) {
	l.col.take() // what came before the case is no case's
	drops := l.probe.Stats().Dropped()
	var from func(*liveAlert) bool
	var out string
	var err error
	if c.Container != nil {
		from, out, err = runContainerCase(ctx, c.Container, timeout)
	} else {
		from, out, err = l.runHostCase(ctx, c.Run, timeout)
	}
	res.Output = out
	if err != nil {
		return nil, err
	}
	if err := l.sync(ctx); err != nil {
		return nil, err
	}
	if n := l.probe.Stats().Dropped() - drops; n > 0 {
		res.Output += fmt.Sprintf("\nkestrel: the probe dropped %d events during this case", n)
	}
	var alerts []*caseAlert
	for _, a := range l.col.take() {
		if from(&a) {
			alerts = append(alerts, newCaseAlert(a.alert))
		}
	}
	return alerts, nil
}

// runHostCase runs a script with /bin/sh in a session of its own and
// returns what tells its alerts: the thread or one of its ancestors is
// the shell, or it is in the shell's session. What the script leaves
// running is killed.
func (l *liveTester) runHostCase(ctx context.Context, script string, timeout time.Duration) (func(*liveAlert) bool, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Dir = l.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out := &limitedBuffer{max: outputLimit}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("run the case's script: %w", err)
	}
	root := int64(cmd.Process.Pid)
	err := cmd.Wait()
	syscall.Kill(-int(root), syscall.SIGKILL)
	from := func(a *liveAlert) bool { return a.sid == root || a.descendsFrom(root) }
	if ctx.Err() == context.DeadlineExceeded {
		return from, out.String(), fmt.Errorf("the case's script did not end within %v", timeout)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		out.WriteString(fmt.Sprintf("\n(the script exited with status %d)", exit.ExitCode()))
	} else if err != nil {
		return from, out.String(), fmt.Errorf("run the case's script: %w", err)
	}
	return from, out.String(), nil
}

// runContainerCase runs the case's command in a new podman container and
// returns what tells its alerts: the thread is in the container.
func runContainerCase(ctx context.Context, c *containerCase, timeout time.Duration) (func(*liveAlert) bool, string, error) {
	args := []string{"create"}
	if c.Privileged {
		args = append(args, "--privileged")
	}
	args = append(args, c.Image, "/bin/sh", "-c", c.Run)
	id, err := podman(ctx, nil, args...)
	if err != nil {
		return nil, "", err
	}
	defer podman(context.Background(), nil, "rm", "-f", "-t", "0", id)
	from := func(a *liveAlert) bool { return a.container != "" && strings.HasPrefix(id, a.container) }
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := &limitedBuffer{max: outputLimit}
	if _, err := podman(ctx, out, "start", "--attach", id); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return from, out.String(), fmt.Errorf("the container did not end within %v", timeout)
		}
		return from, out.String(), err
	}
	return from, out.String(), nil
}

// podman runs a podman command and returns its trimmed output; with out
// set, the output goes there instead.
func podman(ctx context.Context, out io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "podman", args...)
	var b, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &errb
	if out != nil {
		cmd.Stdout, cmd.Stderr = out, out
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("podman %s: %v: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(b.String()), nil
}

// sync waits until the pipeline has processed every event that happened
// before now: it runs a marker process and waits for the pipeline to see
// its exit (the probe always reports process exits).
func (l *liveTester) sync(ctx context.Context) error {
	cmd := exec.Command("/bin/sh", "-c", "read _")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("marker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("marker: %w", err)
	}
	pid := int64(cmd.Process.Pid)
	seen := l.col.expect(pid)
	stdin.Close()
	cmd.Wait()
	timer := time.NewTimer(markerTimeout)
	defer timer.Stop()
	select {
	case <-seen:
		return nil
	case <-l.done:
		return fmt.Errorf("the live agent stopped: %v", l.err)
	case <-ctx.Done():
		l.col.forget(pid)
		return ctx.Err()
	case <-timer.C:
		l.col.forget(pid)
		return fmt.Errorf("the live agent did not process the case's events within %v", markerTimeout)
	}
}

// liveCollector is the live agent's sink. On the pipeline's goroutine it
// keeps each alert with the lineage and container of the thread that
// raised it, as the model knows them at alert time, and tells the runner
// when a marker process's exit has gone through.
type liveCollector struct {
	st      *state.State
	fc      *field.Context
	waiting atomic.Int32 // markers expected, to skip the lock on most events

	mu      sync.Mutex
	alerts  []liveAlert
	markers map[int64]chan struct{}
}

// liveAlert is an alert with what attributes it to a case.
type liveAlert struct {
	alert     alert.Alert
	lineage   []int64 // ids of the thread, its process and their ancestors
	sid       int64   // the thread's session
	container string  // its container's id; "" on the host
}

// descendsFrom reports whether pid is the alert's process or one of its
// ancestors.
func (a *liveAlert) descendsFrom(pid int64) bool {
	for _, id := range a.lineage {
		if id == pid {
			return true
		}
	}
	return false
}

func newLiveCollector(st *state.State, fc *field.Context) *liveCollector {
	return &liveCollector{st: st, fc: fc, markers: map[int64]chan struct{}{}}
}

// emit keeps an alert with its attribution.
func (c *liveCollector) emit(a *alert.Alert) error {
	la := liveAlert{alert: *a}
	if t := c.fc.Thread(); t != nil {
		la.lineage, la.sid, la.container = lineage(c.st, t), t.SID, t.ContainerID
	}
	c.mu.Lock()
	c.alerts = append(c.alerts, la)
	c.mu.Unlock()
	return nil
}

// lineage returns the ids of t, its process, and their ancestors as far
// as the model knows them (with the parent id of the oldest).
func lineage(st *state.State, t *state.Thread) []int64 {
	ids := []int64{t.TID, t.PID, t.PTID}
	if mt := st.MainThread(t); mt != nil && mt != t {
		ids = append(ids, mt.PTID)
		t = mt
	}
	st.WalkParents(t, func(a *state.Thread) bool {
		ids = append(ids, a.TID, a.PID, a.PTID)
		return len(ids) < 1024
	})
	return ids
}

// Event closes a marker's channel when its process exits.
func (c *liveCollector) Event(e *event.Event, _ pipeline.Kind) error {
	if c.waiting.Load() == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.markers[e.TID()]; ok && e.Info() != nil && e.Info().Name == "procexit" {
		close(ch)
		delete(c.markers, e.TID())
		c.waiting.Add(-1)
	}
	return nil
}

// Close does nothing.
func (c *liveCollector) Close() error { return nil }

// expect returns a channel closed when the exit of pid goes through.
func (c *liveCollector) expect(pid int64) <-chan struct{} {
	ch := make(chan struct{})
	c.mu.Lock()
	c.markers[pid] = ch
	c.mu.Unlock()
	c.waiting.Add(1)
	return ch
}

// forget stops waiting for pid.
func (c *liveCollector) forget(pid int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.markers[pid]; ok {
		delete(c.markers, pid)
		c.waiting.Add(-1)
	}
}

// take returns the alerts kept so far and forgets them.
func (c *liveCollector) take() []liveAlert {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.alerts
	c.alerts = nil
	return out
}

// limitedBuffer keeps the first max bytes written to it, for goroutines
// of exec.Cmd.
type limitedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	max   int
	extra bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(len(p), l.max-l.b.Len())
	l.b.Write(p[:max(n, 0)])
	l.extra = l.extra || n < len(p)
	return len(p), nil
}

func (l *limitedBuffer) WriteString(s string) { l.Write([]byte(s)) }

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.extra {
		return l.b.String() + "\n(output cut)"
	}
	return l.b.String()
}
