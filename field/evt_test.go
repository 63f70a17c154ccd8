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
