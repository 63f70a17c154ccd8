package filter

import (
	"net/netip"

	"github.com/kestrel-sec/kestrel/field"
)

// modCheck compiles a check whose operator has a modifier: the operator
// tests the operand's value with each value of the list, and the check
// holds when exactly one test holds (oneof), at least one (anyof) or
// every one (allof); never for an empty list. A value the event does not
// give makes the check false, as for every operator.
func (cp *compiler) modCheck(n *Check, l *operand, v values) (evalFn, bool) {
	if l.custom {
		return cp.firstValueCheck(n, l)
	}
	switch l.kind {
	case kText:
		return cp.textModCheck(n, l, v)
	case kNum, kBool:
		return cp.numModCheck(n, l, v)
	}
	return cp.addrModCheck(n, l, v)
}

// holds applies the modifier to k tests holding out of total.
func holds(m Modifier, k, total int) bool {
	switch {
	case total == 0:
		return false
	case m == ModOneOf:
		return k == 1
	case m == ModAnyOf:
		return k > 0
	}
	return k == total
}

// textModCheck compiles a modifier on text. = and != count the values
// equal to the operand's; the other operators test each value in turn.
func (cp *compiler) textModCheck(n *Check, l *operand, v values) (evalFn, bool) {
	base, mod := n.Op.Base(), n.Op.Modifier()
	view := l.view
	if base == OpEq || base == OpNe {
		counts := map[string]int{}
		total := 0
		v.each(func(text string, _ Span, _ *ListValues) bool {
			counts[text]++
			total++
			return true
		})
		ne := base == OpNe
		return func(c *field.Context) bool {
			b, ok := view(c)
			if !ok {
				return false
			}
			k := counts[string(b)]
			if ne {
				k = total - k
			}
			return holds(mod, k, total)
		}, true
	}
	var tests []func([]byte) bool
	good := true
	v.each(func(text string, sp Span, lv *ListValues) bool {
		m, ok := cp.textTest(n, l, base, item{text, sp}, lv)
		tests, good = append(tests, m), ok
		return ok
	})
	if !good {
		return nil, false
	}
	return func(c *field.Context) bool {
		b, ok := view(c)
		if !ok {
			return false
		}
		k := 0
		for _, t := range tests {
			if t(b) {
				k++
				if mod == ModAnyOf || mod == ModOneOf && k > 1 {
					return mod == ModAnyOf
				}
			} else if mod == ModAllOf {
				return false
			}
		}
		return holds(mod, k, len(tests))
	}, true
}

// numModCheck compiles a modifier on a number or a boolean: = or != only.
func (cp *compiler) numModCheck(n *Check, l *operand, v values) (evalFn, bool) {
	base, mod := n.Op.Base(), n.Op.Modifier()
	if base != OpEq && base != OpNe {
		cp.badOp(n, l)
		return nil, false
	}
	counts := map[int64]int{}
	total := 0
	msg, at := "", Span{}
	v.each(func(text string, sp Span, lv *ListValues) bool {
		x, err := parseNumValue(text, l)
		if err != "" {
			msg, at = err+inList(lv), sp
			return false
		}
		counts[x]++
		total++
		return true
	})
	if msg != "" {
		cp.errorAt(at, msg)
		return nil, false
	}
	ne := base == OpNe
	num := numOf(l)
	return func(c *field.Context) bool {
		x, ok := num(c)
		if !ok {
			return false
		}
		k := counts[x]
		if ne {
			k = total - k
		}
		return holds(mod, k, total)
	}, true
}

// addrModCheck compiles a modifier on an address or a network: = or !=
// only, an address equal to a value when the value's network holds it.
func (cp *compiler) addrModCheck(n *Check, l *operand, v values) (evalFn, bool) {
	base, mod := n.Op.Base(), n.Op.Modifier()
	if base != OpEq && base != OpNe {
		cp.badOp(n, l)
		return nil, false
	}
	var nets []netip.Prefix
	msg, at := "", Span{}
	v.each(func(text string, sp Span, lv *ListValues) bool {
		p, err := parsePrefix(text)
		if err != "" {
			msg, at = err+" for "+l.name+inList(lv), sp
			return false
		}
		nets = append(nets, p)
		return true
	})
	if msg != "" {
		cp.errorAt(at, msg)
		return nil, false
	}
	ne := base == OpNe
	addr := l.addr
	var buf []byte
	return func(c *field.Context) bool {
		var a netip.Addr
		var ok bool
		if addr != nil {
			a, ok = addr(c)
		} else if buf, ok = l.text(buf[:0], c); ok {
			var err error
			a, err = netip.ParseAddr(string(buf))
			ok = err == nil
		}
		if !ok {
			return false
		}
		a = a.Unmap()
		k := 0
		for _, p := range nets {
			if p.Contains(a) {
				k++
			}
		}
		if ne {
			k = len(nets) - k
		}
		return holds(mod, k, len(nets))
	}, true
}

// firstValueCheck compiles a modifier on a field libsinsp compares with
// code of its own (proc.aname, fd.ip, fd.port, evt.rawarg.*): that code
// ignores the modifier and compares with the first value of the list
// only, with the plain operator. Kestrel does the same, and says so.
func (cp *compiler) firstValueCheck(n *Check, l *operand) (evalFn, bool) {
	cp.warnAt(n.OpSpan, "libsinsp compares "+l.name+" with code of its own, which ignores the modifier "+
		n.Op.Modifier().String()+": this check compares with the first value only, as "+n.Op.Base().String()+" does")
	first, ok := cp.firstValue(n.Right)
	if !ok {
		return never, true
	}
	plain := *n
	plain.Op = n.Op.Base()
	v := values{items: []item{first}}
	switch l.kind {
	case kText:
		return cp.textCheck(&plain, l, v)
	case kNum, kBool:
		return cp.numCheck(&plain, l, v)
	}
	return cp.addrCheck(&plain, l, v)
}

// firstValue returns the first value a modifier's list stands for, lists
// of the rules spliced in; false when it stands for none.
func (cp *compiler) firstValue(right Operand) (item, bool) {
	lookup := func(name string) (*ListValues, bool) {
		if cp.opts.List == nil {
			return nil, false
		}
		return cp.opts.List(name)
	}
	switch r := right.(type) {
	case *List:
		for _, it := range r.Items {
			if !it.Quoted {
				if lv, ok := lookup(it.Text); ok {
					if all := lv.all(); len(all) > 0 {
						return item{all[0], it.Loc}, true
					}
					continue
				}
			}
			return item{it.Text, it.Loc}, true
		}
	case *ListRef:
		if lv, ok := lookup(r.Name); ok {
			if all := lv.all(); len(all) > 0 {
				return item{all[0], r.Loc}, true
			}
			return item{}, false
		}
		return item{r.Name, r.Loc}, true
	}
	return item{}, false
}
