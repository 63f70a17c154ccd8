package prefilter

import (
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/filter"
)

// check analyses one comparison: what it says of opens, of event types,
// and whether it reads fds.
func (a *analyzer) check(n *filter.Check) value {
	v := a.unknown()
	v.evt, v.tab = a.deps(n)
	f, ok := n.Left.(*filter.Field)
	if !ok {
		return v // a transformer: anything
	}
	def, arg, err := a.fields.Resolve(f.Name, f.Arg, f.HasArg)
	if err != nil {
		return v
	}
	vals, known := a.values(n)
	v.fileFalse = known && fileFalse(def.Name, n.Op, vals)
	if !known {
		return v
	}
	switch def.Name {
	case "evt.type":
		if !f.HasArg {
			a.typeCheck(&v, n.Op, vals)
		}
	case "fd.name", "fd.directory", "fd.filename":
		v.opens = pathOpens(def.Name, n.Op, vals)
	case "fd.nameraw":
		if rawNotPlain(n.Op, vals) {
			// Only opens whose path argument is not plain match, and
			// the kernel sends every such open: the filter need not.
			v.opens = noOpen()
		}
	case "evt.is_open_write", "evt.is_open_create", "evt.is_open_exec":
		if n.Op == filter.OpEq && len(vals) == 1 && vals[0] == "true" {
			v.opens = writes()
		}
	case "evt.arg":
		if arg != nil && !arg.IsNum && arg.Text == "flags" && writeFlags(n.Op, vals) {
			v.opens = writes()
		}
	case "evt.rawres", "fd.num":
		outcomeNum(&v, n.Op, vals, def.Name == "evt.rawres")
	case "evt.res":
		outcomeRes(&v, n.Op, vals)
	case "evt.failed":
		if n.Op == filter.OpEq && len(vals) == 1 {
			outcome(&v, vals[0] == "false", vals[0] == "true", true)
		}
	}
	return v
}

// rawNotPlain reports whether a check on fd.nameraw holds only for path
// arguments that are not plain (see [driver.OpenFilter]), such as
// fd.nameraw contains "../": every value, wherever the operator finds it
// in the path, makes the path not plain.
func rawNotPlain(op filter.Operator, vals []string) bool {
	if op.Modifier() != filter.ModNone || len(vals) == 0 {
		return false
	}
	switch op.Base() {
	case filter.OpContains, filter.OpEq, filter.OpIn, filter.OpStartsWith, filter.OpEndsWith:
	default:
		return false
	}
	for _, v := range vals {
		if !notPlain(v) {
			return false
		}
	}
	return true
}

// notPlain reports whether every path holding s is not plain: s holds
// "//", "./" or a byte the model rewrites.
func notPlain(s string) bool {
	if strings.Contains(s, "//") || strings.Contains(s, "./") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return true
		}
	}
	return false
}

// values returns the values on the right of a check, lists resolved as
// the compiler resolves them; false when they are not constants.
func (a *analyzer) values(n *filter.Check) ([]string, bool) {
	switch r := n.Right.(type) {
	case *filter.Value:
		return []string{r.Text}, true
	case *filter.ListRef:
		if lv, ok := a.list(r.Name); ok {
			return flatten(lv, nil, map[*filter.ListValues]bool{}), true
		}
		return []string{r.Name}, true
	case *filter.List:
		var out []string
		seen := map[*filter.ListValues]bool{}
		for _, it := range r.Items {
			if !it.Quoted {
				if lv, ok := a.list(it.Text); ok {
					out = flatten(lv, out, seen)
					continue
				}
			}
			out = append(out, it.Text)
		}
		return out, true
	}
	return nil, false
}

// flatten appends the values of a list and of the lists spliced in.
func flatten(lv *filter.ListValues, out []string, seen map[*filter.ListValues]bool) []string {
	if seen[lv] {
		return out
	}
	seen[lv] = true
	out = append(out, lv.Values...)
	for _, sub := range lv.Lists {
		out = flatten(sub, out, seen)
	}
	return out
}

// typeCheck narrows the event types with evt.type =, in or !=.
func (a *analyzer) typeCheck(v *value, op filter.Operator, vals []string) {
	switch op {
	case filter.OpEq, filter.OpIn, filter.OpNe:
	default:
		return
	}
	ts, ok := a.eventTypes(vals)
	if !ok {
		return
	}
	if op == filter.OpNe {
		ts = ts.not()
	}
	v.types, v.typeExact = ts, true
	v.opens = a.opensOfTypes(ts)
}

