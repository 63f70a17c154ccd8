package prefilter

import (
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
)

// value is what the analysis knows of a condition.
type value struct {
	// types holds the event types the condition may hold for; typeExact
	// says it holds exactly for them (a pure evt.type condition).
	types     typeSet
	typeExact bool
	// opens holds the open exit events the condition may hold for.
	opens opens
	// outcome, when outcomeExact, says the condition holds for an open
	// exit exactly when it succeeded (outcomeOK) or failed.
	outcomeExact bool
	outcomeOK    bool
	// evt and tab hold the event types on which the condition's truth
	// may change when the model lacks the fd of a dropped open: through
	// the event's own fd (evt) or through the fd table (tab).
	evt, tab dep
	// fileFalse says the condition is false, with or without the fd,
	// whenever the event's fd is one a dropped open would have created.
	fileFalse bool
}

// analyzer walks conditions, macros expanded and lists resolved as the
// engine's compiler resolves them.
type analyzer struct {
	fields   *field.Registry
	macro    func(string) (filter.Expr, bool)
	list     func(string) (*filter.ListValues, bool)
	fam      families
	maxPairs int
	macros   map[string]*value
	// busy guards against a macro loop, which the compiler rejects.
	busy map[string]bool
	// ruleTypes holds the event types each selected rule runs for.
	ruleTypes map[*engine.Rule]typeSet
	// args and names memoise argClass and eventTypes.
	args  map[string]fdClass
	names map[string]typeSet
}

func (a *analyzer) expr(x filter.Expr) value {
	switch n := x.(type) {
	case *filter.Binary:
		l, r := a.expr(n.X), a.expr(n.Y)
		if n.Op == filter.Or {
			return a.or(l, r)
		}
		return a.and(l, r)
	case *filter.Not:
		return a.not(a.expr(n.X))
	case *filter.Check:
		return a.check(n)
	case *filter.MacroRef:
		return a.macroRef(n.Name)
	}
	return a.unknown()
}

func (a *analyzer) macroRef(name string) value {
	if v := a.macros[name]; v != nil {
		return *v
	}
	body, ok := a.macro(name)
	if !ok || a.busy[name] {
		v := a.unknown()
		v.tab = dep{allTypes(), "macro " + name + " cannot be resolved"}
		return v
	}
	a.busy[name] = true
	v := a.expr(body)
	delete(a.busy, name)
	a.macros[name] = &v
	return v
}

// unknown is a condition nothing is known of: it may hold for any event.
func (a *analyzer) unknown() value {
	return value{types: allTypes(), opens: anyOpen()}
}

func (a *analyzer) and(x, y value) value {
	v := value{
		types:     x.types.and(y.types),
		typeExact: x.typeExact && y.typeExact,
		opens:     x.opens.and(y.opens, a.maxPairs),
		fileFalse: x.fileFalse || y.fileFalse,
	}
	if x.outcomeExact && y.outcomeExact && x.outcomeOK == y.outcomeOK {
		v.outcomeExact, v.outcomeOK = true, x.outcomeOK
	}
	v.tab = x.tab.or(y.tab).within(v.types)
	if !v.fileFalse {
		v.evt = x.evt.or(y.evt).within(v.types)
	}
	return v
}

func (a *analyzer) or(x, y value) value {
	v := value{
		types:     x.types.or(y.types),
		typeExact: x.typeExact && y.typeExact,
		opens:     x.opens.or(y.opens),
		fileFalse: x.fileFalse && y.fileFalse,
	}
	if x.outcomeExact && y.outcomeExact && x.outcomeOK == y.outcomeOK {
		v.outcomeExact, v.outcomeOK = true, x.outcomeOK
	}
	v.evt, v.tab = x.evt.or(y.evt), x.tab.or(y.tab)
	return v
}

// dep is a set of event types on which a condition depends on fds a
// dropped open would have created, and the first check responsible.
type dep struct {
	types typeSet
	why   string
}

func (d dep) or(e dep) dep {
	if d.types.empty() {
		return dep{e.types, e.why}
	}
	return dep{d.types.or(e.types), d.why}
}

func (d dep) within(ts typeSet) dep {
	d.types = d.types.and(ts)
	if d.types.empty() {
		return dep{}
	}
	return d
}

// not complements what is known exactly (event types, outcome); of
// anything else, its negation may hold for any open.
func (a *analyzer) not(x value) value {
	v := value{types: allTypes(), opens: anyOpen(), evt: x.evt, tab: x.tab}
	switch {
	case x.typeExact:
		v.types, v.typeExact = x.types.not(), true
		v.opens = a.opensOfTypes(v.types)
	case x.outcomeExact:
		v.outcomeExact, v.outcomeOK = true, !x.outcomeOK
		v.opens = outcomeOpens(v.outcomeOK)
	}
	return v
}

// opensOfTypes is every open when the types hold an open exit, else none.
func (a *analyzer) opensOfTypes(ts typeSet) opens {
	if ts.and(a.fam.exit).empty() {
		return noOpen()
	}
	return anyOpen()
}

func outcomeOpens(ok bool) opens {
	if ok {
		return succeeded()
	}
	return failedOnly()
}
