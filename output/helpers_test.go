package output

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/rules"
)

// testAlert returns alert number i, of priority p.
func testAlert(i int, p rules.Priority) alert.Alert {
	return alert.Alert{
		Time:         time.Date(2026, 1, 2, 3, 4, 5, 6000+i, time.UTC),
		Rule:         "Shell in container",
		Priority:     p,
		Source:       "syscall",
		Hostname:     "node-1",
		Output:       fmt.Sprintf("03:04:05.%09d: %s Shell spawned (n=%d user=root)", 6000+i, p, i),
		Tags:         []string{"shell", "container"},
		OutputFields: json.RawMessage(fmt.Sprintf(`{"evt.time":%d,"n":%d,"user.name":"root"}`, 6000+i, i)),
	}
}

// bigAlert is alert i with an output of about size bytes.
func bigAlert(i, size int) alert.Alert {
	a := testAlert(i, rules.PriorityWarning)
	a.Output += " " + strings.Repeat("x", size)
	return a
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkGoroutines fails the test if, once its cleanups have run, more
// goroutines are left than when it began. Call it first, so that its
// cleanup runs last.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// newFanout builds a fan-out and closes it when the test ends.
func newFanout(t *testing.T, o Options) *Fanout {
	t.Helper()
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.Close(ctx)
	})
	return f
}

func closeFanout(t *testing.T, f *Fanout, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return f.Close(ctx)
}

func statsOf(t *testing.T, f *Fanout, name string) OutputStats {
	t.Helper()
	for _, s := range f.Stats() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no output %q", name)
	return OutputStats{}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func bufferLogger(b *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, nil))
}

// recordSink is an extra output that records its payloads; gate, when
// set, holds each Send until a value comes or ctx ends; fail makes every
// Send fail.
type recordSink struct {
	name    string
	gate    chan struct{}
	fail    error
	mu      sync.Mutex
	got     []string
	sending chan struct{} // gets a value when a Send begins, if not full
}

func newRecordSink(name string) *recordSink {
	return &recordSink{name: name, sending: make(chan struct{}, 1)}
}

func (r *recordSink) Name() string { return r.name }

func (r *recordSink) Render(dst []byte, a *alert.Alert) []byte { return append(dst, a.Output...) }

func (r *recordSink) Send(ctx context.Context, payload []byte) error {
	select {
	case r.sending <- struct{}{}:
	default:
	}
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, string(payload))
	return nil
}

func (r *recordSink) Flush(context.Context) error { return nil }
func (r *recordSink) Close(context.Context) error { return nil }

func (r *recordSink) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}
