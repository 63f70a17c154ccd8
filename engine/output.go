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
	text, _ := dropContainerInfo(r.Output.Value + extraText(r, o.AppendOutput))
	return outputPrefix(r.Priority, o.TimeISO8601) + strings.TrimPrefix(text, "*")
}

// containerInfo is the placeholder older rules write for the container's
// id and name. Falco 0.41 and later replace it with nothing (the
// container plugin's suggested fields, appended to every output, carry
// them now) and warn that it is deprecated.
const containerInfo = "%container.info"

// compileOutput compiles the alert line of a rule: Falco's time and
// priority prefix, then the output with %field references (a leading '*'
// of the output is dropped, the prefix has one). Missing values print as
// <NA>.
func compileOutput(r *rules.Rule, o Options, d *diags) (*field.Format, bool) {
	prefix := outputPrefix(r.Priority, o.TimeISO8601)
	text, cut := dropContainerInfo(r.Output.Value + extraText(r, o.AppendOutput))
	for _, at := range cut {
		if at < len(r.Output.Value) {
			d.at(rules.SeverityWarning, r.Output, at, ruleItem(r.Name),
				"output: %container.info is deprecated and stands for nothing, as in Falco 0.41 and later; write %container.id and %container.name instead")
		}
	}
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
	for _, at := range cut {
		if at <= off {
			off += len(containerInfo)
		}
	}
	d.at(sev, r.Output, max(off, 0), ruleItem(r.Name), "output: "+msg)
	return nil, false
}

// dropContainerInfo removes every %container.info from an output, as
// Falco does, and returns where each one was in the text given.
func dropContainerInfo(text string) (string, []int) {
	if !strings.Contains(text, containerInfo) {
		return text, nil
	}
	var cut []int
	var b strings.Builder
	for i := 0; ; {
		j := strings.Index(text[i:], containerInfo)
		if j < 0 {
			b.WriteString(text[i:])
			break
		}
		b.WriteString(text[i : i+j])
		cut = append(cut, i+j)
		i += j + len(containerInfo)
	}
	return b.String(), cut
}
