package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/rules"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func lineCount(t *testing.T, path string) int { return strings.Count(readFile(t, path), "\n") }

func checkMode(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", path, st.Mode().Perm())
	}
}

// TestFileAppendEachAlert checks, without keep_alive, that the file is
// created with mode 0600, that alerts are appended to what it held, and
// that each alert opens the path afresh (a renamed file gets no more).
func TestFileAppendEachAlert(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "events.txt")
	f := newFanout(t, Options{File: FileOptions{Enabled: true, Filename: path}})
	a0, a1 := testAlert(0, rules.PriorityWarning), testAlert(1, rules.PriorityWarning)
	f.Publish(a0)
	waitFor(t, time.Second, "first alert", func() bool { return lineCount(t, path) == 1 })
	checkMode(t, path)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.Publish(a1)
	waitFor(t, time.Second, "second alert", func() bool { return lineCount(t, path) == 2 })
	if got, want := readFile(t, path), "before\n"+a1.Output+"\n"; got != want {
		t.Errorf("file %q, want %q", got, want)
	}
	if got := readFile(t, path+".1"); got != a0.Output+"\n" {
		t.Errorf("renamed file %q", got)
	}
}

// TestFileKeepAliveReopen checks keep_alive: the open file keeps getting
// alerts after a rename, until Reopen creates a new one (logrotate and
// SIGUSR1).
func TestFileKeepAliveReopen(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "events.txt")
	f := newFanout(t, Options{File: FileOptions{Enabled: true, Filename: path, KeepAlive: true}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, time.Second, "first alert", func() bool { return lineCount(t, path) == 1 })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	f.Publish(testAlert(1, rules.PriorityWarning))
	waitFor(t, time.Second, "alert in the renamed file", func() bool { return lineCount(t, path+".1") == 2 })
	f.Reopen()
	waitFor(t, time.Second, "a new file", func() bool { _, err := os.Stat(path); return err == nil })
	checkMode(t, path)
	a2 := testAlert(2, rules.PriorityWarning)
	f.Publish(a2)
	waitFor(t, time.Second, "alert in the new file", func() bool { return lineCount(t, path) == 1 })
	if got := readFile(t, path); got != a2.Output+"\n" {
		t.Errorf("new file %q", got)
	}
	if err := closeFanout(t, f, time.Second); err != nil {
		t.Fatal(err)
	}
	if s := statsOf(t, f, "file"); s.Sent != 3 {
		t.Errorf("stats %+v", s)
	}
}

// TestFileBuffered checks that a kept file with buffered_outputs gets its
// lines within about a second, and all of them at Close.
func TestFileBuffered(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "events.txt")
	f := newFanout(t, Options{Buffered: true, File: FileOptions{Enabled: true, Filename: path, KeepAlive: true}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, 1500*time.Millisecond, "flush", func() bool { return lineCount(t, path) == 1 })
	for i := 1; i < 100; i++ {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	if err := closeFanout(t, f, time.Second); err != nil {
		t.Fatal(err)
	}
	if n := lineCount(t, path); n != 100 {
		t.Errorf("%d lines after close, want 100", n)
	}
}

// TestFileUnwritable checks that an alert the file output cannot write is
// counted as failed, and that the output works once the path does.
func TestFileUnwritable(t *testing.T) {
	checkGoroutines(t)
	dir := filepath.Join(t.TempDir(), "later")
	path := filepath.Join(dir, "events.txt")
	f := newFanout(t, Options{File: FileOptions{Enabled: true, Filename: path, KeepAlive: true}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, time.Second, "failure", func() bool { return statsOf(t, f, "file").Failed == 1 })
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f.Publish(testAlert(1, rules.PriorityWarning))
	waitFor(t, time.Second, "alert", func() bool { return lineCount(t, path) == 1 })
}
