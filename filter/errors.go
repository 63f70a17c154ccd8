package filter

import (
	"errors"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/internal/snippet"
)

// ErrSyntax is matched by the error [Parse] returns.
var ErrSyntax = errors.New("filter syntax error")

// Error is one located syntax error.
type Error struct {
	Pos Pos
	Msg string
	// Source is the text of the line Pos is on, without its line end.
	Source string
}

// Error returns "line:column: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Format renders the error with the name of the filter, the source line
// and a caret under the offending character:
//
//	filter:1:30: expected a value after "="
//	 1 | proc.name = cat and fd.name =
//	   |                              ^
func (e *Error) Format(name string) string {
	var b strings.Builder
	b.WriteString(name + ":" + e.Error())
	snippet.Write(&b, e.Pos.Line, e.Source, e.Pos.Column)
	return b.String()
}

// String renders the error as [Error.Format] does with the name "filter".
func (e *Error) String() string { return e.Format("filter") }

// Errors are the syntax errors of one filter, in source order.
type Errors []*Error

// Error returns the first error on one line and the number of others.
func (es Errors) Error() string {
	if len(es) == 0 {
		return "no errors"
	}
	msg := es[0].Error()
	if n := len(es) - 1; n == 1 {
		msg += " (and 1 more error)"
	} else if n > 1 {
		msg += " (and " + strconv.Itoa(n) + " more errors)"
	}
	return msg
}

// Format renders every error as [Error.Format] does, separated by blank
// lines.
func (es Errors) Format(name string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Format(name)
	}
	return strings.Join(parts, "\n\n")
}

// String renders every error with the name "filter".
func (es Errors) String() string { return es.Format("filter") }

// Is reports whether target is [ErrSyntax].
func (es Errors) Is(target error) bool { return target == ErrSyntax }
