package engine

import (
	"strings"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/rules"
)

// Rule is a compiled rule.
type Rule struct {
	Spec *rules.Rule
	// Condition is the condition compiled, with exceptions appended as
	// Falco builds them.
	Condition string
	Program   *filter.Program
	// Output renders the alert line and the output fields.
	Output *field.Format
	// extra renders the fields append_output adds; nil when none.
	extra *extraFields
	// Selected is set when the rule runs under the engine's options.
	Selected bool
}

// maxWarnTypes is the number of event types above which Falco warns that
// a rule matches too many of them.
const maxWarnTypes = 100

// Compile compiles every rule of a syscall source in the spec and builds
// an engine that runs those the options select. Rules of other sources
// are skipped with a warning. The diagnostics hold every error and
// warning; the engine runs the rules that compiled even when there are
// errors.
func Compile(spec *rules.Spec, o Options) (*Engine, rules.Diagnostics) {
	if o.Fields == nil {
		o.Fields = field.Default()
	}
	d := &diags{}
	fo := filter.Options{Fields: o.Fields, List: listLookup(spec), Cache: filter.NewCache()}
	ms := newMacros(spec, fo, d)
	fo.Macro = ms.lookup
	var out []*Rule
	for _, r := range spec.Rules {
		if r.Source != rules.SyscallSource {
			d.atPos(rules.SeverityWarning, r.Pos, r.Condition, ruleItem(r.Name),
				"unknown source "+quote(r.Source)+"; the rule is skipped")
			continue
		}
		cr, ok := compileRule(r, o, fo, ms, d)
		if ok {
			out = append(out, cr)
		}
	}
	return newEngine(out, o), d.list
}

// listLookup is the filter compiler's list hook. Falco pastes a list's
// items into the condition text, so an item written with quotes stands
// for the unquoted value: each list's values are those the filter parser
// reads from the pasted text.
func listLookup(spec *rules.Spec) func(string) ([]string, bool) {
	values := make(map[string][]string, len(spec.Lists))
	for _, l := range spec.Lists {
		values[l.Name] = listValues(l.Expanded)
	}
	return func(name string) ([]string, bool) {
		v, ok := values[name]
		return v, ok
	}
}

// listValues returns the values the items of a list stand for once pasted
// into a condition, as "x in (item, item…)"; items that do not parse stay
// as written.
func listValues(items []string) []string {
	if len(items) == 0 {
		return items
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = quoteItem(it)
	}
	x, err := filter.Parse("evt.type in (" + strings.Join(parts, ", ") + ")")
	if err != nil {
		return items
	}
	c, ok := x.(*filter.Check)
	if !ok {
		return items
	}
	l, ok := c.Right.(*filter.List)
	if !ok {
		return items
	}
	out := make([]string, len(l.Items))
	for i, v := range l.Items {
		out[i] = v.Text
	}
	return out
}

func compileRule(r *rules.Rule, o Options, fo filter.Options, ms *macros, d *diags) (*Rule, bool) {
	src, exSpans := fullCondition(r)
	out, ok := compileOutput(r, o, d)
	if !ok {
		return nil, false
	}
	x, err := filter.Parse(src)
	if err != nil {
		reportCondition(r, asErrors(err), exSpans, ms, d)
		return nil, false
	}
	prog, err := filter.CompileExpr(x, src, fo)
	if err != nil {
		reportCondition(r, asErrors(err), exSpans, ms, d)
		return nil, false
	}
	if r.WarnEvttypes && tooManyTypes(prog.EventTypes()) {
		d.atPos(rules.SeverityWarning, r.Condition.Pos(), r.Condition, ruleItem(r.Name),
			"rule matches too many evt.type values; this has a significant performance penalty")
	}
	extra, err := compileExtraFields(r, o.AppendOutput, outputText(r, o), o.Fields)
	if err != nil {
		d.atPos(rules.SeverityError, r.Output.Pos(), r.Output, ruleItem(r.Name), "append_output: "+err.Error())
		return nil, false
	}
	return &Rule{Spec: r, Condition: src, Program: prog, Output: out, extra: extra}, true
}

// reportCondition locates the errors of a rule's condition: in the
// condition itself, in an exception, or in a macro the condition names.
// With skip-if-unknown-filter, unknown fields are warnings.
func reportCondition(r *rules.Rule, errs filter.Errors, exSpans []exceptionSpan, ms *macros, d *diags) {
	shift := 0
	if len(r.Exceptions) > 0 {
		shift = 1 // the "(" before the condition
	}
	for _, e := range errs {
		sev := rules.SeverityError
		if r.SkipIfUnknownFilter && isUnknownField(e.Msg) {
			sev = rules.SeverityWarning
		}
		if name, _, ok := inMacro(e.Msg); ok && ms.report(name, sev, r.SkipIfUnknownFilter, d) {
			continue
		}
		if name, ok := undefinedMacro(e.Msg); ok && ms.broken[name] {
			continue // reported at the macro
		}
		off := e.Pos.Offset - shift
		if off <= len(r.Condition.Value) || len(exSpans) == 0 {
			d.at(sev, r.Condition, max(off, 0), ruleItem(r.Name), e.Msg)
			continue
		}
		ex := exceptionAt(exSpans, e.Pos.Offset)
		d.atPos(sev, ex.Pos, r.Condition, ruleItem(r.Name), "exception "+quote(ex.Name)+": "+e.Msg)
	}
}

func undefinedMacro(msg string) (string, bool) {
	const p = `undefined macro "`
	if !strings.HasPrefix(msg, p) {
		return "", false
	}
	return strings.TrimSuffix(msg[len(p):], `"`), true
}

// exceptionAt returns the exception whose clause holds offset off.
func exceptionAt(spans []exceptionSpan, off int) *rules.Exception {
	for _, s := range spans {
		if off < s.end {
			return s.ex
		}
	}
	return spans[len(spans)-1].ex
}

// tooManyTypes reports whether a rule's event types would draw Falco's
// warning: no restriction, or more than maxWarnTypes event codes.
func tooManyTypes(s *filter.TypeSet) bool {
	return s.All() || s.Len() > maxWarnTypes
}