// pathOpens is what a check on fd.name, fd.directory or fd.filename
// says of a succeeded open's path.
func pathOpens(name string, op filter.Operator, vals []string) opens {
	base, mod := op.Base(), op.Modifier()
	if mod == filter.ModAllOf && len(vals) > 0 {
		vals = vals[:1] // every value must hold: the first is a bound
	}
	if mod != filter.ModNone && len(vals) == 0 {
		return anyOpen()
	}
	var ps []pathElem
	for _, s := range vals {
		p, ok := pathOf(name, base, s)
		if !ok {
			return anyOpen()
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return anyOpen()
	}
	return paths(ps)
}

// pathOf is the set of paths for which field name compared by op with s
// may hold; false when nothing the kernel checks narrows it.
func pathOf(name string, op filter.Operator, s string) (pathElem, bool) {
	switch {
	case name == "fd.name" && (op == filter.OpEq || op == filter.OpIn):
		return newPath(pathExact, s)
	case name == "fd.name" && op == filter.OpStartsWith:
		return newPath(pathPrefix, s)
	case name == "fd.name" && op == filter.OpEndsWith:
		if rest, ok := strings.CutPrefix(s, "/"); ok {
			return newPath(pathName, rest)
		}
	case name == "fd.directory" && (op == filter.OpEq || op == filter.OpIn):
		return newPath(pathDir, s)
	case name == "fd.directory" && op == filter.OpStartsWith:
		return newPath(pathPrefix, s)
	case name == "fd.filename" && (op == filter.OpEq || op == filter.OpIn):
		return newPath(pathName, s)
	case op == filter.OpPmatch && name != "fd.filename":
		return newPath(pathPrefix, strings.TrimRight(s, "/"))
	case op == filter.OpGlob:
		return globPath(name, s)
	}
	return pathElem{}, false
}

// globSpecial are the bytes that end a glob pattern's literal start.
const globSpecial = "*?[\\"

// globPath bounds a glob: by its literal start, by the name it ends with
// after "*/", or exactly when it has no wildcard.
func globPath(name, pat string) (pathElem, bool) {
	i := strings.IndexAny(pat, globSpecial)
	if i < 0 {
		switch name {
		case "fd.name":
			return newPath(pathExact, pat)
		case "fd.directory":
			return newPath(pathDir, pat)
		}
		return newPath(pathName, pat)
	}
	if name == "fd.filename" {
		return pathElem{}, false
	}
	if p, ok := newPath(pathPrefix, pat[:i]); ok {
		return p, true
	}
	if rest, ok := strings.CutPrefix(pat, "*/"); ok && name == "fd.name" && !strings.ContainsAny(rest, globSpecial) {
		return newPath(pathName, rest)
	}
	return pathElem{}, false
}

// writeOpenFlags are the names evt.arg.flags shows only for an open for
// writing, and that no other flag name contains.
const writeOpenFlags = "O_WRONLY O_RDWR O_CREAT O_TRUNC"

// writeFlags reports whether a check on evt.arg.flags holds only for an
// open for writing: "contains" one of writeOpenFlags.
func writeFlags(op filter.Operator, vals []string) bool {
	if op != filter.OpContains || len(vals) != 1 {
		return false
	}
	for _, f := range strings.Fields(writeOpenFlags) {
		if vals[0] == f {
			return true
		}
	}
	return false
}

// outcome records that a check holds only for succeeded opens (ok), only
// for failed ones (fail), or for both, and whether exactly so.
func outcome(v *value, ok, fail, exact bool) {
	switch {
	case ok && fail:
		return
	case ok:
		v.opens = succeeded()
	case fail:
		v.opens = failedOnly()
	default:
		v.opens = noOpen()
	}
	if exact && ok != fail {
		v.outcomeExact, v.outcomeOK = true, ok
	}
}

// outcomeNum reads a numeric check on an open's result (evt.rawres) or
// fd (fd.num): at least 0 when it succeeded, negative when it failed.
// Only evt.rawres is read from the event alone, so only it can be exact.
func outcomeNum(v *value, op filter.Operator, vals []string, exact bool) {
	if len(vals) == 0 || op.Modifier() != filter.ModNone || (len(vals) > 1 && op != filter.OpIn) {
		return
	}
	var okAll, okSome, failAll, failSome bool
	for _, s := range vals {
		k, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return
		}
		oa, os, fa, fs := numRegions(op, k)
		okAll, okSome = oa, okSome || os
		failAll, failSome = fa, failSome || fs
	}
	if op == filter.OpIn {
		okAll, failAll = false, false
	}
	outcome(v, okSome, failSome, exact && (okAll || !okSome) && (failAll || !failSome))
}

// numRegions says whether "x op k" holds for all and for some x >= 0,
// and for all and for some x < 0.
func numRegions(op filter.Operator, k int64) (okAll, okSome, failAll, failSome bool) {
	switch op {
	case filter.OpEq, filter.OpIn:
		return false, k >= 0, false, k < 0
	case filter.OpNe:
		return k < 0, true, k >= 0, true
	case filter.OpLt:
		return false, k > 0, k >= 0, true
	case filter.OpLe:
		return false, k >= 0, k >= -1, true
	case filter.OpGt:
		return k < 0, true, false, k < -1
	case filter.OpGe:
		return k <= 0, true, false, k <= -1
	}
	return false, true, false, true
}

// outcomeRes reads a check on evt.res: SUCCESS when an open succeeded,
// an error name otherwise.
func outcomeRes(v *value, op filter.Operator, vals []string) {
	if op.Modifier() != filter.ModNone || len(vals) == 0 {
		return
	}
	success, onlySuccess := false, true
	for _, s := range vals {
		hit, ok := textHolds(op, "SUCCESS", s)
		if !ok {
			return
		}
		success = success || hit
		onlySuccess = onlySuccess && s == "SUCCESS"
	}
	switch op {
	case filter.OpEq, filter.OpIn:
		outcome(v, success, !onlySuccess, onlySuccess)
	case filter.OpNe:
		outcome(v, !success, true, vals[0] == "SUCCESS")
	case filter.OpStartsWith:
		outcome(v, success, true, false)
	}
}

// textHolds evaluates "SUCCESS op s" for the operators outcomeRes reads.
func textHolds(op filter.Operator, text, s string) (bool, bool) {
	switch op {
	case filter.OpEq, filter.OpIn, filter.OpNe:
		return text == s, true
	case filter.OpStartsWith:
		return strings.HasPrefix(text, s), true
	}
	return false, false
}
