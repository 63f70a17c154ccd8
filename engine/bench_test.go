package engine

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// captured is a capture held in memory: its first section and a copy of
// each event record.
type captured struct {
	sec    *scap.Section
	events [][]byte
	flags  []uint32
}

func loadCapture(tb testing.TB, path string) *captured {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rd, err := scap.NewReader(f, scap.ReaderOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer rd.Close()
	c := &captured{sec: rd.Section()}
	var ev event.Event
	for {
		if err := rd.Next(&ev); err == io.EOF {
			return c
		} else if err != nil {
			tb.Fatal(err)
		}
		c.events = append(c.events, append([]byte(nil), ev.Raw()...))
		c.flags = append(c.flags, uint32(ev.DumpFlags))
	}
}

// run applies every event to a fresh state and calls fn after each.
func (c *captured) run(tb testing.TB, fn func(fc *field.Context)) {
	st := state.FromSection(c.sec)
	fc := field.NewContext(st)
	fc.Resolver = st
	var ev event.Event
	for i, raw := range c.events {
		if err := ev.Reset(raw); err != nil {
			tb.Fatal(err)
		}
		st.Apply(&ev)
		fc.Observe(&ev)
		fn(fc)
		_ = i
	}
}

func benchEngine(b *testing.B, paths ...string) {
	o := DefaultOptions()
	o.EnableAll = true
	o.Matching = MatchAll
	eng, ds := compileFiles(b, o, paths...)
	if ds.HasErrors() {
		b.Fatal(ds.String())
	}
	c := loadCapture(b, filepath.Join(testenv.SharedDir(b), "testdata", "scap", "curl_google.scap"))
	var alerts []alert.Alert
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.run(b, func(fc *field.Context) {
			alerts = eng.Process(fc, alerts[:0])
			matched += len(alerts)
		})
	}
	b.ReportMetric(float64(b.N*len(c.events))/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matched)/float64(b.N), "alerts/op")
}

// BenchmarkUpstreamRules runs the 93 upstream rules, every one enabled,
// on curl_google.scap (state applied too); they match nothing there.
func BenchmarkUpstreamRules(b *testing.B) {
	benchEngine(b, upstream(b, "falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml")...)
}

// BenchmarkMatchingRules runs the replay test rules, which match 45
// events of the capture.
func BenchmarkMatchingRules(b *testing.B) {
	benchEngine(b, filepath.Join(testenv.RepoRoot(), "testdata", "rules", "replay.yaml"))
}

// TestProcessAllocs checks that judging an event no rule matches
// allocates nothing, with the replay test rules and with all the upstream
// rules.
func TestProcessAllocs(t *testing.T) {
	up := filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream")
	for name, paths := range map[string][]string{
		"replay":   {filepath.Join(testenv.RepoRoot(), "testdata", "rules", "replay.yaml")},
		"upstream": {filepath.Join(up, "falco_rules.yaml"), filepath.Join(up, "falco-incubating_rules.yaml"), filepath.Join(up, "falco-sandbox_rules.yaml")},
	} {
		t.Run(name, func(t *testing.T) { testProcessAllocs(t, paths) })
	}
}

func testProcessAllocs(t *testing.T, paths []string) {
	o := DefaultOptions()
	o.EnableAll = true
	o.Matching = MatchAll
	o.AllEvents = true
	eng, ds := compileFiles(t, o, paths...)
	if ds.HasErrors() {
		t.Fatal(ds.String())
	}
	c := loadCapture(t, filepath.Join(testenv.SharedDir(t), "testdata", "scap", "curl_google.scap"))
	alerts := make([]alert.Alert, 0, 4)
	tested := 0
	c.run(t, func(fc *field.Context) {
		if len(eng.RulesFor(fc.Event.Type())) == 0 {
			return
		}
		tested++
		// Observing the event again makes the fields be extracted again,
		// not read from the per-event cache.
		n := testing.AllocsPerRun(5, func() { fc.Observe(fc.Event); alerts = eng.Process(fc, alerts[:0]) })
		if len(alerts) == 0 && n != 0 {
			t.Errorf("event %d (%s): %v allocations with no match", fc.Event.Num, fc.Event.Name(), n)
		}
	})
	if tested < 30 {
		t.Errorf("only %d events were tested against rules", tested)
	}
}
