package output

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/rules"
)

// TestBlockedOutputs runs a program that never reads its input and an
// HTTP server that never answers next to a fast output: Publish never
// waits, the fast output gets every alert, and Close at its deadline
// stops everything and accounts for every alert of every output.
func TestBlockedOutputs(t *testing.T) {
	checkGoroutines(t)
	answered := make(chan struct{})
	requested := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case requested <- struct{}{}:
		default:
		}
		select {
		case <-answered:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(answered) })
	fast := newRecordSink("fast")
	const capacity, total = 64, 600
	f := newFanout(t, Options{QueueCapacity: capacity,
		Program: ProgramOptions{Enabled: true, KeepAlive: true, Program: "exec sleep 60"},
		HTTP:    HTTPOptions{Enabled: true, URL: srv.URL, Timeout: time.Minute, Retries: -1},
		Sinks:   []Sink{fast}})
	f.Publish(bigAlert(0, 2048))
	<-requested
	var slowest time.Duration
	for i := 1; i < total; i++ {
		start := time.Now()
		f.Publish(bigAlert(i, 2048))
		slowest = max(slowest, time.Since(start))
		if i%32 == 0 { // let the fast output keep up
			waitFor(t, time.Second, "the fast output", func() bool { return len(fast.received()) == i+1 })
		}
	}
	if slowest > 500*time.Millisecond { // a blocked Publish would wait for ever; this allows for a loaded machine
		t.Errorf("a Publish took %v", slowest)
	}
	waitFor(t, time.Second, "the fast output", func() bool { return len(fast.received()) == total })
	if s := statsOf(t, f, "http"); s.Dropped[DropQueueFull] != total-1-capacity || s.Queued != capacity {
		t.Errorf("http while blocked: %+v", s)
	}

	start := time.Now()
	err := closeFanout(t, f, 300*time.Millisecond)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("close took %v", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close: %v", err)
	}
	for _, s := range f.Stats() {
		if n := s.Sent + s.Failed + s.DroppedTotal(); n != total || s.Queued != 0 {
			t.Errorf("%s: %d alerts accounted for, want %d: %+v", s.Name, n, total, s)
		}
	}
	if s := statsOf(t, f, "http"); s.Sent != 0 || s.Dropped[DropShutdown] != capacity+1 {
		t.Errorf("http: %+v", s)
	}
	if s := statsOf(t, f, "program"); s.Sent == 0 || s.Sent >= total/2 || s.Dropped[DropShutdown] == 0 {
		t.Errorf("program: %+v", s)
	}
	if s := statsOf(t, f, "fast"); s.Sent != total {
		t.Errorf("fast: %+v", s)
	}
}

