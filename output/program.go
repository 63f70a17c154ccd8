package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
)

// programStopGrace is how long a program has to end once its standard
// input is closed, before it is killed.
const programStopGrace = 2 * time.Second

// programBuffer is how many bytes a buffered program output holds before
// writing them out.
const programBuffer = 64 << 10

// ProgramOptions configure the program output (program_output): alert
// lines written to the standard input of a command run with sh -c. The
// program's standard output and error are Kestrel's.
type ProgramOptions struct {
	Enabled bool   // program_output.enabled
	Program string // program_output.program
	// KeepAlive is program_output.keep_alive: start the program once and
	// write every alert to it, starting it again if it ended; else start
	// it for each alert, write the line, close its input and wait for it
	// to end. Reopen (SIGUSR1) restarts it.
	KeepAlive bool
}

// programSink writes alert lines to a program's standard input.
type programSink struct {
	cmdline  string
	keep     bool
	buffered bool
	format   Format
	log      *slog.Logger
	p        *process // the running program, with keep_alive
	pending  []byte   // buffered lines not yet written
	restarts int      // restarts not logged yet
	lastLog  time.Time
}

func newProgram(o ProgramOptions, f Format, buffered bool, log *slog.Logger) (*programSink, error) {
	if o.Program == "" {
		return nil, errors.New("program_output.program: empty")
	}
	return &programSink{cmdline: o.Program, keep: o.KeepAlive, buffered: buffered && o.KeepAlive,
		format: f, log: log.With("output", "program")}, nil
}

func (s *programSink) Name() string { return "program" }

// Render appends the alert's line and a newline.
func (s *programSink) Render(dst []byte, a *alert.Alert) []byte {
	return append(s.format.appendLine(dst, a), '\n')
}

func (s *programSink) Send(ctx context.Context, payload []byte) error {
	if !s.keep {
		return s.runOnce(ctx, payload)
	}
	if !s.buffered {
		return s.write(ctx, payload)
	}
	s.pending = append(s.pending, payload...)
	if len(s.pending) < programBuffer {
		return nil
	}
	return s.Flush(ctx)
}

// runOnce starts the program, gives it payload and waits for it to end.
func (s *programSink) runOnce(ctx context.Context, payload []byte) error {
	p, err := startProcess(s.cmdline)
	if err != nil {
		return err
	}
	err = p.write(ctx, payload)
	if err != nil {
		err = fmt.Errorf("write to program: %w", err)
	}
	return errors.Join(err, p.stop(ctx, 0))
}

// write writes b to the kept program, starting it if it is not running,
// and starting it again if it ended before it took b.
func (s *programSink) write(ctx context.Context, b []byte) error {
	for attempt := 0; ; attempt++ {
		if err := s.ensureRunning(ctx); err != nil {
			return err
		}
		err := s.p.write(ctx, b)
		if err == nil {
			return nil
		}
		if attempt > 0 || ctx.Err() != nil {
			return fmt.Errorf("write to program: %w", err)
		}
		s.p.stop(ctx, programStopGrace) // it ended, or closed its input: try a new one
		s.p = nil
	}
}

func (s *programSink) ensureRunning(ctx context.Context) error {
	if s.p != nil && s.p.ended() {
		s.logRestart(s.p.stop(ctx, 0))
		s.p = nil
	}
	if s.p != nil {
		return nil
	}
	p, err := startProcess(s.cmdline)
	if err != nil {
		return err
	}
	s.p = p
	return nil
}

// logRestart logs that the kept program ended, at most once per logEvery.
func (s *programSink) logRestart(status error) {
	s.restarts++
	if now := time.Now(); now.Sub(s.lastLog) >= logEvery {
		s.log.Warn("program ended, starting it again", "status", status, "restarts", s.restarts)
		s.lastLog, s.restarts = now, 0
	}
}

func (s *programSink) Flush(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	err := s.write(ctx, s.pending)
	s.pending = s.pending[:0]
	return err
}

// Reopen ends the program and starts it again, as Falco does on SIGUSR1.
func (s *programSink) Reopen(ctx context.Context) error {
	if !s.keep {
		return nil
	}
	if err := s.Close(ctx); err != nil {
		return err
	}
	return s.ensureRunning(ctx)
}

// Close writes what is buffered, closes the program's input and waits for
// it to end, killing it after a grace time or when ctx ends.
func (s *programSink) Close(ctx context.Context) error {
	err := s.Flush(ctx)
	if s.p != nil {
		err = errors.Join(err, s.p.stop(ctx, programStopGrace))
		s.p = nil
	}
	return err
}

// process is a running program in its own process group, and the
// goroutine that waits for it.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File
	exited chan struct{} // closed when the program has ended
	err    error         // how it ended; read after exited
}

func startProcess(cmdline string) (*process, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start program: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", cmdline)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("start program: %w", err)
	}
	p := &process{cmd: cmd, stdin: w, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *process) ended() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// write writes b to the program's input; ctx's end interrupts it.
func (p *process) write(ctx context.Context, b []byte) error {
	stop := context.AfterFunc(ctx, func() { p.stdin.SetWriteDeadline(time.Now()) })
	defer stop()
	_, err := p.stdin.Write(b)
	return err
}

// stop closes the program's input and waits for it to end, killing its
// process group after grace (0: no limit) or when ctx ends. It returns
// how the program ended.
func (p *process) stop(ctx context.Context, grace time.Duration) error {
	p.stdin.Close()
	var timeout <-chan time.Time
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-p.exited:
		return p.exitError()
	case <-ctx.Done():
	case <-timeout:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
	return fmt.Errorf("program killed: %w", p.exitError())
}

func (p *process) exitError() error {
	if p.err != nil {
		return fmt.Errorf("program: %w", p.err)
	}
	return nil
}
