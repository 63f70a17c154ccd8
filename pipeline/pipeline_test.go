package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
)

// recorder notes what a sink is told, and when.
type recorder struct {
	p        *pipeline.Pipeline
	kinds    []pipeline.Kind
	types    []event.Type
	sections []string // hostnames the model's context had at each section start
	before   int      // Before calls
	threads  []int    // threads in the model at each Before call
	closed   int
}

func (r *recorder) Event(e *event.Event, k pipeline.Kind) error {
	r.kinds = append(r.kinds, k)
	r.types = append(r.types, e.Type())
	return nil
}

func (r *recorder) StartSection(sec *scap.Section) error {
	r.sections = append(r.sections, r.p.Context().Hostname)
	return nil
}

func (r *recorder) Before(*event.Event) error {
	r.before++
	r.threads = append(r.threads, r.p.State().Len())
	return nil
}

func (r *recorder) Close() error { r.closed++; return nil }

func run(t *testing.T, path string, o pipeline.Options) *recorder {
	t.Helper()
	src, err := scapfile.Open(context.Background(), path, scapfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.New(src, src.Initial(), o)
	r := &recorder{p: p}
	p.Add(r)
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil || r.closed != 1 {
		t.Errorf("a second Close: %v, sink closed %d times", err, r.closed)
	}
	if uint64(len(r.kinds)) != p.Events() || r.before != len(r.kinds) {
		t.Errorf("%d events, %d handed to the sink, %d looked at before", p.Events(), len(r.kinds), r.before)
	}
	return r
}

// TestKinds checks what the pipeline tells sinks of each event: the
// container records a capture starts with are Preamble, and only those;
// internal events (procinfo) are marked as such.
func TestKinds(t *testing.T) {
	r := run(t, filepath.Join(testenv.RepoRoot(), "testdata", "captures", "containers.scap"), pipeline.Options{})
	checkKinds(t, r, true)
	r = run(t, filepath.Join(testenv.SharedDir(t), "testdata", "scap", "curl_google.scap"), pipeline.Options{})
	checkKinds(t, r, false)
}

func checkKinds(t *testing.T, r *recorder, preamble bool) {
	t.Helper()
	lead := 0
	for lead < len(r.kinds) && r.kinds[lead] == pipeline.Preamble {
		lead++
	}
	if (lead > 0) != preamble {
		t.Fatalf("%d preamble events, want them: %v", lead, preamble)
	}
	internal := 0
	for i, k := range r.kinds {
		info := event.Current().Lookup(r.types[i])
		isInternal := info != nil && info.Category.Class() == event.CatInternal
		if i >= lead && k&pipeline.Preamble != 0 {
			t.Errorf("event %d is Preamble after the first other event", i+1)
		}
		if i >= lead && (k&pipeline.Internal != 0) != isInternal {
			t.Errorf("event %d (%s): kind %b", i+1, info.Name, k)
		}
		if isInternal {
			internal++
		}
	}
	if !preamble && internal == 0 {
		t.Error("no internal events: the test shows nothing")
	}
}

// TestSections checks that a new section of a concatenated capture resets
// the model and is told to the sinks, and that an explicit hostname wins
// over the capture's.
func TestSections(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "session.scap"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "two.scap")
	if err := os.WriteFile(path, append(append([]byte(nil), data...), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, path, pipeline.Options{})
	if len(r.sections) != 1 || r.sections[0] == "" {
		t.Fatalf("section starts %q, want one with the capture's hostname", r.sections)
	}
	half := len(r.threads) / 2
	if r.threads[half] != r.threads[0] {
		t.Errorf("the second section starts with %d threads, the first with %d: the model was not reset", r.threads[half], r.threads[0])
	}
	r = run(t, path, pipeline.Options{Hostname: "node-7"})
	if len(r.sections) != 1 || r.sections[0] != "node-7" {
		t.Errorf("section starts %q with an explicit hostname", r.sections)
	}
}
