package prefilter

import (
	"fmt"
	"io"
	"strings"

	"github.com/kestrel-sec/kestrel/driver"
)

// Report explains a derived pre-filter, for "kestrel rules explain".
type Report struct {
	// Rules are the selected rules that run on open exit events, in
	// definition order, with the opens each may match.
	Rules []RuleOpens
	// Blockers are the selected rules that read, on other events, fds
	// a dropped open would have created; any one turns the filter off.
	Blockers []Blocker
	// Filter is the pre-filter derived.
	Filter driver.Prefilter
	// Reason says why Filter.Open is nil, when it is.
	Reason string
}

// RuleOpens is what one rule allows of the opens.
type RuleOpens struct {
	Name string
	// Allows describes the opens the rule may match.
	Allows string
	// Opens is the rule's own set in the kernel's terms.
	Opens *driver.OpenFilter
}

// Blocker is a rule that keeps opens from being filtered.
type Blocker struct {
	Rule  string
	Check string // the check that reads an fd
	Event string // an event type the rule runs for where it does
}

// String returns the report as text.
func (r Report) String() string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}

// WriteTo writes the report as text.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "rules on opens: %d\n", len(r.Rules))
	for _, ro := range r.Rules {
		fmt.Fprintf(&b, "  %s: %s\n", ro.Name, ro.Allows)
	}
	for _, bl := range r.Blockers {
		fmt.Fprintf(&b, "  blocks filtering: %s reads an fd on %s events: %s\n", bl.Rule, bl.Event, bl.Check)
	}
	b.WriteString("open filter: ")
	if r.Filter.Open == nil {
		b.WriteString("none (every open is sent): " + r.Reason + "\n")
	} else {
		b.WriteString(FilterString(r.Filter.Open) + "\n")
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// FilterString describes an open filter in one line.
func FilterString(f *driver.OpenFilter) string {
	if f == nil {
		return "every open"
	}
	var parts []string
	if f.Failed {
		parts = append(parts, "failed opens")
	}
	parts = append(parts, "opened directories")
	if f.WriteAll {
		parts = append(parts, "every open for writing")
	}
	if s := setString(f.Write); s != "" {
		parts = append(parts, "opens for writing of "+s)
	}
	if s := setString(f.Any); s != "" {
		parts = append(parts, "opens of "+s)
	}
	return "sends " + strings.Join(parts, "; ")
}

func setString(s driver.PathSet) string {
	var parts []string
	if len(s.Prefixes) > 0 {
		parts = append(parts, fmt.Sprintf("%d prefixes %s", len(s.Prefixes), short(s.Prefixes)))
	}
	if len(s.Names) > 0 {
		parts = append(parts, fmt.Sprintf("%d names %s", len(s.Names), short(s.Names)))
	}
	return strings.Join(parts, " and ")
}

// short lists the first items of a long list.
func short(xs []string) string {
	const show = 8
	if len(xs) <= show {
		return "(" + strings.Join(xs, ", ") + ")"
	}
	return "(" + strings.Join(xs[:show], ", ") + fmt.Sprintf(", … %d more)", len(xs)-show)
}

// describe says which opens a set holds.
func describe(o opens) string {
	switch {
	case o.isAny():
		return "any open: no check on the outcome, the mode or the path that the kernel can decide"
	case o.isNone():
		return "no open beyond those the kernel always sends (failed opens of relative paths, paths not plain such as ../)"
	}
	var parts []string
	if o.failed {
		parts = append(parts, "any failed open")
	}
	var w, r []string
	for _, t := range o.terms {
		switch {
		case t.path == nil && t.write:
			parts = append(parts, "any succeeded open for writing")
		case t.path == nil:
			parts = append(parts, "any succeeded open")
		case t.write:
			w = append(w, t.path.String())
		default:
			r = append(r, t.path.String())
		}
	}
	if len(w) > 0 {
		parts = append(parts, "succeeded opens for writing of "+short(w))
	}
	if len(r) > 0 {
		parts = append(parts, "succeeded opens of "+short(r))
	}
	return strings.Join(parts, "; ")
}
