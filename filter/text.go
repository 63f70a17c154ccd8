package filter

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/glob"
)

// smallSet is the list length up to which "in" compares one by one.
const smallSet = 8

// textCheck compiles a check on a text operand.
func (cp *compiler) textCheck(n *Check, l *operand, v values) (evalFn, bool) {
	m, negate, ok := cp.textMatcher(n, l, v)
	if !ok {
		return nil, false
	}
	return anyValue(l, m, negate), true
}

// textMatcher returns the test of one text value, and whether the check
// is its negation (!=).
func (cp *compiler) textMatcher(n *Check, l *operand, vals values) (m func([]byte) bool, negate, ok bool) {
	switch n.Op {
	case OpNe:
		m, ok = cp.textTest(n, l, OpEq, vals.first(), nil)
		return m, true, ok
	case OpIn, OpIntersects:
		return cp.inSetOf(vals), false, true
	case OpPmatch:
		return cp.prefixSetOf(vals), false, true
	}
	m, ok = cp.textTest(n, l, n.Op, vals.first(), nil)
	return m, false, ok
}

// textTest returns the test that op, an operator taking one value, makes
// of a text with the value it; lv is the list it comes from, if any.
func (cp *compiler) textTest(n *Check, l *operand, op Operator, it item, lv *ListValues) (func([]byte) bool, bool) {
	v := it.text
	switch op {
	case OpEq:
		return func(b []byte) bool { return string(b) == v }, true
	case OpContains:
		vb := []byte(v)
		return func(b []byte) bool { return bytes.Contains(b, vb) }, true
	case OpIContains:
		vb := []byte(strings.ToLower(v))
		return func(b []byte) bool { return containsFold(b, vb) }, true
	case OpStartsWith:
		return func(b []byte) bool { return len(b) >= len(v) && string(b[:len(v)]) == v }, true
	case OpEndsWith:
		return func(b []byte) bool { return len(b) >= len(v) && string(b[len(b)-len(v):]) == v }, true
	case OpBContains, OpBStartsWith:
		vb, err := hex.DecodeString(v)
		if err != nil {
			cp.errorAt(it.span, op.String()+" needs hexadecimal bytes, as in "+op.String()+" 2f6574632f, found "+quote(v)+inList(lv))
			return nil, false
		}
		if op == OpBContains {
			return func(b []byte) bool { return bytes.Contains(b, vb) }, true
		}
		return func(b []byte) bool { return bytes.HasPrefix(b, vb) }, true
	case OpGlob, OpIGlob:
		if globNeverMatches(v) {
			cp.warnAt(it.span, "glob pattern "+quote(v)+inList(lv)+" is malformed and never matches, as in Falco: "+globProblem(v))
			return func([]byte) bool { return false }, true
		}
		fold := op == OpIGlob
		return func(b []byte) bool { return glob.Match(v, b, fold) }, true
	case OpRegex:
		re, err := compileRegex(v)
		if err != nil {
			cp.errorAt(it.span, "invalid regular expression"+inList(lv)+": "+err.Error())
			return nil, false
		}
		return re.Match, true
	case OpLt, OpLe, OpGt, OpGe:
		// Text orders byte by byte, as sysdig compares strings.
		cmp, _ := numCompare(op)
		vb := []byte(v)
		return func(b []byte) bool { return cmp(int64(bytes.Compare(b, vb)), 0) }, true
	}
	cp.badOp(n, l)
	return nil, false
}

// compileRegex compiles a pattern as libsinsp does: POSIX syntax (RE2's
// POSIX mode), matched against the whole text.
func compileRegex(p string) (*regexp.Regexp, error) {
	if _, err := regexp.CompilePOSIX(p); err != nil {
		return nil, err
	}
	return regexp.CompilePOSIX("^(" + p + ")$")
}

// inSetOf tests membership in the values: the literal ones, then the sets
// of the lists, each built once per cache.
func (cp *compiler) inSetOf(v values) func([]byte) bool {
	var lit func([]byte) bool
	if len(v.items) > 0 || len(v.lists) == 0 {
		lit = inSet(v.items)
	}
	var sets []map[string]struct{}
	for _, l := range v.lists {
		sets = append(sets, cp.part(l.lv, partTextSet, textSetOf).(map[string]struct{}))
	}
	return setMatcher(lit, sets)
}

// prefixSetOf is prefixSet over the literal values and the lists.
func (cp *compiler) prefixSetOf(v values) func([]byte) bool {
	var ms []func([]byte) bool
	if len(v.items) > 0 || len(v.lists) == 0 {
		texts := make([]string, len(v.items))
		for i, it := range v.items {
			texts[i] = it.text
		}
		ms = append(ms, prefixSet(texts))
	}
	for _, l := range v.lists {
		ms = append(ms, cp.part(l.lv, partPrefixSet, func(t []string) any { return prefixSet(t) }).(func([]byte) bool))
	}
	return anyMatcher(ms)
}

// inSet tests membership in the items: one by one for short lists, with a
// map for long ones.
func inSet(items []item) func([]byte) bool {
	if len(items) <= smallSet {
		vals := make([]string, len(items))
		for i, it := range items {
			vals[i] = it.text
		}
		return func(b []byte) bool {
			for _, v := range vals {
				if string(b) == v {
					return true
				}
			}
			return false
		}
	}
	set := make(map[string]struct{}, len(items))
	for _, it := range items {
		set[it.text] = struct{}{}
	}
	return func(b []byte) bool {
		_, ok := set[string(b)]
		return ok
	}
}

