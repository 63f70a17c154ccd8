package field

import (
	"errors"
	"strconv"
	"testing"
)

// TestCheckArg checks the arguments fields take as libsinsp parses them:
// refused ones are errors (those that make libsinsp not know the field
// match ErrNoSuchField), accepted ones are normalised.
func TestCheckArg(t *testing.T) {
	reg := Default()
	for _, c := range []struct {
		name, arg string
		want      string // the error, or the argument used ("-" for none)
		noField   bool
	}{
		{"proc.aname", "abc", `unknown field "proc.aname[abc]": the argument is an ancestor index, a number, not "abc"`, true},
		{"proc.apid", "2x", `unknown field "proc.apid[2x]": the argument is an ancestor index, a number, not "2x"`, true},
		{"proc.aexe", "99999999999", `field proc.aexe[99999999999]: ancestor index 99999999999 is out of range`, false},
		{"proc.aname", "-1", "-", false},
		{"proc.aname", "+2", "2", false},
		{"proc.aexepath", "02", "2", false},
		{"proc.aname", " 3", "3", false},
		{"proc.aname", "-2", "-2", false},
		{"evt.arg", "abc", `field evt.arg[abc]: "abc" is not a parameter index; write evt.arg.abc for a parameter by name`, false},
		{"evt.arg", "1", "1", false},
		{"evt.rawarg", "0", `field evt.rawarg[0]: evt.rawarg takes a parameter name after a dot, as in evt.rawarg.res, not an index`, false},
		{"evt.type.is", "open", `field evt.type.is[open]: write the event type after a dot, as in evt.type.is.open`, false},
		{"thread.cgroup", "cpu", `field thread.cgroup[cpu]: write the cgroup subsystem after a dot, as in thread.cgroup.cpuset`, false},
		{"evt.around", "soon", `field evt.around[soon]: "soon" is not a time in nanoseconds`, false},
	} {
		_, a, err := reg.Resolve(c.name, c.arg, true)
		got := "-"
		switch {
		case err != nil:
			got = err.Error()
			if !errors.Is(err, ErrBadArg) || errors.Is(err, ErrNoSuchField) != c.noField {
				t.Errorf("%s[%s]: %v does not match the sentinels", c.name, c.arg, err)
			}
		case a != nil:
			got = a.Text
			if a.IsNum {
				got = strconv.Itoa(a.Index)
			}
		}
		if got != c.want {
			t.Errorf("%s[%s]: got %s, want %s", c.name, c.arg, got, c.want)
		}
	}
	for _, dotted := range []struct{ s, want string }{
		{"evt.arg.nosuch", `field evt.arg.nosuch: unknown event argument "nosuch": no event has a parameter of that name`},
		{"evt.rawarg.nosuch", `field evt.rawarg.nosuch: unknown event argument "nosuch": no event has a parameter of that name`},
		{"evt.arg.2", `field evt.arg.2: unknown event argument "2": no event has a parameter of that name`},
		{"evt.type.is.opne", `unknown field "evt.type.is.opne": "opne" is not an event type`},
		{"proc.aname.2", `unknown field "proc.aname.2": write the ancestor index in brackets, as in proc.aname[2]`},
		{"evt.arg.fd", ""},
		{"evt.type.is.open", ""},
		{"evt.type.is.3", ""},
		{"thread.cgroup.cpuset", ""},
	} {
		_, _, err := reg.Resolve(dotted.s, "", false)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != dotted.want {
			t.Errorf("%s: got %q, want %q", dotted.s, got, dotted.want)
		}
	}
	if _, err := reg.CompileFormat("%proc.name %proc.aname[abc]"); err == nil ||
		err.(*FormatError).Col != 12 || !errors.Is(err, ErrNoSuchField) {
		t.Errorf("format: %v", err)
	}
}
