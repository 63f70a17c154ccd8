package pipeline

import (
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
// took.
type Rules struct {
	eng    *engine.Engine
	fc     *field.Context
	emit   AlertFunc
	alerts []alert.Alert

	judged  uint64
	timed   bool
	rulesNS int64
}

// NewRules returns a sink judging events read from fc against eng.
func NewRules(eng *engine.Engine, fc *field.Context, emit AlertFunc) *Rules {
	return &Rules{eng: eng, fc: fc, emit: emit}
}

// SetEngine replaces the engine, between two events.
func (r *Rules) SetEngine(eng *engine.Engine) { r.eng = eng }

// Engine returns the engine in use.
func (r *Rules) Engine() *engine.Engine { return r.eng }

// Time makes the sink measure the time the rules take.
func (r *Rules) Time() { r.timed = true }

// Judged returns the events the rules judged.
func (r *Rules) Judged() uint64 { return r.judged }

// RulesTime returns the time the rules took, when timed.
func (r *Rules) RulesTime() time.Duration { return time.Duration(r.rulesNS) }

// Event runs the rules on e.
func (r *Rules) Event(_ *event.Event, k Kind) error {
	if k != Shown {
		return nil
	}
	r.judged++
	if r.timed {
		t0 := time.Now()
		r.alerts = r.eng.Process(r.fc, r.alerts[:0])
		r.rulesNS += int64(time.Since(t0))
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
