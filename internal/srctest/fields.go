package srctest

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
)

// Extract compiles a field expression against reg and returns its text
// for c's current event, or "<NA>".
func Extract(tb testing.TB, reg *field.Registry, c *field.Context, expr string) string {
	tb.Helper()
	f, err := reg.CompileFormat("*%" + expr)
	if err != nil {
		tb.Fatalf("%s: %v", expr, err)
	}
	out, _ := f.AppendText(nil, c)
	return string(out)
}

// Formats compiles every field of reg: with arg after the name of a field
// that requires an argument, and, for a list field, also with each of idx
// after its name where that compiles.
func Formats(tb testing.TB, reg *field.Registry, arg string, idx ...string) []*field.Format {
	tb.Helper()
	var fmts []*field.Format
	for _, d := range reg.All() {
		expr := d.Name
		if d.Arg == field.ArgRequired {
			expr += arg
		}
		fm, err := reg.CompileFormat("*%" + expr)
		if err != nil {
			tb.Fatal(err)
		}
		fmts = append(fmts, fm)
		if !d.List {
			continue
		}
		for _, i := range idx {
			if fm, err := reg.CompileFormat("*%" + d.Name + i); err == nil {
				fmts = append(fmts, fm)
			}
		}
	}
	return fmts
}

// Exercise returns a function that decodes an event with dec and renders
// every format as text and JSON, and the event's info, for fuzz tests:
// nothing may panic. An event that does not decode is passed over.
func Exercise(dec Decoder, fmts []*field.Format) func(data []byte, ts uint64) {
	c := field.NewContext(nil)
	var buf []byte
	return func(data []byte, ts uint64) {
		if dec.Decode(c, data, ts) != nil {
			return
		}
		for _, fm := range fmts {
			buf, _ = fm.AppendText(buf[:0], c)
			buf, _ = fm.AppendJSON(buf[:0], c)
		}
		buf = c.Plugin.AppendInfo(buf[:0])
	}
}

// BenchRules measures events per second through src's rules on one
// goroutine: decoding each of evs in turn with dec, the i-th at time
// i*step, running every rule and building the alerts.
func BenchRules(b *testing.B, src *engine.Source, dec Decoder, evs [][]byte, step uint64) {
	fc := field.NewContext(nil)
	fc.Location = time.UTC
	var alerts []alert.Alert
	n, i := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		if err := dec.Decode(fc, evs[i%len(evs)], uint64(i)*step); err != nil {
			b.Fatal(err)
		}
		alerts = src.Process(fc, alerts[:0])
		n += len(alerts)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)/float64(i), "alerts/event")
}

// Matches compiles each filter condition of want against reg and reports
// those whose match of c's current event is not the one wanted, or that
// do not compile.
func Matches(tb testing.TB, reg *field.Registry, c *field.Context, want map[string]bool) {
	tb.Helper()
	for cond, w := range want {
		p, err := filter.Compile(cond, filter.Options{Fields: reg})
		if err != nil {
			tb.Errorf("%s: %v", cond, err)
			continue
		}
		if got := p.Match(c); got != w {
			tb.Errorf("%s = %v, want %v", cond, got, w)
		}
	}
}

// Mix returns a benchmark's mix of events as JSON: each of routine n
// times over, then each of alerting once.
func Mix(tb testing.TB, n int, routine, alerting []map[string]any) [][]byte {
	tb.Helper()
	var out [][]byte
	for range n {
		for _, e := range routine {
			out = append(out, JSON(tb, e))
		}
	}
	for _, e := range alerting {
		out = append(out, JSON(tb, e))
	}
	return out
}
