package recorder

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
)

// exitType returns the newest exit event code of the current table for a
// syscall.
func exitType(t testing.TB, name string) event.Type {
	t.Helper()
	s := event.Current()
	found := event.Type(0)
	for i := range s.Events {
		info, ty := &s.Events[i], event.Type(i)
		if info.Name == name && !ty.IsEnter() && info.Known() && info.Flags&event.FlagOldVersion == 0 {
			found = ty
		}
	}
	if found == 0 {
		t.Fatalf("no exit event for %s", name)
	}
	return found
}

// sliceSource gives events from records.
type sliceSource struct {
	recs [][]byte
	i    int
	ev   event.Event
}

func (s *sliceSource) Next(context.Context) (*event.Event, error) {
	if s.i == len(s.recs) {
		return nil, io.EOF
	}
	if err := s.ev.Reset(s.recs[s.i]); err != nil {
		return nil, err
	}
	s.i++
	s.ev.Num = uint64(s.i)
	return &s.ev, nil
}

func (s *sliceSource) Stats() driver.Stats { return driver.Stats{Events: uint64(s.i)} }
func (s *sliceSource) Close() error        { return nil }

// epoch is the time of the scripted stream's first event.
const epoch = uint64(1_700_000_000) * uint64(time.Second)

func at(d time.Duration) uint64 { return epoch + uint64(d) }

// restamp makes ev the record rec, copied into buf, at time ts: the
// loops of the tests and benchmarks replay a few records as many events.
func restamp(ev *event.Event, buf, rec []byte, ts uint64) error {
	r := buf[:copy(buf, rec)]
	binary.LittleEndian.PutUint64(r, ts)
	return ev.Reset(r)
}

// script is a scripted stream: a shell (tid 100) that opened /etc/old
// long ago and writes to it every 10 ms, opens and closes a churn file
// now and then, and at 28 s writes /tmp/d/payload, makes it executable
// and runs it (the alert, at 28.5 s), until 35 s.
type script struct {
	t    testing.TB
	recs [][]byte
}

func (s *script) add(ts uint64, name string, vals map[string]any) {
	s.recs = append(s.recs, evtest.MustRecord(event.Current(), ts, 100, exitType(s.t, name), vals))
}

// alertAt is when the scripted stream runs the payload.
const alertAt = 28500 * time.Millisecond

func newScript(t testing.TB) *script {
	s := &script{t: t}
	s.add(at(0), "openat", map[string]any{"fd": 3, "dirfd": -100, "name": "/etc/old", "flags": 1})
	for d := 10 * time.Millisecond; d < 35*time.Second; d += 10 * time.Millisecond {
		switch {
		case d == 28*time.Second:
			s.add(at(d), "openat", map[string]any{"fd": 5, "dirfd": -100, "name": "/tmp/d/payload", "flags": 2 | 4})
		case d == 28100*time.Millisecond:
			s.add(at(d), "write", map[string]any{"res": 4, "data": []byte("\x7fELF"), "fd": 5, "size": 4})
		case d == 28200*time.Millisecond:
			s.add(at(d), "close", map[string]any{"res": 0, "fd": 5})
		case d == 28300*time.Millisecond:
			s.add(at(d), "fchmodat", map[string]any{"res": 0, "dirfd": -100, "filename": "/tmp/d/payload", "mode": 0o755})
		case d == alertAt:
			s.add(at(d), "execve", map[string]any{"res": 0, "exe": "/tmp/d/payload", "args": []string{}, "tid": 100, "pid": 100,
				"ptid": 1, "cwd": "/tmp", "comm": "payload", "trusted_exepath": "/tmp/d/payload", "fdlimit": 1024})
		case d%(700*time.Millisecond) == 0:
			s.add(at(d), "openat", map[string]any{"fd": 4, "dirfd": -100, "name": "/tmp/churn" + strconv.Itoa(int(d/time.Millisecond)), "flags": 1})
		case d%(700*time.Millisecond) == 300*time.Millisecond:
			s.add(at(d), "close", map[string]any{"res": 0, "fd": 4})
		default:
			s.add(at(d), "write", map[string]any{"res": 1, "data": []byte("x"), "fd": 3, "size": 1})
		}
	}
	return s
}

