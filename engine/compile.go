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
	// Expr is Condition parsed, lists pasted as Falco pastes them; macros
	// stay references, resolved by [Engine.Macro], and list names left in
	// lists of values by [Engine.List], as the compiler resolves them.
	Expr    filter.Expr
	Program *filter.Program
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

// Compile compiles every rule in the spec, each against the fields of
// its source (syscall, or one of o.Sources), and builds an engine that
// runs those the options select. Rules of other sources are skipped with
// a warning. required_plugin_versions is checked against the plugins the
// sources declare. The diagnostics hold every error and warning; the
// engine runs the rules that compiled even when there are errors.
func Compile(spec *rules.Spec, o Options) (*Engine, rules.Diagnostics) {
	if o.Fields == nil {
		o.Fields = field.Default()
	}
	d := &diags{list: rules.CheckPlugins(spec, declaredPlugins(o))}
	ls := newLists(spec)
	fo := filter.Options{Fields: o.Fields, List: ls.lookup, Cache: filter.NewCache()}
	ms := newMacros(spec, fo, ls, d)
	fo.Macro = ms.lookup
	ms.compileAll(d)
	used := map[string]bool{}
	others := map[string]*sourceBuild{}
	var builds []*sourceBuild
	for _, def := range o.Sources {
		if def.Name == rules.SyscallSource || others[def.Name] != nil || def.Fields == nil {
			continue
		}
		b := newSourceBuild(def, spec, o, ls)
		others[def.Name] = b
		builds = append(builds, b)
	}
	var out []*Rule
	for _, r := range spec.Rules {
		if r.Source == rules.SyscallSource {
			if cr, ok := compileRule(r, o, fo, ls, ms, d, used); ok {
				out = append(out, cr)
			}
			continue
		}
		b := others[r.Source]
		if b == nil {
			d.atPos(rules.SeverityWarning, r.Pos, r.Condition, ruleItem(r.Name),
				"unknown source "+quote(r.Source)+"; the rule is skipped")
			continue
		}
		if cr, ok := compileRule(r, b.o, b.fo, ls, b.ms, d, b.used); ok {
			b.src.all = append(b.src.all, cr)
		}
	}
	ms.warn(used, d)
	e := newEngine(out, o)
	e.macro, e.list = ms.lookup, ls.lookup
	for _, b := range builds {
		b.ms.warn(b.used, d)
		e.sources = append(e.sources, b.finish(e))
	}
	return e, d.list
}

func compileRule(r *rules.Rule, o Options, fo filter.Options, ls *lists, ms *macros, d *diags, used map[string]bool) (*Rule, bool) {
	if !checkExceptionFields(r, fo, d) {
		return nil, false
	}
	src, exSpans := fullCondition(r)
	out, ok := compileOutput(r, o, d)
	if !ok {
		return nil, false
	}
	c := ls.prepare(src)
	for _, e := range c.sub.errs {
		reportAt(r, e.orig, rules.SeverityError, e.msg, exSpans, d)
	}
	if c.expr == nil {
		reportCondition(r, c, c.errs, exSpans, ms, d)
		return nil, false
	}
	ms.uses(c.expr, used)
	prog, err := filter.CompileExpr(c.expr, c.sub.text, fo)
	if err != nil {
		reportCondition(r, c, asErrors(err), exSpans, ms, d)
		return nil, false
	}
	if len(c.sub.errs) > 0 {
		return nil, false
	}
	for _, w := range prog.Warnings() {
		if _, list := c.sub.origin(w.Pos.Offset); list == "" {
			off, msg := c.locate(w.Pos.Offset, w.Msg)
			reportAt(r, off, rules.SeverityWarning, msg, exSpans, d)
		}
	}
	if r.WarnEvttypes && r.Source == rules.SyscallSource && tooManyTypes(prog.EventTypes()) {
		d.atPos(rules.SeverityWarning, r.Condition.Pos(), r.Condition, ruleItem(r.Name),
			"rule matches too many evt.type values; this has a significant performance penalty")
	}
	extra, err := compileExtraFields(r, o.AppendOutput, outputText(r, o), o.Fields)
	if err != nil {
		d.atPos(rules.SeverityError, r.Output.Pos(), r.Output, ruleItem(r.Name), "append_output: "+err.Error())
		return nil, false
	}
	return &Rule{Spec: r, Condition: src, Expr: c.expr, Program: prog, Output: out, extra: extra}, true
}

// checkExceptionFields reports exception fields that are no field, at the
// field, whether or not the exception has values yet: Falco checks them
// when it reads the rule.
func checkExceptionFields(r *rules.Rule, fo filter.Options, d *diags) bool {
	ok := true
	for _, ex := range r.Exceptions {
		for i, f := range ex.Fields {
			_, err := filter.Compile(f+" exists", filter.Options{Fields: fo.Fields})
			if err == nil {
				continue
			}
			ok = false
			at := ex.Pos
			if i < len(ex.FieldPos) {
				at = ex.FieldPos[i]
			}
			msg := err.Error()
			if es := asErrors(err); len(es) > 0 {
				msg = es[0].Msg
			}
			d.atPos(rules.SeverityError, at, r.Condition, ruleItem(r.Name), "exception "+quote(ex.Name)+": "+msg)
		}
	}
	return ok
}

// reportCondition locates the errors of a rule's condition: in the
// condition itself, in an exception, or in a macro the condition names.
// With skip-if-unknown-filter, unknown fields are warnings.
func reportCondition(r *rules.Rule, c *condition, errs filter.Errors, exSpans []exceptionSpan, ms *macros, d *diags) {
	for _, e := range errs {
		if c.sub.failed(e.Pos.Offset) {
			continue
		}
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
		off, msg := c.locate(e.Pos.Offset, e.Msg)
		reportAt(r, off, sev, msg, exSpans, d)
	}
}

// reportAt reports msg at offset off of a rule's full condition: in the
// condition itself or in the exception whose clause holds it.
func reportAt(r *rules.Rule, off int, sev rules.Severity, msg string, exSpans []exceptionSpan, d *diags) {
	shift := 0
	if len(r.Exceptions) > 0 {
		shift = 1 // the "(" before the condition
	}
	if rel := off - shift; rel <= len(r.Condition.Value) || len(exSpans) == 0 {
		d.at(sev, r.Condition, max(rel, 0), ruleItem(r.Name), msg)
		return
	}
	ex := exceptionAt(exSpans, off)
	d.atPos(sev, ex.Pos, r.Condition, ruleItem(r.Name), "exception "+quote(ex.Name)+": "+msg)
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
