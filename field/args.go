package field

import (
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/kestrel-sec/kestrel/event"
)

// Argument checks: each field that takes an argument accepts the forms
// libsinsp accepts for it, and refuses the others when the field is
// parsed, rather than yielding no value on every event.

// parseIndex reads an index as libsinsp does (sscanf "%d" with nothing
// after it): blanks first, an optional sign, decimal digits. ok is false
// when s is not such a number; inRange is false when it does not fit in
// 32 bits (libsinsp's sscanf then wraps, which Kestrel refuses).
func parseIndex(s string) (n int64, ok, inRange bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || digits == "" {
		return 0, false, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false, false
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, true, false
	}
	return v, true, v >= math.MinInt32 && v <= math.MaxInt32
}

func noField(msg string) error { return &argError{msg: msg, noField: true} }

func badArg(msg string) error { return &argError{msg: msg} }

// ancestorArg checks the index of proc.aname, proc.apid, proc.aexe and
// proc.aexepath: a number in brackets. As in libsinsp, -1 stands for the
// field without an index (every ancestor); other negative indexes name no
// process.
func ancestorArg(a *Arg) (*Arg, error) {
	if !a.Bracketed {
		return nil, noField("write the ancestor index in brackets, as in proc.aname[2]")
	}
	n, ok, inRange := parseIndex(a.Text)
	switch {
	case !ok:
		return nil, noField("the argument is an ancestor index, a number, not " + strconv.Quote(a.Text))
	case !inRange:
		return nil, badArg("ancestor index " + a.Text + " is out of range")
	case n == -1:
		return nil, nil
	}
	return &Arg{Text: a.Text, Index: int(n), IsNum: true, Bracketed: true}, nil
}

// evtArgArg checks evt.arg's argument: a parameter index in brackets, or
// a parameter name after a dot that some event has.
func evtArgArg(a *Arg) (*Arg, error) {
	if !a.Bracketed {
		return paramNameArg(a)
	}
	n, ok, inRange := parseIndex(a.Text)
	switch {
	case !ok:
		return nil, badArg(strconv.Quote(a.Text) + " is not a parameter index; write evt.arg." + a.Text + " for a parameter by name")
	case !inRange:
		return nil, badArg("parameter index " + a.Text + " is out of range")
	}
	return &Arg{Text: a.Text, Index: int(n), IsNum: true, Bracketed: true}, nil
}

// evtArgNoValue says when evt.arg's index names no parameter of any event.
func evtArgNoValue(a *Arg) string {
	if a == nil || !a.IsNum {
		return ""
	}
	if a.Index < 0 || a.Index >= maxParams() {
		return "no event has a parameter at index " + strconv.Itoa(a.Index) + " (they count from 0, up to " + strconv.Itoa(maxParams()-1) + ")"
	}
	return ""
}

// ancestorNoValue says when an ancestor index names no process.
func ancestorNoValue(a *Arg) string {
	if a != nil && a.IsNum && a.Index < 0 {
		return "ancestor " + strconv.Itoa(a.Index) + " is no process: 0 is the process itself, 1 its parent"
	}
	return ""
}

// maxParams is the largest number of parameters an event has.
var maxParams = sync.OnceValue(func() int {
	n := 0
	for _, sc := range []*event.Schema{event.Current(), event.Legacy()} {
		for i := range sc.Events {
			n = max(n, len(sc.Events[i].Params))
		}
	}
	return n
})

// rawArgArg checks evt.rawarg's argument: a parameter name after a dot.
func rawArgArg(a *Arg) (*Arg, error) {
	if a.Bracketed {
		return nil, badArg("evt.rawarg takes a parameter name after a dot, as in evt.rawarg.res, not an index")
	}
	return paramNameArg(a)
}

func paramNameArg(a *Arg) (*Arg, error) {
	if !paramNames()[a.Text] {
		return nil, badArg("unknown event argument " + strconv.Quote(a.Text) + ": no event has a parameter of that name")
	}
	return &Arg{Text: a.Text}, nil
}

// typeIsArg checks evt.type.is's argument: an event name or code after a
// dot.
func typeIsArg(a *Arg) (*Arg, error) {
	if a.Bracketed {
		return nil, badArg("write the event type after a dot, as in evt.type.is.open")
	}
	if _, err := strconv.ParseUint(a.Text, 10, 32); err == nil {
		return a, nil
	}
	if !eventNames()[a.Text] {
		return nil, noField(strconv.Quote(a.Text) + " is not an event type")
	}
	return a, nil
}

// cgroupArg checks thread.cgroup's argument: a subsystem name (letters
// and underscores) after a dot.
func cgroupArg(a *Arg) (*Arg, error) {
	if a.Bracketed {
		return nil, badArg("write the cgroup subsystem after a dot, as in thread.cgroup.cpuset")
	}
	for i := 0; i < len(a.Text); i++ {
		if c := a.Text[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return nil, noField("a cgroup subsystem name has only letters and underscores")
		}
	}
	return a, nil
}

// envArg checks proc.env's argument: a variable name in brackets.
func envArg(a *Arg) (*Arg, error) {
	if !a.Bracketed {
		return nil, noField("write the variable name in brackets, as in proc.env[HOME]")
	}
	return a, nil
}

// aroundArg checks evt.around's argument: a time in brackets.
func aroundArg(a *Arg) (*Arg, error) {
	if !a.Bracketed {
		return nil, badArg("write the time in brackets, as in evt.around[1404996934793590564]")
	}
	if _, err := strconv.ParseUint(strings.TrimLeft(a.Text, " \t"), 10, 64); err != nil {
		return nil, badArg(strconv.Quote(a.Text) + " is not a time in nanoseconds")
	}
	return a, nil
}

// paramNames is the set of the parameter names of every event of either
// schema.
var paramNames = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, sc := range []*event.Schema{event.Current(), event.Legacy()} {
		for i := range sc.Events {
			for _, p := range sc.Events[i].Params {
				out[p.Name] = true
			}
		}
	}
	return out
})

// eventNames is the set of the event names of either schema.
var eventNames = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, sc := range []*event.Schema{event.Current(), event.Legacy()} {
		for i := range sc.Events {
			out[sc.Events[i].Name] = true
		}
	}
	return out
})