// scriptSection is the host when the script starts: the shell.
func scriptSection() *scap.Section {
	return &scap.Section{Major: 1, Minor: 2, Threads: []scap.Thread{{
		TID: 100, PID: 100, PTID: 1, PGID: -1, Comm: "bash", Exe: "bash", ExePath: "/bin/bash", Cwd: "/tmp", LoginUID: 0xFFFFFFFF,
	}}}
}

// compareFormat prints what a capture must resolve the same way.
const compareFormat = "*%evt.dir|%evt.rawtime|%evt.type|%proc.name|%fd.name"

// printer returns a sink printing compareFormat into out.
func printer(t testing.TB, fc *field.Context, out io.Writer) *pipeline.Printer {
	t.Helper()
	f, err := field.Default().CompileFormat(compareFormat)
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.NewPrinter(out, fc, pipeline.PrinterOptions{Format: f})
}

// trigger asks for a capture when the event of time ts goes by.
type trigger struct {
	rec   *Recorder
	ts    uint64
	after time.Duration
	paths []string
	err   error
}

func (g *trigger) Event(e *event.Event, _ pipeline.Kind) error {
	if e.TS() == g.ts {
		p, err := g.rec.Capture(g.after)
		g.paths, g.err = append(g.paths, p), err
	}
	return nil
}

func (g *trigger) Close() error { return nil }

// runScript runs the script through a pipeline with a recorder, asking
// for captures at the given times; it returns what the pipeline printed
// and the recorder.
func runScript(t *testing.T, o Options, after time.Duration, times ...uint64) (string, *Recorder, []string) {
	t.Helper()
	s := newScript(t)
	p := pipeline.New(&sliceSource{recs: s.recs}, scriptSection(), pipeline.Options{})
	var out bytes.Buffer
	rec := New(p.State(), o)
	p.Add(rec)
	var gs []*trigger
	for _, ts := range times {
		g := &trigger{rec: rec, ts: ts, after: after}
		gs = append(gs, g)
		p.Add(g)
	}
	p.Add(printer(t, p.Context(), &out))
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, g := range gs {
		if g.err != nil {
			t.Fatalf("capture: %v", g.err)
		}
		paths = append(paths, g.paths...)
	}
	return out.String(), rec, paths
}

// readCapture prints a capture file's exit events.
func readCapture(t *testing.T, path string) []string {
	t.Helper()
	return readWith(t, path, printer)
}

// readWith prints a capture file's exit events with the printer mk makes.
func readWith(t *testing.T, path string, mk func(testing.TB, *field.Context, io.Writer) *pipeline.Printer) []string {
	t.Helper()
	src, err := scapfile.Open(context.Background(), path, scapfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.New(src, src.Initial(), pipeline.Options{})
	var out bytes.Buffer
	p.Add(mk(t, p.Context(), &out))
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return exits(out.String(), 0, ^uint64(0))
}

// exits returns the exit lines printed, of events from time from to to.
func exits(out string, from, to uint64) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "|")
		if len(f) < 3 || f[0] != "<" {
			continue
		}
		ts, _ := strconv.ParseUint(f[1], 10, 64)
		if ts >= from && ts <= to {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestCaptureWindow checks a capture asked for at the execve of the
// script: it shows the events from before_duration before the alert to
// the duration after it, printed as the live stream printed them (the
// process and file names resolved from the state at its start, which
// the model had long moved past), with the payload's write and chmod
// before the alert; and it is 0600.
func TestCaptureWindow(t *testing.T) {
	dir := t.TempDir()
	o := Options{Budget: 1 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(dir, "kestrel")}
	out, rec, paths := runScript(t, o, 2*time.Second, at(alertAt))
	want := exits(out, at(alertAt-5*time.Second), at(alertAt+2*time.Second))
	got := readCapture(t, paths[0])
	if !slices.Equal(got, want) {
		t.Fatalf("capture shows %d events, want %d:\n%s\nwant:\n%s", len(got), len(want), strings.Join(head(got), "\n"), strings.Join(head(want), "\n"))
	}
	for _, w := range []string{"|write|bash|/tmp/d/payload", "|fchmodat|bash|", "|execve|payload|", "|write|payload|/etc/old"} {
		if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("capture shows no %q", w)
		}
	}
	fi, err := os.Stat(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("capture mode %v", fi.Mode())
	}
	if want := captureName(o.PathPrefix, at(alertAt), 0); filepath.Base(paths[0])[:len("kestrel_")+20] != filepath.Base(want)[:len("kestrel_")+20] {
		t.Errorf("capture named %s", paths[0])
	}
	if s := rec.Stats(); s.Files != 1 || s.Bytes != uint64(fi.Size()) || s.Failed != 0 {
		t.Errorf("stats %+v, file of %d bytes", s, fi.Size())
	}
	if rec.Ring().Memory() > o.Budget {
		t.Errorf("ring uses %d bytes, budget %d", rec.Ring().Memory(), o.Budget)
	}
}

