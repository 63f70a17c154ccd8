// Package field is the registry of event fields (evt.num, evt.type,
// proc.name, …): the names, types and meanings sysdig and Falco users
// write in -p formats, filters and rule outputs, with one extractor each.
//
// A [Registry] is built explicitly by [NewRegistry]; nothing registers
// itself. Extraction is driven by the goroutine that owns the [Context];
// extractors append to caller-owned buffers and allocate nothing.
package field

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
)

// ArgMode says whether a field takes an argument, as in evt.arg.fd,
// evt.arg[0] or proc.aname[2].
type ArgMode uint8

// Argument modes.
const (
	ArgNone     ArgMode = iota // no argument
	ArgRequired                // an argument must follow
	ArgOptional                // an argument may follow
)

// Arg is a field argument: the text inside [...] or after the dot, and its
// value when it is a number.
type Arg struct {
	Text  string
	Index int
	IsNum bool
	// Bracketed is set for an argument written in brackets (evt.arg[0]),
	// clear for one after a dot (evt.arg.fd).
	Bracketed bool
}

// Extractor appends the text form of a field's value for the current event
// to dst. ok is false when the value is not available (sysdig prints <NA>).
type Extractor func(dst []byte, c *Context, a *Arg) (out []byte, ok bool)

// Def describes one field.
type Def struct {
	Name string
	Type event.ParamType // the value type, as in sysdig's field list
	Arg  ArgMode
	Desc string
	// Text extracts the value as sysdig prints it in -p formats.
	Text Extractor
	// JSON, when set, extracts the value for -j output where it differs
	// from Text (times are nanoseconds there, buffers are not cut).
	JSON Extractor
	// JSONRaw says the JSON extractor's output is a JSON number, inserted
	// as it is; otherwise it is quoted as a string unless Type is numeric.
	JSONRaw bool
	// CheckArg, when set, validates an argument as libsinsp does when it
	// parses the field, and may normalise it: it returns the argument to
	// use (nil to use the field as if written without one) or why the
	// field is wrong. An error whose text says "unknown field" counts as
	// one, as libsinsp's "nonexistent field" does for Falco.
	CheckArg func(a *Arg) (*Arg, error)
	// NoValue, when set, says why the field never has a value with the
	// (checked) argument a, as with an index past every event's
	// parameters; "" otherwise. libsinsp accepts such arguments; Kestrel
	// warns.
	NoValue func(a *Arg) string
	// ArgType, when set, gives the value type for one argument, for fields
	// whose type depends on it (evt.rawarg.size is a number, while
	// evt.rawarg.path is text); Type holds otherwise.
	ArgType func(a *Arg) event.ParamType
	// Num extracts the value as a number, for filters to compare: set for
	// fields of numeric types and booleans (1 for true, 0 for false).
	Num NumExtractor
	// Addr extracts the value as an IP address, for filters: set for
	// fields of address and network types (fd.sip, fd.net).
	Addr AddrExtractor
	// Multi, for fields that stand for several values in a filter (fd.ip
	// is the client's and the server's address; proc.aname without an
	// argument is every ancestor's name), returns the i-th value in text
	// form, counting from 0; ok is false past the last. A condition on
	// such a field holds when it holds for one of the values.
	Multi MultiExtractor
	// MultiAddr, for multi-valued address fields, returns the i-th value
	// as an address, so that filters need not parse Multi's text.
	MultiAddr func(c *Context, a *Arg, i int) (netip.Addr, bool)
	// List marks a field with Multi as a list (libsinsp's EPF_IS_LIST),
	// compared with in, intersects and exists only: in holds when every
	// value is among those given, intersects when one is.
	List bool
}

// AddrExtractor returns a field's value for the current event as an IP
// address. ok is false when the value is not available.
type AddrExtractor func(c *Context, a *Arg) (v netip.Addr, ok bool)

// MultiExtractor appends the i-th of a field's values to dst.
type MultiExtractor func(dst []byte, c *Context, a *Arg, i int) (out []byte, ok bool)

// NumExtractor returns a field's value for the current event as a number.
// ok is false when the value is not available.
type NumExtractor func(c *Context, a *Arg) (v int64, ok bool)

// numeric reports whether values of the field are JSON numbers.
func (d *Def) numeric() bool {
	switch d.Type {
	case event.PTInt8, event.PTInt16, event.PTInt32, event.PTInt64,
		event.PTUint8, event.PTUint16, event.PTUint32, event.PTUint64,
		event.PTRelTime, event.PTAbsTime, event.PTFD, event.PTPID, event.PTDouble, event.PTErrno, event.PTPort:
		return true
	}
	return false
}

// Registry holds every known field, by name.
type Registry struct {
	defs  map[string]*Def
	order []*Def
}

// NewRegistry builds a registry from groups of definitions. It returns an
// error for a duplicate or malformed definition.
func NewRegistry(groups ...[]Def) (*Registry, error) {
	r := &Registry{defs: make(map[string]*Def)}
	for _, g := range groups {
		for i := range g {
			d := &g[i]
			if d.Name == "" || d.Text == nil {
				return nil, fmt.Errorf("field %q: a name and an extractor are required", d.Name)
			}
			if _, dup := r.defs[d.Name]; dup {
				return nil, fmt.Errorf("field %q defined twice", d.Name)
			}
			r.defs[d.Name] = d
			r.order = append(r.order, d)
		}
	}
	return r, nil
}

