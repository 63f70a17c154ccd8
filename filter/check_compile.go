package filter

import (
	"strings"

	"github.com/kestrel-sec/kestrel/field"
)

// item is one value on the right of a check, with where it was written.
type item struct {
	text string
	span Span
}

// check compiles one comparison.
func (cp *compiler) check(n *Check) (evalFn, typeInfo) {
	l, ok := cp.operand(n.Left)
	if !ok {
		return never, allTypes()
	}
	if n.Op == OpExists {
		return exists(l), allTypes()
	}
	if v, isVal := n.Right.(*Val); isVal {
		f, ok := cp.valCheck(n, l, v)
		if !ok {
			return never, allTypes()
		}
		return f, allTypes()
	}
	items, ok := cp.items(n)
	if !ok {
		return never, allTypes()
	}
	var f evalFn
	switch l.kind {
	case kText:
		f, ok = cp.textCheck(n, l, items)
	case kNum, kBool:
		f, ok = cp.numCheck(n, l, items)
	default:
		f, ok = cp.addrCheck(n, l, items)
	}
	if !ok {
		return never, allTypes()
	}
	ti := typeCond(n, l, items)
	if ti.exact {
		f = byType(&ti.set, f)
	}
	return f, ti
}

// byType evaluates an exact evt.type condition with a bit test on the
// event's type code; generic events, whose type is the syscall they
// report, still compare names.
func byType(set *TypeSet, byName evalFn) evalFn {
	s := *set
	return func(c *field.Context) bool {
		if t := c.Event.Type(); t > 1 {
			return s.Has(t)
		}
		return byName(c)
	}
}

// typeCond derives the event types a check can hold for: a plain evt.type
// compared with names restricts them, exactly.
func typeCond(n *Check, l *operand, items []item) typeInfo {
	if !l.isType {
		return allTypes()
	}
	switch n.Op {
	case OpEq, OpIn, OpNe:
	default:
		return allTypes()
	}
	ti := typeInfo{exact: true}
	for _, it := range items {
		s := typesNamed(it.text)
		for i := range ti.set.bits {
			ti.set.bits[i] |= s.bits[i]
		}
	}
	if n.Op == OpNe {
		return ti.not()
	}
	return ti
}

// items returns the right-hand values of n: one value, or a list with
// list names expanded.
func (cp *compiler) items(n *Check) ([]item, bool) {
	listOp := n.Op.Operand() == OperandList
	switch r := n.Right.(type) {
	case *Value:
		if listOp {
			cp.errorAt(r.Loc, n.Op.String()+" needs a list of values, as in "+n.Op.String()+" (a, b)")
			return nil, false
		}
		return []item{{r.Text, r.Loc}}, true
	case *List:
		if !listOp {
			cp.errorAt(r.Loc, n.Op.String()+" takes one value, not a list")
			return nil, false
		}
		var out []item
		for _, v := range r.Items {
			if !v.Quoted && cp.opts.List != nil {
				if vals, ok := cp.opts.List(v.Text); ok {
					for _, x := range vals {
						out = append(out, item{x, v.Loc})
					}
					continue
				}
			}
			out = append(out, item{v.Text, v.Loc})
		}
		return out, true
	case *ListRef:
		if cp.opts.List != nil {
			if vals, ok := cp.opts.List(r.Name); ok {
				out := make([]item, len(vals))
				for i, x := range vals {
					out[i] = item{x, r.Loc}
				}
				return out, true
			}
		}
		cp.errorAt(r.Loc, "undefined list "+quote(r.Name))
		return nil, false
	}
	cp.errorAt(n.Right.Span(), "expected a value after "+n.Op.String())
	return nil, false
}

func (cp *compiler) badOp(n *Check, l *operand) {
	k := l.kind.String()
	a := "a "
	if strings.HasPrefix(k, "IP") {
		a = "an "
	}
	cp.errorAt(n.OpSpan, "operator "+n.Op.String()+" cannot compare "+l.name+", "+a+k+" field")
}

// exists holds when the operand has a value.
func exists(l *operand) evalFn {
	var buf []byte
	switch {
	case l.multi != nil:
		return func(c *field.Context) bool {
			var ok bool
			buf, ok = l.multi(buf[:0], c, 0)
			return ok
		}
	case l.num != nil:
		return func(c *field.Context) bool {
			_, ok := l.num(c)
			return ok
		}
	}
	return func(c *field.Context) bool {
		_, ok := l.view(c)
		return ok
	}
}

// anyValue evaluates m on the operand's value, or on each of its values
// for a multi-valued field (true when one matches). With negate, the check
// holds when the operand has a value and m holds for none. A missing
// value never matches, as in sysdig.
func anyValue(l *operand, m func([]byte) bool, negate bool) evalFn {
	var buf []byte
	if l.multi != nil {
		return func(c *field.Context) bool {
			for i := 0; ; i++ {
				var ok bool
				if buf, ok = l.multi(buf[:0], c, i); !ok {
					return negate && i > 0
				}
				if m(buf) {
					return !negate
				}
			}
		}
	}
	view := l.view
	return func(c *field.Context) bool {
		b, ok := view(c)
		return ok && m(b) != negate
	}
}
