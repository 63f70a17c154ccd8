// Package diag holds what the located diagnostics of rules files and
// configuration files share: picking errors out of a list, rendering the
// list, and the one error that stands for a list of them.
package diag

import (
	"strconv"
	"strings"
)

// Filter returns the diagnostics for which keep holds, in order.
func Filter[D any](ds []D, keep func(D) bool) []D {
	var out []D
	for _, d := range ds {
		if keep(d) {
			out = append(out, d)
		}
	}
	return out
}

// String renders every diagnostic, separated by blank lines.
func String[D interface{ String() string }](ds []D) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, "\n\n")
}

// Err returns nil when errs is empty, and otherwise an error matching
// sentinel whose text is the first error on one line followed by the
// number of others.
func Err[D error](errs []D, sentinel error) error {
	if len(errs) == 0 {
		return nil
	}
	msg := errs[0].Error()
	if n := len(errs) - 1; n == 1 {
		msg += " (and 1 more error)"
	} else if n > 1 {
		msg += " (and " + strconv.Itoa(n) + " more errors)"
	}
	return &listError{msg: msg, sentinel: sentinel}
}

type listError struct {
	msg      string
	sentinel error
}

func (e *listError) Error() string        { return e.msg }
func (e *listError) Is(target error) bool { return target == e.sentinel }