// TestQueueFull checks that an output whose queue is full drops and
// counts exactly what does not fit, and sends the rest.
func TestQueueFull(t *testing.T) {
	checkGoroutines(t)
	slow := newRecordSink("slow")
	slow.gate = make(chan struct{})
	logs := &lockedBuffer{}
	f := newFanout(t, Options{QueueCapacity: 4, Sinks: []Sink{slow}, Logger: bufferLogger(logs)})
	f.Publish(testAlert(0, rules.PriorityWarning))
	<-slow.sending
	for i := 1; i <= 10; i++ {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	if s := statsOf(t, f, "slow"); s.Queued != 4 || s.Dropped[DropQueueFull] != 6 {
		t.Errorf("stats %+v", s)
	}
	close(slow.gate)
	if err := closeFanout(t, f, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	got := slow.received()
	if s := statsOf(t, f, "slow"); s.Sent != 5 || len(got) != 5 || s.DroppedTotal() != 6 {
		t.Errorf("stats %+v, got %d", s, len(got))
	}
	for i, out := range got {
		if want := testAlert(i, rules.PriorityWarning).Output; out != want {
			t.Errorf("alert %d: %q, want %q", i, out, want)
		}
	}
	if n := strings.Count(logs.String(), "output queue full"); n != 1 {
		t.Errorf("%d queue-full log lines, want 1:\n%s", n, logs)
	}
}

// TestCloseDrains checks that Close sends every queued alert, and that
// alerts published after Close are dropped as "closed".
func TestCloseDrains(t *testing.T) {
	checkGoroutines(t)
	a, b := newRecordSink("a"), newRecordSink("b")
	f := newFanout(t, Options{Sinks: []Sink{a, b}})
	for i := range 200 {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	f.Publish(testAlert(200, rules.PriorityWarning))
	for _, s := range f.Stats() {
		if s.Sent != 200 || s.Dropped[DropClosed] != 1 || s.DroppedTotal() != 1 {
			t.Errorf("%+v", s)
		}
	}
	if err := closeFanout(t, f, time.Second); err == nil {
		t.Error("second close succeeded")
	}
}

// TestCloseDeadline checks that at Close's deadline the alert in flight
// and the queued ones are counted as dropped for shutdown.
func TestCloseDeadline(t *testing.T) {
	checkGoroutines(t)
	stuck, ok := newRecordSink("stuck"), newRecordSink("ok")
	stuck.gate = make(chan struct{})
	f := newFanout(t, Options{QueueCapacity: 10, Sinks: []Sink{stuck, ok}})
	for i := range 5 {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	err := closeFanout(t, f, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close: %v", err)
	}
	if s := statsOf(t, f, "stuck"); s.Sent != 0 || s.Dropped[DropShutdown] != 5 {
		t.Errorf("stuck: %+v", s)
	}
	if s := statsOf(t, f, "ok"); s.Sent != 5 || s.DroppedTotal() != 0 {
		t.Errorf("ok: %+v", s)
	}
}

// TestFailuresLoggedSparingly checks that a dead output logs one line for
// many failures, and one when it works again.
func TestFailuresLoggedSparingly(t *testing.T) {
	checkGoroutines(t)
	dead := newRecordSink("dead")
	dead.fail = errors.New("connection refused")
	logs := &lockedBuffer{}
	f := newFanout(t, Options{Sinks: []Sink{dead}, Logger: bufferLogger(logs)})
	for i := range 100 {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	waitFor(t, 2*time.Second, "failures", func() bool { return statsOf(t, f, "dead").Failed == 100 })
	dead.mu.Lock()
	dead.fail = nil
	dead.mu.Unlock()
	f.Publish(testAlert(100, rules.PriorityWarning))
	if err := closeFanout(t, f, time.Second); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if n := strings.Count(out, "output failing"); n != 1 || !strings.Contains(out, "output=dead") ||
		!strings.Contains(out, "connection refused") {
		t.Errorf("%d failure lines:\n%s", n, out)
	}
	if !strings.Contains(out, "output recovered") || !strings.Contains(out, "failures=100") {
		t.Errorf("no recovery line:\n%s", out)
	}
}

// TestConcurrentUse publishes from several goroutines while others read
// stats and ask for reopens, for the race detector.
func TestConcurrentUse(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	rec := newRecordSink("rec")
	f := newFanout(t, Options{Sinks: []Sink{rec}, File: FileOptions{Enabled: true, KeepAlive: true,
		Filename: dir + "/events"}, Stdout: StdoutOptions{Enabled: true, Writer: io.Discard}})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				f.Publish(testAlert(g*100+i, rules.PriorityWarning))
				if i%10 == 0 {
					f.Stats()
					f.Reopen()
				}
			}
		})
	}
	wg.Wait()
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Stats() {
		if s.Sent+s.DroppedTotal() != 400 {
			t.Errorf("%+v", s)
		}
	}
	if n := lineCount(t, dir+"/events"); uint64(n) != statsOf(t, f, "file").Sent {
		t.Errorf("%d lines in the file, %d sent", n, statsOf(t, f, "file").Sent)
	}
}

// TestNewErrors checks the configurations New refuses.
func TestNewErrors(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{QueueCapacity: -1}, "outputs_queue.capacity -1"},
		{Options{File: FileOptions{Enabled: true}}, "file_output.filename: empty"},
		{Options{Program: ProgramOptions{Enabled: true}}, "program_output.program: empty"},
		{Options{HTTP: HTTPOptions{Enabled: true}}, "http_output.url: empty"},
		{Options{HTTP: HTTPOptions{Enabled: true, URL: "ftp://x/"}}, "want http:// or https://"},
		{Options{Sinks: []Sink{newRecordSink("a"), newRecordSink("a")}}, `output "a": configured twice`},
	}
	for _, c := range cases {
		f, err := New(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
		if f != nil {
			t.Errorf("%+v: a fan-out with an error", c.o)
		}
	}
	f, err := New(Options{})
	if err != nil || len(f.Stats()) != 0 {
		t.Fatalf("zero options: %v %v", f, err)
	}
	f.Publish(testAlert(0, rules.PriorityWarning))
	if err := f.Close(context.Background()); err != nil {
		t.Error(err)
	}
}
