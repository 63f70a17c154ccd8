package engine

import (
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
)

// indexSize bounds the event type codes the index holds directly; an
// event of a higher code is tested against the rules that do not restrict
// event types.
const indexSize = 1024

// Engine runs compiled rules on events.
type Engine struct {
	opts  Options
	rules []*Rule
	// byType lists, for each event type code, the selected rules that can
	// match an event of that type, in definition order.
	byType [indexSize][]*Rule
	other  []*Rule // for codes at or above indexSize
	// sources run the rules of the sources other than syscall.
	sources []*Source
	buf     []byte
	// macro and list resolve the names in the rules' conditions.
	macro func(string) (filter.Expr, bool)
	list  func(string) (*filter.ListValues, bool)
}

func newEngine(rs []*Rule, o Options) *Engine {
	e := &Engine{opts: o, rules: rs}
	ignored := ignoredTypes()
	for _, r := range rs {
		r.Selected = o.selected(r.Spec)
		if !r.Selected {
			continue
		}
		set := r.Program.EventTypes()
		for t := 0; t < indexSize; t++ {
			if set.Has(event.Type(t)) && (o.AllEvents || !ignored[t]) {
				e.byType[t] = append(e.byType[t], r)
			}
		}
		if set.Has(event.Type(indexSize)) {
			e.other = append(e.other, r)
		}
	}
	return e
}

// Rules returns every compiled rule of the syscall source, selected or
// not, in definition order; [Engine.Source] has the others.
func (e *Engine) Rules() []*Rule { return e.rules }

// Macro returns the parsed condition of the macro called name, as the
// rules' conditions ([Rule.Expr]) name it.
func (e *Engine) Macro(name string) (filter.Expr, bool) {
	if e.macro == nil {
		return nil, false
	}
	return e.macro(name)
}

// List returns the values of the list called name where a rule's
// condition leaves the name as an unquoted item of a list of values, or
// alone after in; false when the compiler takes the name as a value.
func (e *Engine) List(name string) (*filter.ListValues, bool) {
	if e.list == nil {
		return nil, false
	}
	return e.list(name)
}

// Selected returns the rules of the syscall source that run.
func (e *Engine) Selected() []*Rule {
	var out []*Rule
	for _, r := range e.rules {
		if r.Selected {
			out = append(out, r)
		}
	}
	return out
}

// RulesFor returns the rules an event of type t is tested against.
func (e *Engine) RulesFor(t event.Type) []*Rule {
	if int(t) < indexSize {
		return e.byType[t]
	}
	return e.other
}

// Process tests the context's current event against the rules that can
// match its type and appends an alert to dst for each match (only the
// first with rule_matching first). It allocates nothing when no rule
// matches.
func (e *Engine) Process(c *field.Context, dst []alert.Alert) []alert.Alert {
	for _, r := range e.RulesFor(c.Event.Type()) {
		if !r.Program.Match(c) {
			continue
		}
		dst = append(dst, e.newAlert(r, c, &e.buf))
		if e.opts.Matching == MatchFirst {
			break
		}
	}
	return dst
}

// Matches calls fn for each rule that matches the current event, as
// Process would alert, without building alerts.
func (e *Engine) Matches(c *field.Context, fn func(*Rule)) {
	for _, r := range e.RulesFor(c.Event.Type()) {
		if r.Program.Match(c) {
			fn(r)
			if e.opts.Matching == MatchFirst {
				return
			}
		}
	}
}

// newAlert builds the alert of rule r on the current event, rendering in
// buf: each goroutine judging events (the syscall pipeline, each other
// source's) has its own.
func (e *Engine) newAlert(r *Rule, c *field.Context, buf *[]byte) alert.Alert {
	a := alert.Alert{
		Time:     time.Unix(0, int64(c.Event.TS())).UTC(),
		Rule:     r.Spec.Name,
		Priority: r.Spec.Priority,
		Source:   r.Spec.Source,
		Hostname: e.opts.Hostname,
		Tags:     r.Spec.Tags,
	}
	b, _ := r.Output.AppendText((*buf)[:0], c)
	a.Output = string(b)
	if r.extra != nil {
		b = r.extra.appendJSON(b[:0], c)
	} else {
		b, _ = r.Output.AppendJSON(b[:0], c)
	}
	a.OutputFields = append([]byte(nil), b...)
	*buf = b
	return a
}
