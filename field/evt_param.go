package field

import (
	"github.com/kestrel-sec/kestrel/event"
)

// Parameters as sysdig 0.29.3 sees them: named and typed by the schema it
// prints the event with (event.Display), limited to the parameters both
// the schema and the record have.

// displayInfo returns the schema sysdig would print e with, or nil.
func displayInfo(e *event.Event) *event.Info {
	return event.Display(e.Type(), e.NumParams())
}

// numDisplayParams returns how many parameters of e sysdig shows.
func numDisplayParams(e *event.Event, info *event.Info) int {
	if info == nil {
		return 0
	}
	return min(e.NumParams(), len(info.Params))
}

// displayParam returns parameter i of e with its display schema.
func displayParam(e *event.Event, info *event.Info, i int) event.Param {
	p := e.Param(i)
	p.Info = &info.Params[i]
	return p
}

// paramIndex returns the index of the first parameter called name, or -1.
func paramIndex(e *event.Event, info *event.Info, name string) int {
	n := numDisplayParams(e, info)
	for i := 0; i < n; i++ {
		if info.Params[i].Name == name {
			return i
		}
	}
	return -1
}

// paramNamed returns the parameter called name and its index.
func paramNamed(e *event.Event, name string) (event.Param, int, bool) {
	info := displayInfo(e)
	i := paramIndex(e, info, name)
	if i < 0 {
		return event.Param{}, -1, false
	}
	return displayParam(e, info, i), i, true
}

// effectiveType returns the type of a parameter's value: the chosen
// alternative for dynamic parameters.
func effectiveType(p event.Param) event.ParamType {
	t := p.Type()
	if t == event.PTDyn {
		if dt, _, ok := p.Dyn(); ok {
			return dt.Type
		}
	}
	return t
}

// resultParam returns what sysdig takes for an event's return value: its
// "res" parameter or, for exit events that create an fd, its "fd".
func resultParam(e *event.Event) (event.Param, int, bool) {
	if p, i, ok := paramNamed(e, "res"); ok {
		return p, i, true
	}
	info := displayInfo(e)
	if info == nil || info.Flags&event.FlagCreatesFD == 0 || e.Type().IsEnter() {
		return event.Param{}, -1, false
	}
	return paramNamed(e, "fd")
}

// resultValue returns the event's return value as a number.
func resultValue(e *event.Event) (int64, bool) {
	p, _, ok := resultParam(e)
	if !ok || len(p.Raw) < 8 {
		return 0, false
	}
	return p.Int(), true
}
