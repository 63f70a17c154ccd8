package output

import (
	"bufio"
	"os"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/rules"
)

// readLine reads one line from r, failing after timeout.
func readLine(t *testing.T, r *os.File, br *bufio.Reader, timeout time.Duration) string {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(timeout))
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("no line within %v: %v", timeout, err)
	}
	return line
}

// TestStdoutPipe checks that, unbuffered, each alert reaches a pipe at
// once, in order.
func TestStdoutPipe(t *testing.T) {
	checkGoroutines(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f := newFanout(t, Options{Stdout: StdoutOptions{Enabled: true, Writer: w}})
	br := bufio.NewReader(r)
	for i := range 3 {
		a := testAlert(i, rules.PriorityNotice)
		start := time.Now()
		f.Publish(a)
		if got := readLine(t, r, br, 500*time.Millisecond); got != a.Output+"\n" {
			t.Errorf("line %q, want %q", got, a.Output)
		}
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Errorf("alert took %v to reach the pipe", d)
		}
	}
	if err := closeFanout(t, f, time.Second); err != nil {
		t.Fatal(err)
	}
	if s := statsOf(t, f, "stdout"); s.Sent != 3 || s.Failed != 0 || s.DroppedTotal() != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestStdoutBuffered checks that buffered_outputs holds lines back, but
// flushes them within about a second.
func TestStdoutBuffered(t *testing.T) {
	checkGoroutines(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	built := time.Now()
	f := newFanout(t, Options{Buffered: true, Format: Format{JSON: true}, Stdout: StdoutOptions{Enabled: true, Writer: w}})
	a := testAlert(7, rules.PriorityError)
	f.Publish(a)
	br := bufio.NewReader(r)
	if time.Since(built) < 500*time.Millisecond {
		r.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if line, err := br.ReadString('\n'); err == nil {
			t.Errorf("buffered line written at once: %q", line)
		}
	}
	got := readLine(t, r, br, 1500*time.Millisecond)
	if want := string(a.AppendJSON(nil, alert.JSONOptions{})) + "\n"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}
