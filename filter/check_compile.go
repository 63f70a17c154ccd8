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
	cp.size++
	l, ok := cp.operand(n.Left)
	if !ok {
		return never, allTypes()
	}
	if n.Op == OpExists {
		return exists(l), allTypes()
	}
	switch r := n.Right.(type) {
	case *Val, *Transform:
		f, ok := cp.rhsCheck(n, l, r)
		if !ok {
			return never, allTypes()
		}
		return f, allTypes()
	}
	vals, ok := cp.values(n)
	if !ok {
		return never, allTypes()
	}
	if l.evtType && !cp.checkEventTypes(vals) {
		return never, allTypes()
	}
	var f evalFn
	switch {
	case l.list:
		f, ok = cp.listCheck(n, l, vals)
	case n.Op.Modifier() != ModNone:
		f, ok = cp.modCheck(n, l, vals)
	case l.kind == kText:
		f, ok = cp.textCheck(n, l, vals)
	case l.kind == kNum || l.kind == kBool:
		f, ok = cp.numCheck(n, l, vals)
	default:
		f, ok = cp.addrCheck(n, l, vals)
	}
	if !ok {
		return never, allTypes()
	}
	ti := cp.typeCond(n, l, vals)
	if ti.exact {
		f = byType(&ti.set, f)
	}
	return f, ti
}

// checkEventTypes reports the values compared with evt.type that name no
// event type: libsinsp refuses them, whatever the operator.
func (cp *compiler) checkEventTypes(v values) bool {
	for _, it := range v.items {
		if !KnownEventType(it.text) {
			cp.errorAt(it.span, "unknown event type "+quote(it.text))
			return false
		}
	}
	for _, l := range v.lists {
		if bad := cp.part(l.lv, partTypeCheck, unknownTypeOf).(string); bad != "" {
			cp.errorAt(l.span, "unknown event type "+quote(bad)+inList(l.lv))
			return false
		}
	}
	return true
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
func (cp *compiler) typeCond(n *Check, l *operand, v values) typeInfo {
	if !l.isType {
		return allTypes()
	}
	switch n.Op {
	case OpEq, OpIn, OpNe:
	default:
		return allTypes()
	}
	ti := typeInfo{exact: true}
	for _, it := range v.items {
		s := typesNamed(it.text)
		ti.set.Union(&s)
	}
	for _, li := range v.lists {
		s := cp.part(li.lv, partTypes, typesOf).(TypeSet)
		ti.set.Union(&s)
	}
	if n.Op == OpNe {
		return ti.not()
	}
	return ti
}

// values returns the right-hand values of n: one value, or a list with
// the lists it names spliced in.
func (cp *compiler) values(n *Check) (values, bool) {
	listOp := n.Op.Operand() == OperandList
	switch r := n.Right.(type) {
	case *Value:
		if listOp {
			cp.errorAt(r.Loc, n.Op.String()+" needs a list of values, as in "+n.Op.String()+" (a, b)")
			return values{}, false
		}
		return values{items: []item{{r.Text, r.Loc}}}, true
	case *List:
		if !listOp {
			cp.errorAt(r.Loc, n.Op.String()+" takes one value, not a list")
			return values{}, false
		}
		var out values
		for _, v := range r.Items {
			if !v.Quoted && cp.opts.List != nil {
				if lv, ok := cp.opts.List(v.Text); ok {
					out.lists = append(out.lists, listItem{lv, v.Loc})
					continue
				}
			}
			out.items = append(out.items, item{v.Text, v.Loc})
		}
		return out, true
	case *ListRef:
		if cp.opts.List == nil {
			cp.errorAt(r.Loc, "undefined list "+quote(r.Name))
			return values{}, false
		}
		if lv, ok := cp.opts.List(r.Name); ok {
			return values{lists: []listItem{{lv, r.Loc}}}, true
		}
		// As in Falco, a name after in that names no list is a value.
		cp.warnAt(r.Loc, quote(r.Name)+" names no list, so "+n.Op.String()+" compares with the value "+quote(r.Name)+"; write "+n.Op.String()+" ("+r.Name+") to say so")
		return values{items: []item{{r.Name, r.Loc}}}, true
	}
	cp.errorAt(n.Right.Span(), "expected a value after "+n.Op.String())
	return values{}, false
}

func (cp *compiler) badOp(n *Check, l *operand) {
	if l.list {
		cp.errorAt(n.OpSpan, "operator "+n.Op.String()+" cannot compare "+l.name+", a list: lists compare with in, intersects and exists")
		return
	}
	k := l.kind.String()
	a := "a "
	if strings.HasPrefix(k, "IP") {
		a = "an "
	}
	cp.errorAt(n.OpSpan, "operator "+n.Op.String()+" cannot compare "+l.name+", "+a+k+" field")
}

// listCheck compiles a check on a list: "in" holds when every value of
// the list is one of the values given (an empty list is in any), and
// "intersects" when one is, as in libsinsp.
func (cp *compiler) listCheck(n *Check, l *operand, v values) (evalFn, bool) {
	if n.Op != OpIn && n.Op != OpIntersects {
		cp.badOp(n, l)
		return nil, false
	}
	return listMembership(l, cp.inSetOf(v), n.Op == OpIn), true
}

// listMembership tests the values of the list l with in: every value when
// all is set, one otherwise.
func listMembership(l *operand, in func([]byte) bool, all bool) evalFn {
	return func(c *field.Context) bool {
		vs, ok := l.values(c)
		if !ok {
			return false
		}
		for i := 0; i < vs.Len(); i++ {
			if in(vs.At(i)) != all {
				return !all
			}
		}
		return all
	}
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
