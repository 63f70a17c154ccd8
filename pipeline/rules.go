package pipeline

import (
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// AlertFunc takes each alert as it is made; the alert is the callee's.
type AlertFunc func(a *alert.Alert) error

// Rules judges the events that rules see (not state-only, internal or
// preamble events) against an engine and hands each alert to a function.
// It counts the events it judged and, when timed, the time the rules
// took; both may be read from any goroutine.
type Rules struct {
	eng    *engine.Engine
	next   atomic.Pointer[engine.Engine] // swapped in at the next event
	fc     *field.Context
	emit   AlertFunc
	alerts []alert.Alert

	judged  atomic.Uint64
	every   uint64 // time one event in every (0: none)
	rulesNS atomic.Int64
}

// NewRules returns a sink judging events read from fc against eng.
func NewRules(eng *engine.Engine, fc *field.Context, emit AlertFunc) *Rules {
	return &Rules{eng: eng, fc: fc, emit: emit}
}

// Swap replaces the engine from the next event on; it may be called from
// any goroutine. Every event is judged by one engine, the old or the new.
func (r *Rules) Swap(eng *engine.Engine) { r.next.Store(eng) }

// Time makes the sink measure the time the rules take on one event in
// every (1: each event), scaled up to all events.
func (r *Rules) Time(every int) { r.every = uint64(max(every, 1)) }

// Stats returns the events judged and the time the rules took, when
// timed.
func (r *Rules) Stats() (judged uint64, rules time.Duration) {
	return r.judged.Load(), time.Duration(r.rulesNS.Load())
}

// Event runs the rules on e.
func (r *Rules) Event(_ *event.Event, k Kind) error {
	if k != Shown {
		return nil
	}
	if n := r.next.Load(); n != nil && r.next.CompareAndSwap(n, nil) {
		r.eng = n
	}
	if n := r.judged.Add(1); r.every > 0 && n%r.every == 0 {
		t0 := time.Now()
		r.alerts = r.eng.Process(r.fc, r.alerts[:0])
		r.rulesNS.Add(int64(time.Since(t0)) * int64(r.every))
	} else {
		r.alerts = r.eng.Process(r.fc, r.alerts[:0])
	}
	for i := range r.alerts {
		if err := r.emit(&r.alerts[i]); err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: alerts are handed over as they are made.
func (r *Rules) Close() error { return nil }