// Default returns the registry of every field Kestrel knows.
func Default() *Registry {
	r, err := NewRegistry(evtFields(), threadFields(), userFields(), containerFields(), k8sFields(), fdFields(), fdlistFields(), fsFields())
	if err != nil {
		panic(err) // the built-in tables are fixed; a duplicate is a programming error
	}
	return r
}

// Lookup returns the field called name.
func (r *Registry) Lookup(name string) (*Def, bool) {
	d, ok := r.defs[name]
	return d, ok
}

// All returns every field, sorted by name.
func (r *Registry) All() []*Def {
	out := append([]*Def(nil), r.order...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Match finds the field named at the start of s, with its argument if it
// takes one, and returns it with the number of bytes consumed. The longest
// known name wins, as in sysdig.
func (r *Registry) Match(s string) (*Def, *Arg, int, error) {
	end := 0
	for end < len(s) && isNameChar(s[end]) {
		end++
	}
	name := s[:end]
	for name != "" {
		if d, ok := r.defs[name]; ok {
			a, n, err := parseArg(d, s[len(name):])
			if err != nil {
				return nil, nil, 0, err
			}
			if a, err = checkArg(d, a, s[:len(name)+n]); err != nil {
				return nil, nil, 0, err
			}
			return d, a, len(name) + n, nil
		}
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[:i]
	}
	return nil, nil, 0, fmt.Errorf("unknown field %q", s[:end])
}

// Resolve finds a field as a filter writes it: name is the dotted name
// (evt.arg.fd, proc.aname) and arg, when hasArg, the text that was inside
// brackets after it (proc.aname[2], proc.env["HOME"]).
func (r *Registry) Resolve(name, arg string, hasArg bool) (*Def, *Arg, error) {
	if !hasArg {
		d, a, n, err := r.Match(name)
		if err != nil {
			return nil, nil, err
		}
		if n != len(name) {
			return nil, nil, fmt.Errorf("unknown field %q", name)
		}
		return d, a, nil
	}
	d, ok := r.defs[name]
	if !ok {
		return nil, nil, fmt.Errorf("unknown field %q", name)
	}
	if d.Arg == ArgNone {
		return nil, nil, fmt.Errorf("field %s takes no argument", name)
	}
	a := &Arg{Text: arg, Bracketed: true}
	if v, err := parseInt(arg); err == nil {
		a.Index, a.IsNum = v, true
	}
	a, err := checkArg(d, a, name+"["+arg+"]")
	if err != nil {
		return nil, nil, err
	}
	return d, a, nil
}

// checkArg applies the field's argument check; written is the field as
// written, for messages.
func checkArg(d *Def, a *Arg, written string) (*Arg, error) {
	if d.CheckArg == nil || a == nil {
		return a, nil
	}
	out, err := d.CheckArg(a)
	if errors.Is(err, ErrNoSuchField) {
		return nil, fmt.Errorf("unknown field %q: %w", written, err)
	}
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", written, err)
	}
	return out, nil
}

// ErrNoSuchField is matched by the error of a [Def.CheckArg] for an
// argument that makes the field one libsinsp does not know
// (proc.aname[abc]), rather than a field with a bad argument.
var ErrNoSuchField = errors.New("no such field")

// argError is an argument problem that may mean the field does not exist.
type argError struct {
	msg     string
	noField bool
}

func (e *argError) Error() string { return e.msg }

func (e *argError) Is(target error) bool {
	return target == ErrBadArg || e.noField && target == ErrNoSuchField
}

// ErrBadArg is matched by every error of a [Def.CheckArg].
var ErrBadArg = errors.New("bad field argument")

func isNameChar(c byte) bool {
	return c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseArg reads a field argument, "[text]" or ".text", after a name.
func parseArg(d *Def, rest string) (*Arg, int, error) {
	if d.Arg == ArgNone {
		return nil, 0, nil
	}
	var text string
	n := 0
	bracketed := strings.HasPrefix(rest, "[")
	switch {
	case strings.HasPrefix(rest, "["):
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, 0, fmt.Errorf("field %s: missing ] after the argument", d.Name)
		}
		text, n = rest[1:end], end+1
	case strings.HasPrefix(rest, "."):
		end := 1
		for end < len(rest) && isNameChar(rest[end]) {
			end++
		}
		text, n = rest[1:end], end
	}
	if text == "" {
		if d.Arg == ArgRequired {
			return nil, 0, fmt.Errorf("field %s requires an argument", d.Name)
		}
		return nil, 0, nil
	}
	a := &Arg{Text: text, Bracketed: bracketed}
	if v, err := parseInt(text); err == nil {
		a.Index, a.IsNum = v, true
	}
	return a, n, nil
}

func parseInt(s string) (int, error) {
	var v int
	_, err := fmt.Sscanf(s, "%d", &v)
	if err == nil && fmt.Sprint(v) != s {
		return 0, fmt.Errorf("not an integer: %q", s)
	}
	return v, err
}
