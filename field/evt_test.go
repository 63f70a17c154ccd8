package field

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // zones with daylight saving time, whatever the host has

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/state"
)

// TestTimeFieldsCached checks the time fields, which format each second
// once, against time.Format for events within a second, across seconds,
// back in time and across daylight-saving changes.
func TestTimeFieldsCached(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	layouts := map[string]string{
		"evt.time":         "15:04:05.000000000",
		"evt.time.s":       "15:04:05",
		"evt.time.iso8601": "2006-01-02T15:04:05.000000000-0700",
		"evt.datetime":     "2006-01-02 15:04:05.000000000",
		"evt.datetime.s":   "2006-01-02 15:04:05",
		"evt.outputtime":   "15:04:05.000000000",
	}
	// 2026-03-08 06:59:59 UTC is 01:59:59 EST, a second before clocks go forward.
	dst := uint64(time.Date(2026, 3, 8, 6, 59, 59, 0, time.UTC).UnixNano())
	var stamps []uint64
	for i := range uint64(5) {
		stamps = append(stamps, dst+i*400_000_000, dst+i*400_000_000+7)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		stamps = append(stamps, dst-1e12+rng.Uint64N(2e12))
	}
	stamps = append(stamps, 1, 999_999_999, 1_000_000_000, dst)

	reg := Default()
	for _, loc := range []*time.Location{time.UTC, ny} {
		c := NewContext(state.New())
		c.Location = loc
		var e event.Event
		for _, ts := range stamps {
			rec := evtest.MustRecord(event.Legacy(), ts, 1, 3, map[string]any{"fd": 3, "name": "/x", "flags": 1, "mode": 0, "dev": 0})
			if err := e.Reset(rec); err != nil {
				t.Fatal(err)
			}
			c.Observe(&e)
			for name, layout := range layouts {
				f, err := reg.CompileFormat("%" + name)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := f.AppendText(nil, c)
				want := time.Unix(int64(ts/1e9), int64(ts%1e9)).In(loc).Format(layout)
				if string(got) != want {
					t.Fatalf("%s at %d in %s: got %q, want %q", name, ts, loc, got, want)
				}
			}
		}
	}
}

// evtFieldText compiles one field expression and extracts it for rec.
func evtFieldText(t *testing.T, c *Context, rec []byte, expr string) string {
	t.Helper()
	var e event.Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	c.State.Apply(&e)
	c.Observe(&e)
	f, err := Default().CompileFormat("*%" + expr)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := f.AppendText(nil, c)
	return string(out)
}

// TestEvtFieldsHandMade checks what the captures do not exercise:
// evt.type.is (which sysdig 0.29.3 cannot print), raw fd and flag
// arguments (sysdig 0.29.3 stops with "wrong event type" on them; current
// Falco prints the number), evt.hostname.
func TestEvtFieldsHandMade(t *testing.T) {
	st := state.New()
	c := NewContext(st)
	c.Resolver = st
	c.Hostname = "build-host"
	open := evtest.MustRecord(event.Legacy(), 1_000, 7, 2, map[string]any{"name": "/etc/passwd", "flags": 1, "mode": 0})
	cases := []struct{ expr, want string }{
		{"evt.type.is.open", "1"},
		{"evt.type.is.2", "1"},
		{"evt.type.is.read", "0"},
		{"evt.type.is.3", "0"},
		{"evt.rawarg.flags", "1"},
		{"evt.arg.flags", "O_RDONLY"},
		{"evt.hostname", "build-host"},
		{"evt.latency", "0"},
	}
	for _, tc := range cases {
		if got := evtFieldText(t, c, open, tc.expr); got != tc.want {
			t.Errorf("%s on open enter: got %q, want %q", tc.expr, got, tc.want)
		}
	}
	exit := evtest.MustRecord(event.Legacy(), 4_062, 7, 3, map[string]any{"fd": -2, "name": "/etc/passwd", "flags": 1, "mode": 0, "dev": 0})
	for _, tc := range []struct{ expr, want string }{
		{"evt.rawarg.fd", "-2"},
		{"evt.arg.fd", "ENOENT"},
		{"evt.res", "ENOENT"},
		{"evt.rawres", "-2"},
		{"evt.failed", "true"},
		{"evt.count.error.file", "1"},
		{"evt.latency", "3062"},
		{"evt.latency.human", "3.06us"},
	} {
		if got := evtFieldText(t, c, exit, tc.expr); got != tc.want {
			t.Errorf("%s on failed open exit: got %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestHumanTime checks the readable durations against values sysdig
// 0.29.3 printed for evt.latency.human on the captures (3061 ns is
// "3.06us", 1549 ns "1.54us": cut, not rounded) and the format's ranges.
func TestHumanTime(t *testing.T) {
	for _, tc := range []struct {
		ns   uint64
		want string
	}{
		{0, "0ns"}, {999, "999ns"}, {1549, "1.54us"}, {3061, "3.06us"}, {10_000, "10us"},
		{1_234_567, "1.23ms"}, {12_345_678, "12ms"}, {1_500_000_000, "1.50s"},
		{61 * nsPerSec, "1:1"}, {3723 * nsPerSec, "01:02:03"},
	} {
		if got := string(appendHumanTime(nil, tc.ns)); got != tc.want {
			t.Errorf("%d ns: got %q, want %q", tc.ns, got, tc.want)
		}
	}
}

// TestEvtArgAllocs checks that the argument fields allocate nothing per event.
func TestEvtArgAllocs(t *testing.T) {
	st := state.New()
	c := NewContext(st)
	c.Resolver = st
	var e event.Event
	rec := evtest.MustRecord(event.Legacy(), 1_000, 7, 3, map[string]any{"fd": 3, "name": "x/y", "flags": 3, "mode": 0, "dev": 0})
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	st.Apply(&e)
	c.Observe(&e)
	f, err := Default().CompileFormat("*%evt.arg.fd %evt.arg[1] %evt.arg.flags %evt.res %evt.rawres %evt.rawarg.name %evt.category %evt.latency.human %evt.failed %syscall.type")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf, _ = f.AppendText(buf[:0], c) }); n != 0 {
		t.Errorf("%v allocations per event, want 0 (%s)", n, buf)
	}
}
