package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kestrel-sec/kestrel/internal/diag"
	"github.com/kestrel-sec/kestrel/internal/snippet"
)

// Pos is where a value was set: a line and column of a file, or a -o
// option. The zero Pos means the value is a built-in default.
type Pos struct {
	File   string
	Line   int
	Column int
	// Option is the key of the -o option that set the value; File, Line
	// and Column are then empty.
	Option string
}

// String returns "file:line:column", "-o key", or only the file when
// there is no line.
func (p Pos) String() string {
	switch {
	case p.Option != "":
		return "-o " + p.Option
	case p.Line <= 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// IsValid reports whether p names a line of a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Severity says whether a diagnostic stops the configuration from being used.
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
	// Key is the dotted path of the value at fault, e.g.
	// "http_output.url"; empty when Message names it itself.
	Key     string
	Message string
	// Source is the text of the line Pos points into, without its line
	// end; empty when the position has no line.
	Source string
}

// Error returns the diagnostic on one line:
// "file:line:col: key: message", or "-o key: message".
func (d Diagnostic) Error() string {
	var b strings.Builder
	d.head(&b)
	b.WriteString(d.Message)
	return b.String()
}

// String renders the diagnostic with its severity, the source line and a
// caret under the column:
//
//	kestrel.yaml:12:3: error: unknown key "foo" in http_output
//	 12 |   foo: bar
//	    |   ^
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.showKey() {
		b.WriteString(d.Key)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Source != "" && d.Pos.IsValid() {
		snippet.Write(&b, d.Pos.Line, d.Source, d.Pos.Column)
	}
	return b.String()
}

func (d Diagnostic) head(b *strings.Builder) {
	if p := d.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if d.showKey() {
		b.WriteString(d.Key)
		b.WriteString(": ")
	}
}

// showKey reports whether the key is printed before the message: not
// when the -o option already names it.
func (d Diagnostic) showKey() bool {
	return d.Key != "" && d.Key != d.Pos.Option
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
var ErrInvalid = errors.New("invalid configuration")

// Err returns nil when there are no errors, and otherwise an error that
// matches [ErrInvalid] and whose text is the first error on one line
// followed by the number of others.
func (ds Diagnostics) Err() error { return diag.Err(ds.Errors(), ErrInvalid) }
