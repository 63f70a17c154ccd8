package recorder

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/pipeline"
)

// gate is a capture file's writer that blocks every write until it is
// opened: a writer as slow as one likes.
type gate struct {
	w      io.Writer
	open   chan struct{}
	writes *atomic.Int64 // writes that waited
}

func (g *gate) Write(p []byte) (int, error) {
	g.writes.Add(1)
	<-g.open
	return g.w.Write(p)
}

// gated makes rec's capture files wait for the returned function.
func gated(rec *Recorder) (open func(), writes *atomic.Int64) {
	ch := make(chan struct{})
	writes = new(atomic.Int64)
	rec.wrapOut = func(w io.Writer) io.Writer { return &gate{w: w, open: ch, writes: writes} }
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }, writes
}

// countEvents returns how many events of the recorded stream a capture
// file holds: its exit events and procexits (it has the enter events the
// sysdig 0.29.3 profile adds, too).
func countEvents(t *testing.T, path string) int {
	t.Helper()
	src, err := scapfile.Open(context.Background(), path, scapfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		e, err := src.Next(context.Background())
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n
			}
			t.Fatalf("%s after %d events: %v", path, n, err)
		}
		if !e.Type().IsEnter() || (e.Info() != nil && e.Info().Name == "procexit") {
			n++
		}
	}
}

// TestCaptureSlowWriter checks that asking for a capture does not wait
// for its file: with a writer that cannot write at all, the capture
// request and the live events after it return at once, nothing is left
// out (the ring has room), and once the writer can write, the file holds
// every event, and Close waits for it.
func TestCaptureSlowWriter(t *testing.T) {
	h := newHost(t, 20, 10)
	p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
	rec := New(p.State(), Options{Budget: 8 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(t.TempDir(), "k")})
	open, writes := gated(rec)
	defer open()
	p.Add(rec)
	const before, after = 20_000, 2_000
	ts := h.feed(t, p, before, epoch, 10*time.Microsecond) // ~2 MiB: more than the file's buffer
	start := time.Now()
	path, err := rec.Capture(time.Second)
	asked := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	h.feed(t, p, after, ts, 10*time.Microsecond)
	live := time.Since(start)
	t.Logf("capture request %v; %d live events %v; ring %d bytes", asked, after, live, rec.Ring().Bytes())
	if asked > 50*time.Millisecond {
		t.Errorf("the capture request took %v", asked)
	}
	for start := time.Now(); writes.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the writer did not start writing")
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the capture is in place before it was written")
	}
	if s := rec.Stats(); s.Files != 0 || s.Dropped != 0 {
		t.Errorf("stats %+v while the writer waits", s)
	}
	open()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.Files != 1 || s.Dropped != 0 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
	if n := countEvents(t, path); n != before+after {
		t.Errorf("capture holds %d events, want %d", n, before+after)
	}
}

