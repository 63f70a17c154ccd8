package engine

import "github.com/kestrel-sec/kestrel/rules"

// diags gathers the diagnostics of a compilation.
type diags struct{ list rules.Diagnostics }

// at records a diagnostic at byte offset off of a located text.
func (d *diags) at(sev rules.Severity, t rules.Text, off int, item, msg string) {
	d.atPos(sev, t.PosAt(off), t, item, msg)
}

// atPos records a diagnostic at p; t supplies the source line.
func (d *diags) atPos(sev rules.Severity, p rules.Pos, t rules.Text, item, msg string) {
	d.list = append(d.list, rules.Diagnostic{
		Severity: sev, Pos: p, Item: item, Message: msg, Source: t.SourceLine(p),
	})
}
