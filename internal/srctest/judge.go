package srctest

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
)

// Decoder makes an event, its JSON and time in nanoseconds since the
// epoch, current in a field.Context; every source's Decoder is one.
type Decoder interface {
	Decode(c *field.Context, data []byte, ts uint64) error
}

// Judge runs events of one source through its compiled rules.
type Judge struct {
	Source  *engine.Source // the compiled rules of the source
	Decoder Decoder        // makes each event current in Context
	Context *field.Context // the current event; times in UTC
}

// NewJudge compiles the rules files paths with def and o (see [Compile])
// and returns a Judge of def's source decoding with dec.
func NewJudge(tb testing.TB, def engine.SourceDef, o engine.Options, dec Decoder, paths ...string) *Judge {
	tb.Helper()
	eng, _ := Compile(tb, def, o, paths...)
	fc := field.NewContext(nil)
	fc.Location = time.UTC
	return &Judge{Source: eng.Source(def.Name), Decoder: dec, Context: fc}
}

// Fire decodes data at time ts, runs the rules on it and returns the
// alerts, sorted by rule. An alert of another source fails tb.
func (j *Judge) Fire(tb testing.TB, data []byte, ts uint64) []alert.Alert {
	tb.Helper()
	if err := j.Decoder.Decode(j.Context, data, ts); err != nil {
		tb.Fatal(err)
	}
	alerts := j.Source.Process(j.Context, nil)
	for _, a := range alerts {
		if a.Source != j.Source.Name() {
			tb.Errorf("alert source %q", a.Source)
		}
	}
	sort.SliceStable(alerts, func(a, b int) bool { return alerts[a].Rule < alerts[b].Rule })
	return alerts
}

// Rules returns the rules of alerts, in their order.
func Rules(alerts []alert.Alert) []string {
	var names []string
	for _, a := range alerts {
		names = append(names, a.Rule)
	}
	return names
}

// Expect fires data at time ts and reports, as the case called name,
// when other rules fire than want, in any order. It returns the rules
// that fired, sorted.
func (j *Judge) Expect(tb testing.TB, name string, data []byte, ts uint64, want []string) []string {
	tb.Helper()
	got := Rules(j.Fire(tb, data, ts))
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		tb.Errorf("%s: fired %q, want %q", name, got, want)
	}
	return got
}