// prefixSet tests whether a path is one of the items or lies under one of
// them: "/etc" matches /etc and /etc/passwd, not /etcd. The path's own
// prefixes are looked up in a set, so the cost does not grow with the
// number of items.
func prefixSet(texts []string) func([]byte) bool {
	set := make(map[string]struct{}, len(texts))
	root := false
	for _, t := range texts {
		p := trimSlashes(t)
		if p == "" {
			root = true
			continue
		}
		set[p] = struct{}{}
	}
	return func(b []byte) bool {
		if root && len(b) > 0 && b[0] == '/' {
			return true
		}
		b = bytes.TrimRight(b, "/")
		for {
			if _, ok := set[string(b)]; ok {
				return true
			}
			i := bytes.LastIndexByte(b, '/')
			if i <= 0 {
				return false
			}
			b = b[:i]
		}
	}
}

// containsFold reports whether b contains the lower-case needle, ignoring
// ASCII case.
func containsFold(b, needle []byte) bool {
	if len(needle) == 0 {
		return true
	}
	for i := 0; i+len(needle) <= len(b); i++ {
		if equalFold(b[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

func equalFold(b, lower []byte) bool {
	for i, c := range b {
		if lowerASCII(c) != lower[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}

// rhsCheck compiles "left OP val(field)" and "left OP transformer(...)":
// both sides are read from the same event.
func (cp *compiler) rhsCheck(n *Check, l *operand, right Operand) (evalFn, bool) {
	var r *operand
	var ok bool
	switch x := right.(type) {
	case *Val:
		r, ok = cp.fieldOperand(x.Field)
	case *Transform:
		r, ok = cp.transform(x)
	}
	if !ok {
		return nil, false
	}
	desc := right.String()
	at := right.Span()
	if n.Op == OpPmatch || n.Op == OpRegex {
		cp.errorAt(n.OpSpan, "operator "+n.Op.String()+" compares with values only, not with "+desc)
		return nil, false
	}
	if l.list || r.list {
		return cp.listPairCheck(n, l, r, desc, at)
	}
	if r.multi != nil || l.multi != nil {
		cp.errorAt(at, desc+" compares single values, and "+r.name+" or "+l.name+" stands for several")
		return nil, false
	}
	if l.kind == kNum || l.kind == kBool {
		if r.kind != kNum && r.kind != kBool {
			cp.errorAt(at, desc+" is "+r.kind.String()+" and "+l.name+" is numeric")
			return nil, false
		}
		op := n.Op
		if op == OpIn || op == OpIntersects {
			op = OpEq
		}
		cmp, ok := numCompare(op)
		if !ok {
			cp.badOp(n, l)
			return nil, false
		}
		ln, rn := numOf(l), numOf(r)
		return func(c *field.Context) bool {
			a, ok1 := ln(c)
			b, ok2 := rn(c)
			return ok1 && ok2 && cmp(a, b)
		}, true
	}
	var lb, rb []byte
	test, ok := textPair(n.Op)
	if !ok {
		cp.badOp(n, l)
		return nil, false
	}
	return func(c *field.Context) bool {
		var ok1, ok2 bool
		lb, ok1 = l.text(lb[:0], c)
		rb, ok2 = r.text(rb[:0], c)
		return ok1 && ok2 && test(lb, rb)
	}, true
}

// listPairCheck compiles in and intersects between two lists: every
// value, or one value, of the left one is among the right one's.
func (cp *compiler) listPairCheck(n *Check, l, r *operand, desc string, at Span) (evalFn, bool) {
	switch {
	case !r.list:
		cp.errorAt(at, l.name+" is a list and "+desc+" is not")
		return nil, false
	case !l.list:
		cp.errorAt(at, desc+" is a list and "+l.name+" is not")
		return nil, false
	case n.Op != OpIn && n.Op != OpIntersects:
		cp.badOp(n, l)
		return nil, false
	}
	var rv *field.Values
	in := func(b []byte) bool {
		for i := 0; i < rv.Len(); i++ {
			if bytes.Equal(rv.At(i), b) {
				return true
			}
		}
		return false
	}
	each := listMembership(l, in, n.Op == OpIn)
	return func(c *field.Context) bool {
		var ok bool
		if rv, ok = r.values(c); !ok {
			return false
		}
		return each(c)
	}, true
}

// textPair returns the test of two text values for the operators that
// compare with a field on the right.
func textPair(op Operator) (func(a, b []byte) bool, bool) {
	switch op {
	case OpEq, OpIn, OpIntersects:
		return bytes.Equal, true
	case OpNe:
		return func(a, b []byte) bool { return !bytes.Equal(a, b) }, true
	case OpContains:
		return bytes.Contains, true
	case OpIContains:
		return containsFoldBoth, true
	case OpStartsWith:
		return bytes.HasPrefix, true
	case OpEndsWith:
		return bytes.HasSuffix, true
	case OpLt, OpLe, OpGt, OpGe:
		cmp, _ := numCompare(op)
		return func(a, b []byte) bool { return cmp(int64(bytes.Compare(a, b)), 0) }, true
	}
	return nil, false
}

// containsFoldBoth reports whether b contains needle, ignoring ASCII case
// on both sides.
func containsFoldBoth(b, needle []byte) bool {
	for i := 0; i+len(needle) <= len(b); i++ {
		match := true
		for j, c := range needle {
			if lowerASCII(b[i+j]) != lowerASCII(c) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
