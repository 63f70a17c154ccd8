package engine

import (
	"errors"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
)

// outputPrefix returns what Falco puts before a rule's output: the event
// time and the priority.
func outputPrefix(p rules.Priority, iso bool) string {
	if iso {
		return "*%evt.time.iso8601: " + p.String() + " "
	}
	return "*%evt.time: " + p.String() + " "
}

// outputText is the format of a rule's alert line: Falco's prefix, the
// output (without a leading '*') and append_output's extra text.
func outputText(r *rules.Rule, o Options) string {
	text := r.Output.Value + extraText(r, o.AppendOutput)
	return outputPrefix(r.Priority, o.TimeISO8601) + strings.TrimPrefix(text, "*")
}

// compileOutput compiles the alert line of a rule: Falco's time and
// priority prefix, then the output with %field references (a leading '*'
// of the output is dropped, the prefix has one). Missing values print as
// <NA>.
func compileOutput(r *rules.Rule, o Options, d *diags) (*field.Format, bool) {
	prefix := outputPrefix(r.Priority, o.TimeISO8601)
	text := r.Output.Value + extraText(r, o.AppendOutput)
	skip := 0
	if strings.HasPrefix(text, "*") {
		skip = 1
	}
	f, err := o.Fields.CompileFormat(prefix + text[skip:])
	if err == nil {
		return f, true
	}
	var fe *field.FormatError
	if !errors.As(err, &fe) {
		d.atPos(rules.SeverityError, r.Output.Pos(), r.Output, ruleItem(r.Name), "output: "+err.Error())
		return nil, false
	}
	sev := rules.SeverityError
	msg := fe.Err.Error()
	if r.SkipIfUnknownFilter && isUnknownField(msg) {
		sev = rules.SeverityWarning
	}
	off := fe.Col - 1 - len(prefix) + skip
	d.at(sev, r.Output, max(off, 0), ruleItem(r.Name), "output: "+msg)
	return nil, false
}
