package pipeline

import (
	"sync/atomic"

	"github.com/kestrel-sec/kestrel/event"
)

// Counters are what a pipeline counts for its metrics, readable from any
// goroutine while it runs: events by type, and the size of the model,
// which the pipeline's goroutine publishes every gaugeEvery events or
// when its source has nothing more to give, at most once per gaugeGap of
// event time.
type Counters struct {
	byType     []atomic.Uint64
	threads    atomic.Uint64
	fds        atomic.Uint64
	containers atomic.Uint64
	lastTS     uint64 // event time of the latest publication (pipeline goroutine)
}

const (
	gaugeEvery = 1024
	gaugeGap   = uint64(100e6) // ns
)

func newCounters() *Counters {
	return &Counters{byType: make([]atomic.Uint64, len(event.Current().Events))}
}

// EachType calls fn for every event type seen, with its count.
func (c *Counters) EachType(fn func(t event.Type, n uint64)) {
	for i := range c.byType {
		if n := c.byType[i].Load(); n > 0 {
			fn(event.Type(i), n)
		}
	}
}

// State returns the size of the model as last published: threads, open
// fds and containers.
func (c *Counters) State() (threads, fds, containers uint64) {
	return c.threads.Load(), c.fds.Load(), c.containers.Load()
}

// count notes e, and publishes the model's size when due.
func (p *Pipeline) count(e *event.Event) {
	c := p.counters
	if t := int(e.Type()); t < len(c.byType) {
		c.byType[t].Add(1)
	}
	idle := p.pend != nil && p.pend.Pending() == 0
	if (p.events%gaugeEvery == 0 || idle) && e.TS()-c.lastTS >= gaugeGap {
		p.publish(e.TS())
	}
}

// publish stores the model's size.
func (p *Pipeline) publish(ts uint64) {
	th, fds, ctrs := p.st.Sizes()
	p.counters.threads.Store(uint64(th))
	p.counters.fds.Store(uint64(fds))
	p.counters.containers.Store(uint64(ctrs))
	p.counters.lastTS = ts
}
