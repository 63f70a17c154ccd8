package output

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/rules"
)

// shellQuote quotes a path for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestProgramPerAlert checks that without keep_alive each alert starts
// the program, which gets the line and ends.
func TestProgramPerAlert(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	out, starts := filepath.Join(dir, "out"), filepath.Join(dir, "starts")
	f := newFanout(t, Options{Program: ProgramOptions{Enabled: true,
		Program: "echo start >> " + shellQuote(starts) + "; cat >> " + shellQuote(out)}})
	for i := range 3 {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	want := ""
	for i := range 3 {
		want += testAlert(i, rules.PriorityWarning).Output + "\n"
	}
	if got := readFile(t, out); got != want {
		t.Errorf("program got %q, want %q", got, want)
	}
	if n := lineCount(t, starts); n != 3 {
		t.Errorf("%d starts, want 3", n)
	}
	if s := statsOf(t, f, "program"); s.Sent != 3 {
		t.Errorf("stats %+v", s)
	}
}

// TestProgramPerAlertFails checks that a program ending in failure counts
// its alert as failed.
func TestProgramPerAlertFails(t *testing.T) {
	checkGoroutines(t)
	f := newFanout(t, Options{Program: ProgramOptions{Enabled: true, Program: "cat >/dev/null; exit 3"}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, 2*time.Second, "failure", func() bool { return statsOf(t, f, "program").Failed == 1 })
}

// TestProgramKeepAlive checks that with keep_alive one program gets every
// alert, that Reopen starts another, and that Close lets it finish.
func TestProgramKeepAlive(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	out, starts := filepath.Join(dir, "out"), filepath.Join(dir, "starts")
	f := newFanout(t, Options{Program: ProgramOptions{Enabled: true, KeepAlive: true,
		Program: "echo start >> " + shellQuote(starts) + "; cat >> " + shellQuote(out)}})
	for i := range 3 {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	waitFor(t, 2*time.Second, "3 alerts", func() bool { return lineCount(t, out) == 3 })
	if n := lineCount(t, starts); n != 1 {
		t.Errorf("%d starts for 3 alerts, want 1", n)
	}
	f.Reopen()
	waitFor(t, 2*time.Second, "a restart", func() bool { return lineCount(t, starts) == 2 })
	f.Publish(testAlert(3, rules.PriorityWarning))
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := lineCount(t, out); n != 4 {
		t.Errorf("%d alerts after close, want 4", n)
	}
}

// TestProgramRestartedAfterExit checks that a kept program that ended is
// started again for the next alert, which it gets.
func TestProgramRestartedAfterExit(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	out, ends := filepath.Join(dir, "out"), filepath.Join(dir, "ends")
	// Take one line, close the input, say so, end.
	prog := "head -n 1 >> " + shellQuote(out) + "; exec 0<&-; echo end >> " + shellQuote(ends)
	f := newFanout(t, Options{Program: ProgramOptions{Enabled: true, KeepAlive: true, Program: prog}})
	for i := range 3 {
		f.Publish(testAlert(i, rules.PriorityWarning))
		waitFor(t, 2*time.Second, "the program to end", func() bool { return lineCount(t, ends) == i+1 })
	}
	want := ""
	for i := range 3 {
		want += testAlert(i, rules.PriorityWarning).Output + "\n"
	}
	if got := readFile(t, out); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if s := statsOf(t, f, "program"); s.Sent != 3 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestProgramBuffered checks that a kept program gets buffered lines
// within about a second.
func TestProgramBuffered(t *testing.T) {
	checkGoroutines(t)
	out := filepath.Join(t.TempDir(), "out")
	f := newFanout(t, Options{Buffered: true, Program: ProgramOptions{Enabled: true, KeepAlive: true,
		Program: "cat >> " + shellQuote(out)}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, 1500*time.Millisecond, "flush", func() bool { return lineCount(t, out) == 1 })
}

// TestProgramKilledAtDeadline checks that Close kills a program that
// does not end when its input closes, at Close's deadline.
func TestProgramKilledAtDeadline(t *testing.T) {
	checkGoroutines(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	f := newFanout(t, Options{Program: ProgramOptions{Enabled: true, KeepAlive: true,
		Program: "echo $$ > " + shellQuote(pidFile) + "; exec sleep 60"}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	var pid int
	waitFor(t, 2*time.Second, "the program", func() bool {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	start := time.Now()
	closeFanout(t, f, 200*time.Millisecond)
	if d := time.Since(start); d > time.Second {
		t.Errorf("close took %v", d)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("program %d still there: %v", pid, err)
	}
}