// TestCaptureSmallRing checks a ring too small for before_duration: the
// capture starts later than asked, at the oldest checkpoint the ring
// still follows, and still resolves every name.
func TestCaptureSmallRing(t *testing.T) {
	dir := t.TempDir()
	o := Options{Budget: 32 << 10, Before: 5 * time.Second, PathPrefix: filepath.Join(dir, "k")}
	out, _, paths := runScript(t, o, time.Second, at(alertAt))
	want := exits(out, at(alertAt-5*time.Second), at(alertAt+time.Second))
	got := readCapture(t, paths[0])
	if len(got) == 0 || len(got) >= len(want) || !slices.Equal(got, want[len(want)-len(got):]) {
		t.Fatalf("capture shows %d events, want the last ones of %d:\n%s", len(got), len(want), strings.Join(head(got), "\n"))
	}
	if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "|execve|payload|") }) {
		t.Error("capture misses the execve")
	}
}

// TestCaptureOverlap checks that a second alert during a capture extends
// it instead of starting another.
func TestCaptureOverlap(t *testing.T) {
	dir := t.TempDir()
	o := Options{Budget: 1 << 20, Before: time.Second, PathPrefix: filepath.Join(dir, "k")}
	second := alertAt + 1500*time.Millisecond
	out, rec, paths := runScript(t, o, 2*time.Second, at(alertAt), at(second))
	if len(paths) != 2 || paths[0] != paths[1] {
		t.Fatalf("paths %q: want one capture", paths)
	}
	want := exits(out, at(alertAt-time.Second), at(second+2*time.Second))
	if got := readCapture(t, paths[0]); !slices.Equal(got, want) {
		t.Fatalf("capture shows %d events, want %d", len(got), len(want))
	}
	if n := rec.Stats().Files; n != 1 {
		t.Errorf("%d captures written", n)
	}
}

// TestCaptureLimits checks capture_events and max_file_size_mb: the
// part after the alert stops at the limit; the part before is whole.
func TestCaptureLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"events", Options{MaxEvents: 600}},
		{"size", Options{MaxFileSize: 40 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Budget, o.Before, o.PathPrefix = 1<<20, 5*time.Second, filepath.Join(t.TempDir(), "k")
			out, _, paths := runScript(t, o, 5*time.Second, at(alertAt))
			all := exits(out, at(alertAt-5*time.Second), at(alertAt+5*time.Second))
			got := readCapture(t, paths[0])
			before := len(exits(out, at(alertAt-5*time.Second), at(alertAt)))
			if len(got) <= before || len(got) >= len(all) || !slices.Equal(got, all[:len(got)]) {
				t.Fatalf("capture shows %d events; %d up to the alert, %d in the window", len(got), before, len(all))
			}
			fi, err := os.Stat(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			if tc.o.MaxFileSize > 0 && fi.Size() > tc.o.MaxFileSize+64<<10 {
				t.Errorf("file of %d bytes", fi.Size())
			}
		})
	}
}