// TestCaptureDropsWhenBehind checks the bound on what a writer that falls
// behind costs the pipeline's goroutine: the ring keeps the capture's
// events for it, and once it has no room left, the live events wait
// stallBudget at most in all, then are left out of the capture and
// counted; the file holds the others.
func TestCaptureDropsWhenBehind(t *testing.T) {
	defer func(m, b time.Duration) { stallMax, stallBudget = m, b }(stallMax, stallBudget)
	stallMax, stallBudget = time.Millisecond, 10*time.Millisecond
	h := newHost(t, 20, 10)
	p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
	rec := New(p.State(), Options{Budget: 256 << 10, Before: 5 * time.Second, PathPrefix: filepath.Join(t.TempDir(), "k")})
	open, _ := gated(rec)
	defer open()
	p.Add(rec)
	var stats sync.WaitGroup
	stop := make(chan struct{})
	stats.Go(func() { // Stats from another goroutine, for the race detector
		for {
			select {
			case <-stop:
				return
			default:
				rec.Stats()
				time.Sleep(100 * time.Microsecond)
			}
		}
	})
	ts := h.feed(t, p, 10_000, epoch, 10*time.Microsecond) // the ring is full
	path, err := rec.Capture(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	j := rec.cur.j
	pre := int(j.alert - j.w.cp.seq)
	const live = 20_000
	start := time.Now()
	h.feed(t, p, live, ts, 10*time.Microsecond)
	took := time.Since(start)
	s := rec.Stats()
	t.Logf("%d events before the alert in the capture; %d live events took %v, %d dropped; ring held %d", pre, live, took, s.Dropped, rec.Ring().Len())
	if s.Dropped == 0 || s.Dropped > live {
		t.Fatalf("%d live events dropped", s.Dropped)
	}
	if took > time.Second {
		t.Errorf("the live events took %v with a writer that does not write", took)
	}
	open()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	stats.Wait()
	if s := rec.Stats(); s.Files != 1 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
	if n := countEvents(t, path); n != pre+live-int(s.Dropped) {
		t.Errorf("capture holds %d events, want %d before the alert + %d live - %d dropped", n, pre, live, s.Dropped)
	}
}

// TestCloseBounded checks that Close waits for a writer that cannot
// write closeWait at most, reports it, and that the writer then drops
// the capture.
func TestCloseBounded(t *testing.T) {
	defer func(d time.Duration) { closeWait = d }(closeWait)
	closeWait = 50 * time.Millisecond
	h := newHost(t, 20, 10)
	p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
	dir := t.TempDir()
	rec := New(p.State(), Options{Budget: 8 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(dir, "k")})
	open, _ := gated(rec)
	defer open()
	p.Add(rec)
	h.feed(t, p, 20_000, epoch, 10*time.Microsecond)
	if _, err := rec.Capture(time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := rec.Close()
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	open()
	for start := time.Now(); rec.Stats().Failed == 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the writer did not drop the capture")
		}
	}
	if err := rec.wait(5 * time.Second); err != nil {
		t.Errorf("wait: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}

// TestCaptureQueueAfterEnd checks a capture asked for while the writer
// still writes the one before: it is written after it, from its own
// checkpoint, and both are whole.
func TestCaptureQueueAfterEnd(t *testing.T) {
	h := newHost(t, 20, 10)
	p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
	rec := New(p.State(), Options{Budget: 8 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(t.TempDir(), "k")})
	open, _ := gated(rec)
	defer open()
	p.Add(rec)
	ts := h.feed(t, p, 5_000, epoch, 10*time.Microsecond)
	first, err := rec.Capture(0)
	if err != nil {
		t.Fatal(err)
	}
	ts = h.feed(t, p, 5_000, ts, 10*time.Microsecond) // ends the first
	second, err := rec.Capture(0)
	if err != nil || second == first {
		t.Fatalf("second capture %q %v", second, err)
	}
	h.feed(t, p, 10, ts, 10*time.Microsecond)
	open()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, first); n != 5_000 {
		t.Errorf("first capture holds %d events", n)
	}
	if n := countEvents(t, second); n != 10_000 {
		t.Errorf("second capture holds %d events", n)
	}
}

// BenchmarkCaptureRequest measures what asking for a capture costs the
// pipeline's goroutine with a full 64 MiB ring (a host-like model of 400
// threads and 12,000 fds): the request alone, since the writer writes
// the file (here it drops the captures, so that the loop is not paced by
// it). writer-ms is what the writer takes, once, to write the part of the
// capture before the alert to io.Discard: what a request cost the
// pipeline's goroutine when it wrote that part itself.
func BenchmarkCaptureRequest(b *testing.B) {
	for _, sc := range []Scope{ScopeAll, ScopeProcessTree} {
		b.Run(sc.String(), func(b *testing.B) {
			h := newHost(b, 200, 60)
			p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
			rec := New(p.State(), Options{Budget: 64 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(b.TempDir(), "k"), Scope: sc})
			rec.wrapOut = func(io.Writer) io.Writer { return io.Discard }
			p.Add(rec)
			h.feed(b, p, 1_200_000, epoch, time.Microsecond)
			ring := rec.Ring()
			start := time.Now()
			if _, err := rec.Capture(0); err != nil {
				b.Fatal(err)
			}
			j := rec.cur.j
			rec.mu.Lock()
			rec.end()
			rec.mu.Unlock()
			if err := rec.wait(time.Minute); err != nil {
				b.Fatal(err)
			}
			wrote := time.Since(start)
			b.Logf("ring of %d MiB holds %d events, %d MiB; capture of %d events before the alert", ring.Memory()>>20, ring.Len(), ring.Bytes()>>20, j.alert-j.w.cp.seq)
			rec.abort.Store(true)
			b.ResetTimer()
			for b.Loop() {
				if _, err := rec.Capture(0); err != nil {
					b.Fatal(err)
				}
				rec.mu.Lock()
				rec.end()
				rec.mu.Unlock()
			}
			b.StopTimer()
			rec.wait(time.Minute)
			b.ReportMetric(float64(wrote.Microseconds())/1000, "writer-ms")
		})
	}
}
