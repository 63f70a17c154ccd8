package filter

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// numCheck compiles a check on a numeric or boolean operand.
func (cp *compiler) numCheck(n *Check, l *operand, v values) (evalFn, bool) {
	vals := make([]int64, len(v.items))
	for i, it := range v.items {
		x, err := parseNumValue(it.text, l)
		if err != "" {
			cp.errorAt(it.span, err)
			return nil, false
		}
		vals[i] = x
	}
	sets, ok := cp.numSets(l, v)
	if !ok {
		return nil, false
	}
	var m func(int64) bool
	negate := false
	switch n.Op {
	case OpIn, OpIntersects:
		m = numIn(vals, sets)
	case OpNe:
		v := vals[0]
		m, negate = func(x int64) bool { return x == v }, true
	default:
		cmp, ok := numCompare(n.Op)
		if !ok {
			cp.badOp(n, l)
			return nil, false
		}
		if unsigned(l.typ) {
			cmp = unsignedCompare(n.Op)
		}
		v := vals[0]
		m = func(x int64) bool { return cmp(x, v) }
	}
	if l.multi != nil {
		return anyValue(l, func(b []byte) bool {
			x, ok := parseIntBytes(b)
			return ok && m(x)
		}, negate), true
	}
	num := numOf(l)
	return func(c *field.Context) bool {
		x, ok := num(c)
		return ok && m(x) != negate
	}, true
}

// numSets returns the numbers of the lists of v, each parsed once per
// cache.
func (cp *compiler) numSets(l *operand, v values) ([]map[int64]struct{}, bool) {
	kind := partNums
	if l.kind == kBool {
		kind = partBools
	}
	var sets []map[int64]struct{}
	for _, li := range v.lists {
		p := cp.part(li.lv, kind, numsOf(l.kind == kBool)).(numsPart)
		if !p.ok {
			_, err := parseNumValue(p.bad, l)
			cp.errorAt(li.span, err+inList(li.lv))
			return nil, false
		}
		sets = append(sets, p.set)
	}
	return sets, true
}

// numIn tests membership in the literal numbers and the sets.
func numIn(vals []int64, sets []map[int64]struct{}) func(int64) bool {
	return func(x int64) bool {
		for _, v := range vals {
			if x == v {
				return true
			}
		}
		for _, s := range sets {
			if _, ok := s[x]; ok {
				return true
			}
		}
		return false
	}
}

// numCompare returns the comparison of two numbers that op makes.
func numCompare(op Operator) (func(a, b int64) bool, bool) {
	switch op {
	case OpEq:
		return func(a, b int64) bool { return a == b }, true
	case OpNe:
		return func(a, b int64) bool { return a != b }, true
	case OpLt:
		return func(a, b int64) bool { return a < b }, true
	case OpLe:
		return func(a, b int64) bool { return a <= b }, true
	case OpGt:
		return func(a, b int64) bool { return a > b }, true
	case OpGe:
		return func(a, b int64) bool { return a >= b }, true
	}
	return nil, false
}

// unsigned reports whether values of t are unsigned, which orders them
// differently: a negative value written in a filter stands for a large
// one, as in sysdig ("evt.num > -1" matches nothing).
func unsigned(t event.ParamType) bool {
	switch t {
	case event.PTInt8, event.PTInt16, event.PTInt32, event.PTInt64, event.PTErrno,
		event.PTFD, event.PTPID, event.PTDouble, event.PTFD32, event.PTPID32:
		return false
	}
	return true
}

// unsignedCompare is numCompare for unsigned values.
func unsignedCompare(op Operator) func(a, b int64) bool {
	switch op {
	case OpLt:
		return func(a, b int64) bool { return uint64(a) < uint64(b) }
	case OpLe:
		return func(a, b int64) bool { return uint64(a) <= uint64(b) }
	case OpGt:
		return func(a, b int64) bool { return uint64(a) > uint64(b) }
	case OpGe:
		return func(a, b int64) bool { return uint64(a) >= uint64(b) }
	}
	cmp, _ := numCompare(op)
	return cmp
}