// TestPruneOldest checks the bounds on the captures kept: by number and
// by bytes, the oldest go first, the newest stays, other files stay.
func TestPruneOldest(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "kestrel")
	var names []string
	for i := range 5 {
		n := captureName(prefix, at(time.Duration(i)*time.Second), uint64(i))
		names = append(names, n)
		if err := os.WriteFile(n, make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, "kestrel_notes.scap")
	if err := os.WriteFile(other, make([]byte, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := prune(prefix, 3, 0)
	if err != nil || !slices.Equal(removed, names[:2]) {
		t.Fatalf("removed %q, %v; want the two oldest", removed, err)
	}
	removed, err = prune(prefix, 0, 1500)
	if err != nil || !slices.Equal(removed, names[2:4]) {
		t.Fatalf("removed %q, %v; want the two oldest left", removed, err)
	}
	removed, err = prune(prefix, 0, 10)
	if err != nil || len(removed) != 0 {
		t.Fatalf("removed %q, %v; the newest stays", removed, err)
	}
	for _, n := range []string{names[4], other} {
		if _, err := os.Stat(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// TestCaptureMaxFiles checks that captures written one after the other
// keep at most max_files.
func TestCaptureMaxFiles(t *testing.T) {
	dir := t.TempDir()
	o := Options{Budget: 1 << 20, Before: time.Second, PathPrefix: filepath.Join(dir, "k"), MaxFiles: 2}
	times := []uint64{at(20 * time.Second), at(24 * time.Second), at(alertAt), at(32 * time.Second)}
	_, rec, paths := runScript(t, o, time.Second, times...)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		left = append(left, filepath.Join(dir, e.Name()))
	}
	if !slices.Equal(left, paths[2:]) {
		t.Errorf("left %q, want the two newest of %q", left, paths)
	}
	if n := rec.Stats().Files; n != 4 {
		t.Errorf("%d captures written", n)
	}
}

// TestPickWindow checks the choice of the checkpoint a capture starts
// from.
func TestPickWindow(t *testing.T) {
	cps := []checkpoint{{seq: 10, ts: 100}, {seq: 20, ts: 200}, {seq: 30, ts: 300}}
	for _, tc := range []struct {
		tail, from uint64
		seq        uint64
		visible    uint64
		ok         bool
	}{
		{tail: 0, from: 250, seq: 20, visible: 250, ok: true},
		{tail: 0, from: 300, seq: 30, visible: 300, ok: true},
		{tail: 0, from: 50, seq: 10, visible: 100, ok: true},
		{tail: 15, from: 150, seq: 20, visible: 200, ok: true},
		{tail: 31, from: 400, ok: false},
	} {
		w, ok := pickWindow(cps, tc.tail, tc.from)
		if ok != tc.ok || (ok && (w.cp.seq != tc.seq || w.visible != tc.visible)) {
			t.Errorf("tail %d from %d: got %d/%d %v, want %d/%d %v", tc.tail, tc.from, w.cp.seq, w.visible, ok, tc.seq, tc.visible, tc.ok)
		}
	}
	if got := pruneCheckpoints(slices.Clone(cps), 20); len(got) != 2 || got[0].seq != 20 {
		t.Errorf("pruned to %+v", got)
	}
}

func head(lines []string) []string { return lines[:min(len(lines), 12)] }

// BenchmarkRecorderEvent measures the recorder's cost per event on the
// pipeline: Before and Event on the scripted stream's events, 10 ms
// apart, checkpoints included (of a one-thread model: a host's model
// costs more, once a checkpoint, every 2.5 s by default).
func BenchmarkRecorderEvent(b *testing.B) {
	s := newScript(b)
	p := pipeline.New(&sliceSource{}, scriptSection(), pipeline.Options{})
	rec := New(p.State(), Options{Budget: 64 << 20, Before: 5 * time.Second})
	var ev event.Event
	buf := make([]byte, 4096)
	ts := epoch
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ts += uint64(10 * time.Millisecond)
		if err := restamp(&ev, buf, s.recs[i%len(s.recs)], ts); err != nil {
			b.Fatal(err)
		}
		i++
		rec.Before(&ev)
		rec.Event(&ev, pipeline.Shown)
	}
}

// TestRecorderMemory checks that the recorder's memory stays within its
// budget however many events go by: the ring's memory is fixed, and the
// checkpoints of the (one-thread) model are small.
func TestRecorderMemory(t *testing.T) {
	const budget = 4 << 20
	s := newScript(t)
	p := pipeline.New(&sliceSource{}, scriptSection(), pipeline.Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := New(p.State(), Options{Budget: budget, Before: 5 * time.Second})
	var ev event.Event
	buf := make([]byte, 4096)
	ts := epoch
	for i := range 500_000 {
		ts += uint64(time.Millisecond)
		if err := restamp(&ev, buf, s.recs[i%len(s.recs)], ts); err != nil {
			t.Fatal(err)
		}
		rec.Before(&ev)
		rec.Event(&ev, pipeline.Shown)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > budget+budget/16 {
		t.Errorf("heap grew by %d bytes for a budget of %d", grew, budget)
	}
	t.Logf("heap grew by %d bytes; ring %d bytes, %d events held", int64(after.HeapAlloc)-int64(before.HeapAlloc), rec.Ring().Memory(), rec.Ring().Len())
	if n := len(rec.cps); n == 0 || n > maxCheckpoints {
		t.Errorf("%d checkpoints kept", n)
	}
	runtime.KeepAlive(rec)
}

// TestCaptureEndsWhenQuiet checks that a capture ends when its time is
// up even when no later event comes to end it.
func TestCaptureEndsWhenQuiet(t *testing.T) {
	dir := t.TempDir()
	p := pipeline.New(&sliceSource{}, scriptSection(), pipeline.Options{})
	rec := New(p.State(), Options{Budget: 1 << 20, Before: time.Second, PathPrefix: filepath.Join(dir, "k")})
	var ev event.Event
	now := uint64(time.Now().UnixNano())
	for i := range 10 {
		r := evtest.MustRecord(event.Current(), now+uint64(i)*uint64(time.Millisecond), 100, exitType(t, "write"),
			map[string]any{"res": 1, "data": []byte("x"), "fd": 3, "size": 1})
		if err := ev.Reset(r); err != nil {
			t.Fatal(err)
		}
		rec.Before(&ev)
		rec.Event(&ev, pipeline.Shown)
	}
	path, err := rec.Capture(100 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); rec.Stats().Files == 0; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > finishGrace+3*time.Second {
			t.Fatal("the capture did not end")
		}
	}
	if got := readCapture(t, path); len(got) != 10 {
		t.Errorf("capture shows %d events, want 10", len(got))
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}

// limiter changes the recorder's limits at one event time, as a reload
// does.
type limiter struct {
	rec *Recorder
	ts  uint64
	lim Limits
}

func (l *limiter) Event(e *event.Event, _ pipeline.Kind) error {
	if e.TS() == l.ts {
		l.rec.SetLimits(l.lim)
	}
	return nil
}

func (l *limiter) Close() error { return nil }

// TestSetLimits changes the path prefix and the bound on the files kept
// between captures: the captures after the change follow the new limits,
// the one before keeps its own.
func TestSetLimits(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	s := newScript(t)
	p := pipeline.New(&sliceSource{recs: s.recs}, scriptSection(), pipeline.Options{})
	rec := New(p.State(), Options{Budget: 1 << 20, Before: time.Second, PathPrefix: filepath.Join(dir1, "k")})
	p.Add(rec)
	p.Add(&limiter{rec: rec, ts: at(22 * time.Second), lim: Limits{PathPrefix: filepath.Join(dir2, "n"), MaxFiles: 1}})
	var gs []*trigger
	for _, ts := range []uint64{at(20 * time.Second), at(24 * time.Second), at(alertAt)} {
		g := &trigger{rec: rec, ts: ts, after: time.Second}
		gs = append(gs, g)
		p.Add(g)
	}
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.err != nil {
			t.Fatal(g.err)
		}
	}
	in1, _ := filepath.Glob(filepath.Join(dir1, "k_*.scap"))
	in2, _ := filepath.Glob(filepath.Join(dir2, "n_*.scap"))
	if len(in1) != 1 || in1[0] != gs[0].paths[0] {
		t.Errorf("first prefix holds %q, want %q", in1, gs[0].paths)
	}
	if len(in2) != 1 || in2[0] != gs[2].paths[0] {
		t.Errorf("new prefix holds %q, want the newest of %q %q", in2, gs[1].paths, gs[2].paths)
	}
}
