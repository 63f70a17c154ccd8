package rules

import (
	"errors"
	"slices"
	"strings"

	"github.com/kestrel-sec/kestrel/internal/diag"
	"github.com/kestrel-sec/kestrel/internal/snippet"
)

// Severity says whether a diagnostic stops the rules from being used.
type Severity uint8

// The severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one located error or warning.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	// Item names the item at fault, e.g. `rule "Write below etc"`; empty
	// for problems with the file as a whole.
	Item    string
	Message string
	// Source is the text of the line Pos points into, without its line
	// end; empty when the position has no line.
	Source string
}

// Error returns the diagnostic on one line:
// "file:line:col: rule "x": message".
func (d Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Item != "" {
		b.WriteString(d.Item)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// String renders the diagnostic with its severity, the source line and a
// caret under the column:
//
//	rules.yaml:4:13: error: rule "a": invalid priority "HIGH"
//	  4 |   priority: HIGH
//	    |             ^
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Item != "" {
		b.WriteString(d.Item)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Source == "" || !d.Pos.IsValid() {
		return b.String()
	}
	snippet.Write(&b, d.Pos.Line, d.Source, d.Pos.Column)
	return b.String()
}

// Diagnostics are the errors and warnings of a load, in the order found.
type Diagnostics []Diagnostic

// Errors returns the errors.
func (ds Diagnostics) Errors() []Diagnostic { return diag.Filter(ds, Diagnostic.isError) }

// Warnings returns the warnings.
func (ds Diagnostics) Warnings() []Diagnostic {
	return diag.Filter(ds, func(d Diagnostic) bool { return d.Severity == SeverityWarning })
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool { return slices.ContainsFunc(ds, Diagnostic.isError) }

func (d Diagnostic) isError() bool { return d.Severity == SeverityError }

// String renders every diagnostic, separated by blank lines.
func (ds Diagnostics) String() string { return diag.String(ds) }

// ErrInvalid is matched by the error [Diagnostics.Err] returns.
var ErrInvalid = errors.New("invalid rules")

// Err returns nil when there are no errors, and otherwise an error that
// matches [ErrInvalid] and whose text is the first error on one line
// followed by the number of others.
func (ds Diagnostics) Err() error { return diag.Err(ds.Errors(), ErrInvalid) }