// numOf returns the operand's numeric value: its number extractor, or its
// text read as a number.
func numOf(l *operand) func(c *field.Context) (int64, bool) {
	if l.num != nil {
		return l.num
	}
	var buf []byte
	isBool := l.kind == kBool
	return func(c *field.Context) (int64, bool) {
		var ok bool
		if buf, ok = l.text(buf[:0], c); !ok {
			return 0, false
		}
		if isBool {
			return boolBytes(buf)
		}
		return parseIntBytes(buf)
	}
}

func boolBytes(b []byte) (int64, bool) {
	switch string(b) {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	return 0, false
}

// parseIntBytes reads a decimal integer, with an optional sign.
func parseIntBytes(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseNumValue reads a value compared with a numeric operand: a decimal
// or 0x number (durations in nanoseconds); true or false for booleans.
func parseNumValue(s string, l *operand) (int64, string) {
	if v, ok := parseNumText(s, l.kind == kBool); ok {
		return v, ""
	}
	if l.kind == kBool {
		return 0, "expected true or false for " + l.name + ", found " + quote(s)
	}
	return 0, "expected a number for " + l.name + ", found " + quote(s)
}

// parseNumText reads a number, or true or false for a boolean.
func parseNumText(s string, isBool bool) (int64, bool) {
	if isBool {
		switch s {
		case "true":
			return 1, true
		case "false":
			return 0, true
		}
		return 0, false
	}
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return v, true
	}
	if v, err := strconv.ParseUint(s, 0, 64); err == nil {
		return int64(v), true
	}
	return 0, false
}

// addrCheck compiles a check on an IP address or network operand. Values
// are addresses or networks in CIDR notation; an address matches a
// network that contains it.
func (cp *compiler) addrCheck(n *Check, l *operand, v values) (evalFn, bool) {
	negate := false
	switch n.Op {
	case OpEq, OpIn, OpIntersects:
	case OpNe:
		negate = true
	default:
		cp.badOp(n, l)
		return nil, false
	}
	nets := make([]netip.Prefix, len(v.items))
	for i, it := range v.items {
		p, err := parsePrefix(it.text)
		if err != "" {
			cp.errorAt(it.span, err+" for "+l.name)
			return nil, false
		}
		nets[i] = p
	}
	groups := [][]netip.Prefix{nets}
	for _, li := range v.lists {
		p := cp.part(li.lv, partNets, netsOf).(netsPart)
		if p.msg != "" {
			cp.errorAt(li.span, p.msg+" for "+l.name+inList(li.lv))
			return nil, false
		}
		groups = append(groups, p.nets)
	}
	m := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range nets {
			if p.Contains(a) {
				return true
			}
		}
		for _, g := range groups[1:] {
			for _, p := range g {
				if p.Contains(a) {
					return true
				}
			}
		}
		return false
	}
	if l.addrAt != nil {
		return func(c *field.Context) bool {
			for i := 0; ; i++ {
				a, ok := l.addrAt(c, i)
				if !ok {
					return negate && i > 0
				}
				if m(a) {
					return !negate
				}
			}
		}, true
	}
	if l.multi != nil || l.addr == nil {
		return anyValue(l, func(b []byte) bool {
			a, err := netip.ParseAddr(string(b))
			return err == nil && m(a)
		}, negate), true
	}
	return func(c *field.Context) bool {
		a, ok := l.addr(c)
		return ok && m(a) != negate
	}, true
}

// parsePrefix reads an address (a network of one address) or a network.
func parsePrefix(s string) (netip.Prefix, string) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, "expected an IP network such as 10.0.0.0/8, found " + quote(s)
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p)).Masked(), ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, "expected an IP address, found " + quote(s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), ""
}

// unmapBits is what a prefix length loses when an IPv4-mapped IPv6
// network becomes an IPv4 one.
func unmapBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return 96
	}
	return 0
}
