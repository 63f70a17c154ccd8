package containers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/state"
)

// The benchmarks below measure what the event goroutine pays for the
// container lookups, per event: telling the manager of a container
// ([Manager.ContainerSeen]), checking its inbox ([Manager.Ready]) and
// applying the records found ([Manager.ApplyTo]). The runtime answers
// slowly (benchDelay per lookup), so an event loop that waited on it would
// take milliseconds per event instead of nanoseconds.
//
//	go test -run '^$' -bench . ./containers/

// benchDelay is how long the slow runtime takes to answer one lookup.
const benchDelay = 20 * time.Millisecond

// answering is a runtime that knows every docker container: it answers
// each lookup with a record after delay.
type answering struct {
	delay time.Duration
	asks  atomic.Int64
}

func (r *answering) Name() string                      { return "answering" }
func (r *answering) Serves(t state.ContainerType) bool { return t == state.CTDocker }
func (r *answering) Close() error                      { return nil }

func (r *answering) Watch(ctx context.Context, _ chan<- Event) error {
	return errors.ErrUnsupported
}

func (r *answering) Inspect(ctx context.Context, q Query) ([]*state.Container, error) {
	r.asks.Add(1)
	if r.delay > 0 {
		t := time.NewTimer(r.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return []*state.Container{{ID: q.ID, FullID: q.FullID, Type: state.CTDocker,
		Name: "bench-" + q.ID, Image: "localhost/bench:1", ImageRepo: "localhost/bench", ImageTag: "1"}}, nil
}

// benchContainer is a container as the model's cgroups name it.
type benchContainer struct {
	c  state.CgroupContainer
	id string
}

// benchContainers returns n distinct docker containers, made before the
// timed loop so that it measures the manager alone.
func benchContainers(n int) []benchContainer {
	cs := make([]benchContainer, n)
	for i := range cs {
		full := fmt.Sprintf("%012x%052x", i, 0)
		c := state.MatchCgroups([]byte("cpu=/docker/" + full + "\x00"))
		if !c.Found() {
			panic("no container in the cgroups of " + full)
		}
		cs[i] = benchContainer{c: c, id: string(c.ID)}
	}
	return cs
}

// benchManager starts a manager over rt, stopped at the end of the
// benchmark.
func benchManager(b *testing.B, rt Runtime) *Manager {
	b.Helper()
	m := NewManager([]Runtime{rt}, Options{Timeout: time.Minute, Retry: []time.Duration{}})
	m.Start(context.Background())
	b.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkEventLoop is the event goroutine's share of the lookups.
//
//   - ready: the check made before every event, with nothing to apply
//     while the runtime is busy with lookups (0 allocations).
//   - new/slow: every event is from a container never seen before, whose
//     lookup takes benchDelay: ContainerSeen, then the check, then
//     ApplyTo when records wait. The queue fills within the first
//     thousands of events; the rest are dropped (counted), never waited
//     for.
//   - new/fast: the same with a runtime that answers at once, so that the
//     records are applied to the model as the loop goes.
//   - inflight: events of one container whose lookup is under way (the
//     model tells the manager of a container once, so this is the
//     manager's own guard).
func BenchmarkEventLoop(b *testing.B) {
	pool := benchContainers(1 << 16)

	b.Run("ready", func(b *testing.B) {
		rt := &answering{delay: time.Hour}
		m := benchManager(b, rt)
		st := state.New()
		for i := range 64 {
			m.ContainerSeen(&pool[i].c, pool[i].id) // keeps the workers busy
		}
		b.ReportAllocs()
		for b.Loop() {
			if m.Ready() {
				m.ApplyTo(st)
			}
		}
	})

	newContainers := func(delay time.Duration) func(b *testing.B) {
		return func(b *testing.B) {
			rt := &answering{delay: delay}
			m := benchManager(b, rt)
			st := state.New()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := &pool[i&(len(pool)-1)]
				i++
				m.ContainerSeen(&c.c, c.id)
				if m.Ready() {
					m.ApplyTo(st)
				}
			}
			n := float64(i)
			s := m.Stats()
			b.ReportMetric(float64(s.Dropped.Load())/n, "dropped/op")
			b.ReportMetric(float64(rt.asks.Load())/n, "asked/op")
			b.ReportMetric(float64(s.Lookups.Load())/n, "answered/op")
			// What one event would cost a loop that waited for its
			// lookup, beside ns/op.
			if delay > 0 {
				b.ReportMetric(float64(delay), "ns/lookup")
			}
		}
	}
	b.Run("new/slow", newContainers(benchDelay))
	b.Run("new/fast", newContainers(0))

	b.Run("inflight", func(b *testing.B) {
		rt := &answering{delay: time.Hour}
		m := benchManager(b, rt)
		st := state.New()
		c := &pool[0]
		m.ContainerSeen(&c.c, c.id)
		b.ReportAllocs()
		for b.Loop() {
			m.ContainerSeen(&c.c, c.id)
			if m.Ready() {
				m.ApplyTo(st)
			}
		}
	})
}
