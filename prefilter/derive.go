package prefilter

import (
	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// defaultMaxPairs bounds the pairs of terms an "and" intersects before
// it keeps one operand instead.
const defaultMaxPairs = 1 << 16

// Options configure [Derive]. The zero value is the default.
type Options struct {
	// Fields resolves the field names of the conditions; it must be the
	// registry the engine compiled with. [field.Default] when nil.
	Fields *field.Registry
	// MaxPairs bounds the pairs of terms one "and" intersects; past it
	// the analysis keeps the smaller operand, a looser but sound bound.
	// 65536 when zero.
	MaxPairs int
}

// Derive returns the pre-filter the selected rules of eng allow: an open
// is dropped in the kernel only when no selected rule can match it, and
// no selected rule on another event reads the fd it would have created.
func Derive(eng *engine.Engine, o Options) (driver.Prefilter, Report) {
	a := newAnalyzer(eng, o)
	var rep Report
	set := noOpen()
	var lifecycle []Blocker
	var failedBy, allBy []string
	for _, r := range eng.Selected() {
		ts := a.ruleTypes[r]
		v := a.rule(r)
		if b, ok := blocker(r, v, ts); ok {
			lifecycle = append(lifecycle, b)
		}
		if ts.and(a.fam.exit).empty() {
			continue
		}
		set = set.or(v.opens)
		if v.opens.failed {
			failedBy = append(failedBy, r.Spec.Name)
		}
		if v.opens.or(failedOnly()).isAny() {
			allBy = append(allBy, r.Spec.Name)
		}
		rep.Rules = append(rep.Rules, RuleOpens{Name: r.Spec.Name, Allows: describe(v.opens), Opens: v.opens.filter()})
	}
	rep.Blockers = lifecycle
	switch {
	case len(lifecycle) > 0:
		rep.Reason = "rules on other events read the fds of opened files, which the model would lack"
	case set.isAny():
		rep.Reason = "the rules may match any open: failed ones by " + short(failedBy) +
			", succeeded ones by " + short(allBy)
	default:
		rep.Filter.Open = set.filter()
	}
	return rep.Filter, rep
}

func newAnalyzer(eng *engine.Engine, o Options) *analyzer {
	if o.Fields == nil {
		o.Fields = field.Default()
	}
	if o.MaxPairs <= 0 {
		o.MaxPairs = defaultMaxPairs
	}
	a := &analyzer{fields: o.Fields, macro: eng.Macro, list: eng.List, fam: openFamilies(),
		maxPairs: o.MaxPairs, macros: map[string]*value{}, busy: map[string]bool{},
		ruleTypes: map[*engine.Rule]typeSet{}, args: map[string]fdClass{}, names: map[string]typeSet{}}
	for t := 0; t < maxTypes; t++ {
		for _, r := range eng.RulesFor(event.Type(t)) {
			s := a.ruleTypes[r]
			s.add(t)
			a.ruleTypes[r] = s
		}
	}
	return a
}

// rule analyses a rule's condition; one the engine kept no tree of may
// match anything and read any fd.
func (a *analyzer) rule(r *engine.Rule) value {
	if r.Expr == nil {
		v := a.unknown()
		v.tab = dep{allTypes(), "the condition's tree is not available"}
		return v
	}
	return a.expr(r.Expr)
}

// blocker reports a rule whose condition reads, on an event type it runs
// for other than the opens, fds a dropped open would have created.
func blocker(r *engine.Rule, v value, ts typeSet) (Blocker, bool) {
	for _, d := range []dep{v.evt.within(ts), v.tab.within(ts)} {
		if t := d.types.first(); t >= 0 {
			return Blocker{Rule: r.Spec.Name, Check: d.why, Event: typeName(t)}, true
		}
	}
	return Blocker{}, false
}
