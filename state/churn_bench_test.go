package state

import (
	"runtime/metrics"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/replay"
)

// BenchmarkChurn applies short-lived processes (one per iteration: clone,
// execve, opens and closes, exit; see replay.Churn) to a model and reports
// the events applied per second, the peak of live heap objects and the
// largest thread table. It measures; TestChurnBounded checks.
func BenchmarkChurn(b *testing.B) {
	c := replay.NewChurn()
	s := FromSection(c.Section())
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var events, peak uint64
	most := 0
	apply := func(e *event.Event) error {
		s.Apply(e)
		events++
		return nil
	}
	start := time.Now()
	k := uint64(0)
	for b.Loop() {
		if err := c.Process(k, apply); err != nil {
			b.Fatal(err)
		}
		most = max(most, s.Len())
		if k%4096 == 0 {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
		}
		k++
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(events)/secs, "events/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(most), "max-threads")
}
