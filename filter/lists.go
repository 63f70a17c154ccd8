package filter

import (
	"net/netip"
	"strings"
)

// ListValues are the values a list of the rules stands for where it is
// named inside a parenthesised list of values ("proc.name in (shells,
// sh)"): its own values and the lists spliced in with them. The values of
// one list are shared by every check that names it: the compiler builds
// each list's sets once per [Cache], so naming a long list many times
// costs little more than naming it once. Order does not matter, since
// lists only stand on the right of in, intersects and pmatch.
type ListValues struct {
	Name   string
	Values []string
	Lists  []*ListValues

	flat    []string
	flatted bool
}

// all returns every value of the list and of the lists spliced in, each
// list visited once.
func (lv *ListValues) all() []string {
	if lv.flatted {
		return lv.flat
	}
	lv.flatted = true
	if len(lv.Lists) == 0 {
		lv.flat = lv.Values
		return lv.flat
	}
	seen := map[*ListValues]bool{}
	var out []string
	var walk func(*ListValues)
	walk = func(l *ListValues) {
		if seen[l] {
			return
		}
		seen[l] = true
		out = append(out, l.Values...)
		for _, sub := range l.Lists {
			walk(sub)
		}
	}
	walk(lv)
	lv.flat = out
	return out
}

// values is the right-hand side of a check: literal values, and lists
// of the rules spliced in (only for in, intersects and pmatch).
type values struct {
	items []item
	lists []listItem
}

// listItem is a list named on the right of a check, and where.
type listItem struct {
	lv   *ListValues
	span Span
}

// first returns the one value of a single-value operator.
func (v values) first() item {
	if len(v.items) > 0 {
		return v.items[0]
	}
	return item{}
}

// each calls fn with every value, those of the lists with the span of the
// list's name, until fn returns false.
func (v values) each(fn func(text string, sp Span, in *ListValues) bool) {
	for _, it := range v.items {
		if !fn(it.text, it.span, nil) {
			return
		}
	}
	for _, l := range v.lists {
		for _, s := range l.lv.all() {
			if !fn(s, l.span, l.lv) {
				return
			}
		}
	}
}

// inList is the suffix of a message about a value of a list.
func inList(lv *ListValues) string {
	if lv == nil {
		return ""
	}
	return " (in list " + quote(lv.Name) + ")"
}

// partKind names what the compiler derives from a list and keeps in the
// [Cache].
type partKind uint8

const (
	partTextSet partKind = iota
	partPrefixSet
	partNums
	partBools
	partNets
	partTypes
	partTypeCheck
)

// partKey identifies what is built from a list: by its values when it
// has no lists spliced in, so that lists sharing their values (aliases of
// one YAML sequence) share it too.
type partKey struct {
	lv     *ListValues
	values *string
	n      int
	kind   partKind
}

// part returns what build derives from lv, building it once per Cache.
func (cp *compiler) part(lv *ListValues, kind partKind, build func([]string) any) any {
	k := partKey{lv: lv, kind: kind}
	if len(lv.Lists) == 0 && len(lv.Values) > 0 {
		k = partKey{values: &lv.Values[0], n: len(lv.Values), kind: kind}
	}
	if p, ok := cp.opts.Cache.parts[k]; ok {
		return p
	}
	p := build(lv.all())
	cp.opts.Cache.parts[k] = p
	return p
}

// textSetOf returns the set of the texts.
func textSetOf(texts []string) any {
	set := make(map[string]struct{}, len(texts))
	for _, s := range texts {
		set[s] = struct{}{}
	}
	return set
}

// numsPart is the numbers of a list, or the first value that is not one.
type numsPart struct {
	set map[int64]struct{}
	bad string
	ok  bool
}

func numsOf(isBool bool) func([]string) any {
	return func(texts []string) any {
		p := numsPart{set: make(map[int64]struct{}, len(texts)), ok: true}
		for _, s := range texts {
			v, ok := parseNumText(s, isBool)
			if !ok {
				return numsPart{bad: s}
			}
			p.set[v] = struct{}{}
		}
		return p
	}
}

// netsPart is the networks of a list, or the first value that is not one.
type netsPart struct {
	nets []netip.Prefix
	bad  string
	msg  string
}

func netsOf(texts []string) any {
	p := netsPart{nets: make([]netip.Prefix, 0, len(texts))}
	for _, s := range texts {
		n, err := parsePrefix(s)
		if err != "" {
			return netsPart{bad: s, msg: err}
		}
		p.nets = append(p.nets, n)
	}
	return p
}

// typesOf returns the event types the names stand for.
func typesOf(texts []string) any {
	var s TypeSet
	for _, t := range texts {
		u := typesNamed(t)
		s.Union(&u)
	}
	return s
}

// unknownTypeOf returns the first name that is not an event type, or "".
func unknownTypeOf(texts []string) any {
	for _, t := range texts {
		if !KnownEventType(t) {
			return t
		}
	}
	return ""
}

// setMatcher tests membership in the literal values and in the sets of
// the lists.
func setMatcher(lit func([]byte) bool, sets []map[string]struct{}) func([]byte) bool {
	if len(sets) == 0 {
		return lit
	}
	return func(b []byte) bool {
		if lit != nil && lit(b) {
			return true
		}
		for _, s := range sets {
			if _, ok := s[string(b)]; ok {
				return true
			}
		}
		return false
	}
}

// anyMatcher holds when one of the tests does.
func anyMatcher(ms []func([]byte) bool) func([]byte) bool {
	if len(ms) == 1 {
		return ms[0]
	}
	return func(b []byte) bool {
		for _, m := range ms {
			if m(b) {
				return true
			}
		}
		return false
	}
}

// listTextItems turns texts into items located at sp.
func listTextItems(texts []string, sp Span) []item {
	out := make([]item, len(texts))
	for i, s := range texts {
		out[i] = item{s, sp}
	}
	return out
}

// trimSlashes is the key pmatch files a path under.
func trimSlashes(s string) string { return strings.TrimRight(s, "/") }
