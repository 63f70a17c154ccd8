package prefilter

import (
	"github.com/kestrel-sec/kestrel/driver"
)

// term is a set of succeeded opens: those for writing (or any), whose
// path is in path (any path when nil).
type term struct {
	write bool
	path  *pathElem
}

// opens is a set of open exit events, as the kernel can tell them apart:
// failed ones (all or none), and a union of terms of succeeded ones.
type opens struct {
	failed bool
	terms  []term
}

func anyOpen() opens { return opens{failed: true, terms: []term{{}}} }

func noOpen() opens { return opens{} }

func succeeded() opens { return opens{terms: []term{{}}} }

func failedOnly() opens { return opens{failed: true} }

// writes is every open for writing, succeeded or failed.
func writes() opens { return opens{failed: true, terms: []term{{write: true}}} }

// paths is every open whose path, when it succeeded, is in one of ps.
func paths(ps []pathElem) opens {
	o := opens{failed: true}
	for i := range ps {
		o.terms = append(o.terms, term{path: &ps[i]})
	}
	return o
}

func (o opens) isAny() bool {
	return o.failed && len(o.terms) == 1 && o.terms[0] == term{}
}

func (o opens) isNone() bool { return !o.failed && len(o.terms) == 0 }

// or is the union.
func (o opens) or(p opens) opens {
	out := opens{failed: o.failed || p.failed}
	out.terms = append(append(make([]term, 0, len(o.terms)+len(p.terms)), o.terms...), p.terms...)
	out.terms = simplify(out.terms)
	return out
}

// and is the intersection, or a superset of it when the pairs of terms
// pass maxPairs: then the operand with fewer terms, which holds it.
func (o opens) and(p opens, maxPairs int) opens {
	out := opens{failed: o.failed && p.failed}
	if len(o.terms)*len(p.terms) > maxPairs {
		small := o.terms
		if len(p.terms) < len(small) {
			small = p.terms
		}
		out.terms = append([]term(nil), small...)
		return out
	}
	for _, a := range o.terms {
		for _, b := range p.terms {
			if t, ok := meetTerms(a, b); ok {
				out.terms = append(out.terms, t)
			}
		}
	}
	out.terms = simplify(out.terms)
	return out
}

func meetTerms(a, b term) (term, bool) {
	t := term{write: a.write || b.write}
	switch {
	case a.path == nil:
		t.path = b.path
	case b.path == nil:
		t.path = a.path
	default:
		p, ok := meet(*a.path, *b.path)
		if !ok {
			return term{}, false
		}
		t.path = &p
	}
	return t, true
}

// simplify drops terms that others hold: every term when one holds any
// succeeded open, write terms when one holds every write, duplicates.
func simplify(ts []term) []term {
	anyWrite := false
	for _, t := range ts {
		if t.path == nil {
			if !t.write {
				return []term{{}}
			}
			anyWrite = true
		}
	}
	seen := map[term2]bool{}
	out := ts[:0:0]
	if anyWrite {
		out = append(out, term{write: true})
	}
	for _, t := range ts {
		if t.path == nil || (anyWrite && t.write) {
			continue
		}
		k := term2{t.write, *t.path}
		if !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out
}

// term2 is a term as a map key.
type term2 struct {
	write bool
	path  pathElem
}

// filter returns the kernel's form of the set, normalised.
func (o opens) filter() *driver.OpenFilter {
	f := &driver.OpenFilter{Failed: o.failed}
	for _, t := range o.terms {
		switch {
		case t.path == nil && t.write:
			f.WriteAll = true
		case t.path == nil:
			f.Any.Prefixes = append(f.Any.Prefixes, "/")
		default:
			set := &f.Any
			if t.write {
				set = &f.Write
			}
			if t.path.kind == pathName {
				set.Names = append(set.Names, t.path.s)
			} else {
				set.Prefixes = append(set.Prefixes, t.path.kernelPrefix())
			}
		}
	}
	return NormalizeOpen(f)
}
