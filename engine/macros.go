package engine

import (
	"strings"

	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/rules"
)

// macros holds the macros of a spec, each prepared and parsed once. The
// filter compiler compiles each once, in the engine's cache, so that an
// error inside a macro is reported once, at its place in the macro.
type macros struct {
	spec  *rules.Spec
	opts  filter.Options
	conds map[string]*condition
	// broken names the macros whose text does not parse or that refer to
	// a macro they cannot see; rules naming them fail without a second
	// report.
	broken map[string]bool
	shown  map[string]rules.Severity
}

func newMacros(spec *rules.Spec, opts filter.Options, ls *lists, d *diags) *macros {
	ms := &macros{spec: spec, conds: map[string]*condition{}, broken: map[string]bool{},
		shown: map[string]rules.Severity{}}
	ms.opts = opts
	ms.opts.Macro = ms.lookup
	for _, m := range spec.Macros {
		c := ls.prepare(m.Condition.Value)
		ms.conds[m.Name] = c
		for _, e := range c.sub.errs {
			d.at(rules.SeverityError, m.Condition, e.orig, macroItem(m.Name), e.msg)
			ms.broken[m.Name] = true
		}
		for _, e := range c.errs {
			off, msg := c.locate(e.Pos.Offset, e.Msg)
			d.at(rules.SeverityError, m.Condition, off, macroItem(m.Name), msg)
			ms.broken[m.Name] = true
		}
	}
	for _, m := range spec.Macros {
		if c := ms.conds[m.Name]; c.expr != nil {
			ms.checkVisible(m, c, d)
		}
	}
	return ms
}

// checkVisible reports macro references a macro cannot see: Falco lets a
// macro name only macros defined before it was last changed.
func (ms *macros) checkVisible(m *rules.Macro, c *condition, d *diags) {
	filter.Inspect(c.expr, func(n filter.Node) bool {
		ref, ok := n.(*filter.MacroRef)
		if !ok {
			return true
		}
		target := ms.spec.Macro(ref.Name)
		var msg string
		switch {
		case target == nil:
			msg = "undefined macro " + quote(ref.Name)
		case target == m && target.Index >= m.Visibility:
			msg = "macro " + quote(ref.Name) + " refers to itself: " + ref.Name + " -> " + ref.Name
		case target.Index >= m.Visibility:
			msg = "macro " + quote(ref.Name) + " is defined after this macro; a macro can only use macros defined before it"
		default:
			return true
		}
		off, msg := c.locate(ref.Loc.Start.Offset, msg)
		d.at(rules.SeverityError, m.Condition, off, macroItem(m.Name), msg)
		ms.broken[m.Name] = true
		return true
	})
}

// lookup is the filter compiler's macro hook.
func (ms *macros) lookup(name string) (filter.Expr, bool) {
	c := ms.conds[name]
	if c == nil || c.expr == nil {
		return nil, false
	}
	return c.expr, true
}

// compileAll compiles every macro, in the order they were defined, as
// Falco resolves them all whether rules use them or not: a reference loop
// is an error even in a macro no rule names.
func (ms *macros) compileAll(d *diags) {
	for _, m := range ms.spec.Macros {
		if ms.broken[m.Name] || ms.conds[m.Name].expr == nil {
			continue
		}
		errs, _ := filter.CompileMacro(m.Name, ms.opts)
		for _, e := range errs {
			if strings.Contains(e.Msg, "refers to itself") && !strings.HasPrefix(e.Msg, "in macro ") {
				ms.report(m.Name, rules.SeverityError, false, d)
				break
			}
		}
	}
}

// report gives the errors found inside a macro at their places in it,
// following references to nested macros, once per macro and severity.
// It reports whether the macro has errors of its own or is broken.
func (ms *macros) report(name string, sev rules.Severity, skipUnknown bool, d *diags) bool {
	if ms.broken[name] {
		return true
	}
	errs, _ := filter.CompileMacro(name, ms.opts)
	if len(errs) == 0 {
		return false
	}
	if prev, ok := ms.shown[name]; ok && prev <= sev {
		return true
	}
	ms.shown[name] = sev
	m := ms.spec.Macro(name)
	c := ms.conds[name]
	for _, e := range errs {
		if inner, _, ok := inMacro(e.Msg); ok && (inner == name || ms.report(inner, sev, skipUnknown, d)) {
			continue
		}
		s := sev
		if skipUnknown && isUnknownField(e.Msg) {
			s = rules.SeverityWarning
		}
		off, msg := c.locate(e.Pos.Offset, e.Msg)
		d.at(s, m.Condition, off, macroItem(name), msg)
	}
	return true
}

// warn reports the warnings of the macros rules use, once each.
func (ms *macros) warn(used map[string]bool, d *diags) {
	for _, m := range ms.spec.Macros {
		if !used[m.Name] || ms.broken[m.Name] {
			continue
		}
		errs, warns := filter.CompileMacro(m.Name, ms.opts)
		if len(errs) > 0 {
			continue
		}
		c := ms.conds[m.Name]
		for _, w := range warns {
			if _, list := c.sub.origin(w.Pos.Offset); list != "" {
				continue
			}
			off, msg := c.locate(w.Pos.Offset, w.Msg)
			d.at(rules.SeverityWarning, m.Condition, off, macroItem(m.Name), msg)
		}
	}
}

// uses adds to used the macros x names, and those they name.
func (ms *macros) uses(x filter.Expr, used map[string]bool) {
	filter.Inspect(x, func(n filter.Node) bool {
		ref, ok := n.(*filter.MacroRef)
		if !ok || used[ref.Name] {
			return true
		}
		used[ref.Name] = true
		if c := ms.conds[ref.Name]; c != nil && c.expr != nil {
			ms.uses(c.expr, used)
		}
		return true
	})
}

// inMacro splits a compiler message "in macro NAME: rest".
func inMacro(msg string) (name, rest string, ok bool) {
	const p = "in macro "
	if !strings.HasPrefix(msg, p) {
		return "", msg, false
	}
	name, rest, ok = strings.Cut(msg[len(p):], ": ")
	return name, rest, ok
}

// isUnknownField reports whether a message is about a field or an event
// type that does not exist, the errors skip-if-unknown-filter turns into
// warnings, as in Falco.
func isUnknownField(msg string) bool {
	return strings.Contains(msg, "unknown field") || strings.Contains(msg, "unknown event type")
}

func macroItem(name string) string { return "macro " + quote(name) }

func ruleItem(name string) string { return "rule " + quote(name) }

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// asErrors returns the located errors of a filter error.
func asErrors(err error) filter.Errors {
	if err == nil {
		return nil
	}
	if es, ok := err.(filter.Errors); ok {
		return es
	}
	return filter.Errors{&filter.Error{Msg: err.Error()}}
}
