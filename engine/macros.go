package engine

import (
	"strings"

	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/rules"
)

// macros holds the macros of a spec, each parsed once, and what compiling
// each on its own found wrong, so that an error inside a macro is reported
// once, at its place in the macro.
type macros struct {
	spec  *rules.Spec
	opts  filter.Options
	exprs map[string]filter.Expr
	// broken names the macros whose text does not parse or that refer to
	// a macro they cannot see; rules naming them fail without a second
	// report.
	broken map[string]bool
	errs   map[string]filter.Errors // standalone compile errors, by macro
	done   map[string]bool          // standalone compile done
	shown  map[string]rules.Severity
}

func newMacros(spec *rules.Spec, opts filter.Options, d *diags) *macros {
	ms := &macros{spec: spec, exprs: map[string]filter.Expr{}, broken: map[string]bool{},
		errs: map[string]filter.Errors{}, done: map[string]bool{}, shown: map[string]rules.Severity{}}
	ms.opts = opts
	ms.opts.Macro = ms.lookup
	for _, m := range spec.Macros {
		x, err := filter.Parse(m.Condition.Value)
		if err != nil {
			ms.broken[m.Name] = true
			for _, e := range asErrors(err) {
				d.at(rules.SeverityError, m.Condition, e.Pos.Offset, macroItem(m.Name), e.Msg)
			}
			continue
		}
		ms.exprs[m.Name] = x
	}
	for _, m := range spec.Macros {
		if x, ok := ms.exprs[m.Name]; ok {
			ms.checkVisible(m, x, d)
		}
	}
	return ms
}

// checkVisible reports macro references a macro cannot see: Falco lets a
// macro name only macros defined before it was last changed.
func (ms *macros) checkVisible(m *rules.Macro, x filter.Expr, d *diags) {
	filter.Inspect(x, func(n filter.Node) bool {
		ref, ok := n.(*filter.MacroRef)
		if !ok {
			return true
		}
		target := ms.spec.Macro(ref.Name)
		switch {
		case target == nil:
			d.at(rules.SeverityError, m.Condition, ref.Loc.Start.Offset, macroItem(m.Name),
				"undefined macro "+quote(ref.Name))
		case target.Index >= m.Visibility:
			d.at(rules.SeverityError, m.Condition, ref.Loc.Start.Offset, macroItem(m.Name),
				"macro "+quote(ref.Name)+" is defined after this macro; a macro can only use macros defined before it")
		default:
			return true
		}
		ms.broken[m.Name] = true
		return true
	})
}

// lookup is the filter compiler's macro hook.
func (ms *macros) lookup(name string) (filter.Expr, bool) {
	x, ok := ms.exprs[name]
	return x, ok
}

// standalone returns the errors of the macro compiled on its own.
func (ms *macros) standalone(name string) filter.Errors {
	if !ms.done[name] {
		ms.done[name] = true
		if x, ok := ms.exprs[name]; ok {
			_, err := filter.CompileExpr(x, ms.spec.Macro(name).Condition.Value, ms.opts)
			ms.errs[name] = asErrors(err)
		}
	}
	return ms.errs[name]
}

// report gives the errors found inside a macro at their places in it,
// following references to nested macros, once per macro and severity.
// It reports whether it found the macro's own errors.
func (ms *macros) report(name string, sev rules.Severity, skipUnknown bool, d *diags) bool {
	if ms.broken[name] {
		return true
	}
	errs := ms.standalone(name)
	if len(errs) == 0 {
		return false
	}
	if prev, ok := ms.shown[name]; ok && prev <= sev {
		return true
	}
	ms.shown[name] = sev
	m := ms.spec.Macro(name)
	for _, e := range errs {
		if inner, _, ok := inMacro(e.Msg); ok && ms.report(inner, sev, skipUnknown, d) {
			continue
		}
		s := sev
		if skipUnknown && isUnknownField(e.Msg) {
			s = rules.SeverityWarning
		}
		d.at(s, m.Condition, e.Pos.Offset, macroItem(name), e.Msg)
	}
	return true
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

func isUnknownField(msg string) bool { return strings.Contains(msg, "unknown field") }

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
