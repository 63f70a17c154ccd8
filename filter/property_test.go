package filter

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCompiledMatchesReference compares compiled filters with a plain
// reference interpreter of the syntax tree, on random filters and random
// events over the test fields.
func TestCompiledMatchesReference(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 3000; i++ {
		src := randExpr(rng, 3)
		p, err := Compile(src, Options{Fields: reg})
		if err != nil {
			t.Fatalf("generated filter %q does not compile: %v", src, err)
		}
		x, _ := Parse(src)
		for j := 0; j < 20; j++ {
			s := randSample(rng)
			cur = &s
			if got, want := p.Match(nil), refEval(x, &s); got != want {
				t.Fatalf("%s on %+v: compiled %v, reference %v", src, s, got, want)
			}
		}
	}
}

var (
	poolS    = []string{"bash", "Bash", "sshd", "/bin/bash", "", "hello world"}
	poolPath = []string{"/etc/passwd", "/etc", "/etcd/x", "/usr/bin/ls", "/", "/tmp/a/b"}
	poolN    = []int64{-1, 0, 1, 42, 1000}
	poolIP   = []string{"10.1.2.3", "192.168.1.1", "::1", "2001:db8::5", "127.0.0.1"}
	poolNet  = []string{"10.0.0.0/8", "192.168.0.0/16", "::1/128", "2001:db8::/32", "127.0.0.1", "0.0.0.0/0"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func randSample(rng *rand.Rand) sample {
	s := sample{s: pick(rng, poolS), path: pick(rng, poolPath), n: pick(rng, poolN), u: uint64(pick(rng, poolN)),
		ip: netip.MustParseAddr(pick(rng, poolIP)), b: rng.IntN(2) == 0, missing: map[string]bool{}}
	for range rng.IntN(4) {
		s.m = append(s.m, pick(rng, poolS))
	}
	for _, f := range []string{"t.s", "t.path", "t.n", "t.u", "t.ip", "t.net", "t.b", "t.m"} {
		if rng.IntN(8) == 0 {
			s.missing[f] = true
		}
	}
	return s
}

func randExpr(rng *rand.Rand, depth int) string {
	if depth == 0 || rng.IntN(3) == 0 {
		return randCheck(rng)
	}
	switch rng.IntN(3) {
	case 0:
		return "not " + randExpr(rng, depth-1)
	case 1:
		return "(" + randExpr(rng, depth-1) + " and " + randExpr(rng, depth-1) + ")"
	}
	return "(" + randExpr(rng, depth-1) + " or " + randExpr(rng, depth-1) + ")"
}

func quoted(s string) string { return strconv.Quote(s) }

func randList(rng *rand.Rand, pool []string, q bool) string {
	var items []string
	for range 1 + rng.IntN(3) {
		v := pick(rng, pool)
		if q {
			v = quoted(v)
		}
		items = append(items, v)
	}
	return "(" + strings.Join(items, ", ") + ")"
}

func randCheck(rng *rand.Rand) string {
	switch rng.IntN(8) {
	case 0, 1: // text
		f := pick(rng, []string{"t.s", "t.path", "t.m", "tolower(t.s)", "basename(t.path)"})
		v := pick(rng, append(poolS, poolPath...))
		switch op := pick(rng, []string{"=", "!=", "contains", "icontains", "startswith", "endswith", "glob", "in", "pmatch", "exists", "bcontains"}); op {
		case "in", "pmatch":
			return f + " " + op + " " + randList(rng, append(poolS, poolPath...), true)
		case "exists":
			return f + " exists"
		case "glob":
			return f + " glob " + quoted(pick(rng, []string{"*bash", "/etc/*", "?ash", "[bB]ash", "*", "/usr/*/ls"}))
		case "bcontains":
			return f + " bcontains " + hex.EncodeToString([]byte(pick(rng, []string{"ba", "/e", "sh"})))
		default:
			return f + " " + op + " " + quoted(v)
		}
	case 2, 3: // numbers
		f := pick(rng, []string{"t.n", "t.u", "len(t.s)", "t.b"})
		if f == "t.b" {
			return f + " " + pick(rng, []string{"=", "!="}) + " " + pick(rng, []string{"true", "false"})
		}
		op := pick(rng, []string{"=", "!=", "<", "<=", ">", ">=", "in"})
		if op == "in" {
			var items []string
			for range 1 + rng.IntN(3) {
				items = append(items, strconv.FormatInt(pick(rng, poolN), 10))
			}
			return f + " in (" + strings.Join(items, ", ") + ")"
		}
		return f + " " + op + " " + strconv.FormatInt(pick(rng, poolN), 10)
	case 4: // addresses
		f := pick(rng, []string{"t.ip", "t.net"})
		op := pick(rng, []string{"=", "!=", "in"})
		if op == "in" {
			return f + " in " + randList(rng, poolNet, false)
		}
		return f + " " + op + " " + pick(rng, poolNet)
	case 5:
		return "t.s = val(t.path)"
	case 6:
		return randModifier(rng)
	}
	return "t.n " + pick(rng, []string{"<", ">", "="}) + " val(t.u)"
}

// randModifier returns a check with a modifier on a text field.
func randModifier(rng *rand.Rand) string {
	f := pick(rng, []string{"t.s", "t.path", "tolower(t.s)", "basename(t.path)"})
	op := pick(rng, []string{"=", "!=", "contains", "startswith", "endswith", "glob"})
	pool := append(append([]string{}, poolS...), poolPath...)
	if op == "glob" {
		pool = []string{"*bash", "/etc/*", "?ash", "[bB]ash", "*", "/usr/*/ls"}
	}
	var items []string
	for range rng.IntN(4) {
		items = append(items, quoted(pick(rng, pool)))
	}
	return f + " " + op + " " + pick(rng, []string{"oneof", "anyof", "allof"}) + " (" + strings.Join(items, ", ") + ")"
}

// refModifier is the reference meaning of a modifier: count the values
// the base operator holds for.
func refModifier(c *Check, v string, rhs []string) bool {
	k := 0
	for _, r := range rhs {
		if c.Op.Base() == OpNe {
			if v != r {
				k++
			}
		} else if refCompare(c, v, c.Op.Base(), []string{r}) {
			k++
		}
	}
	switch {
	case len(rhs) == 0:
		return false
	case c.Op.Modifier() == ModOneOf:
		return k == 1
	case c.Op.Modifier() == ModAnyOf:
		return k > 0
	}
	return k == len(rhs)
}

// refEval is the reference meaning of a filter on s.
func refEval(x Expr, s *sample) bool {
	switch n := x.(type) {
	case *Binary:
		if n.Op == And {
			return refEval(n.X, s) && refEval(n.Y, s)
		}
		return refEval(n.X, s) || refEval(n.Y, s)
	case *Not:
		return !refEval(n.X, s)
	case *Check:
		return refCheck(n, s)
	}
	panic("unexpected node")
}

// refValues returns the operand's values as text (several for t.m).
func refValues(o Operand, s *sample) []string {
	switch n := o.(type) {
	case *Field:
		if s.missing[n.Name] {
			return nil
		}
		switch n.Name {
		case "t.s":
			return []string{s.s}
		case "t.path":
			return []string{s.path}
		case "t.n":
			return []string{strconv.FormatInt(s.n, 10)}
		case "t.u":
			return []string{strconv.FormatUint(s.u, 10)}
		case "t.ip", "t.net":
			return []string{s.ip.String()}
		case "t.b":
			return []string{strconv.FormatBool(s.b)}
		case "t.m":
			return s.m
		}
	case *Transform:
		in := refValues(n.Args[0], s)
		if n.Name == "len" {
			if f, ok := n.Args[0].(*Field); ok && f.Name == "t.m" {
				if s.missing["t.m"] {
					return []string{"0"}
				}
				return []string{strconv.Itoa(len(in))}
			}
			if len(in) == 0 {
				return nil
			}
			return []string{strconv.Itoa(len(in[0]))}
		}
		out := make([]string, len(in))
		for i, v := range in {
			switch n.Name {
			case "tolower":
				out[i] = strings.ToLower(v)
			case "basename":
				out[i] = v[strings.LastIndex(v, "/")+1:]
			}
		}
		return out
	}
	panic("unexpected operand")
}

func refCheck(c *Check, s *sample) bool {
	vals := refValues(c.Left, s)
	if c.Op == OpExists {
		return len(vals) > 0
	}
	if len(vals) == 0 {
		return false
	}
	var rhs []string
	switch r := c.Right.(type) {
	case *Value:
		rhs = []string{r.Text}
	case *List:
		for _, v := range r.Items {
			rhs = append(rhs, v.Text)
		}
	case *Val:
		rv := refValues(r.Field, s)
		if len(rv) == 0 {
			return false
		}
		rhs = rv
	}
	if c.Op.Modifier() != ModNone {
		return refModifier(c, vals[0], rhs)
	}
	if c.Op == OpNe {
		for _, v := range vals {
			if refCompare(c, v, OpEq, rhs) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if refCompare(c, v, c.Op, rhs) {
			return true
		}
	}
	return false
}

func refCompare(c *Check, v string, op Operator, rhs []string) bool {
	name := c.Left.String()
	switch {
	case name == "t.ip" || name == "t.net":
		a := netip.MustParseAddr(v).Unmap()
		for _, r := range rhs {
			p, err := netip.ParsePrefix(r)
			if err != nil {
				p = netip.PrefixFrom(netip.MustParseAddr(r), netip.MustParseAddr(r).BitLen())
			}
			if p.Contains(a) {
				return true
			}
		}
		return false
	case name == "t.b":
		return v == rhs[0]
	case name == "t.n" || name == "t.u" || name == "len(t.s)":
		return refNum(name, v, op, rhs)
	}
	r := rhs[0]
	switch op {
	case OpEq:
		return v == r
	case OpContains:
		return strings.Contains(v, r)
	case OpIContains:
		return strings.Contains(strings.ToLower(v), strings.ToLower(r))
	case OpStartsWith:
		return strings.HasPrefix(v, r)
	case OpEndsWith:
		return strings.HasSuffix(v, r)
	case OpBContains:
		b, _ := hex.DecodeString(r)
		return bytes.Contains([]byte(v), b)
	case OpGlob:
		return globRegexp(r).MatchString(v)
	case OpIn:
		for _, x := range rhs {
			if v == x {
				return true
			}
		}
	case OpPmatch:
		for _, x := range rhs {
			x = strings.TrimRight(x, "/")
			if x == "" && strings.HasPrefix(v, "/") || x != "" && (v == x || strings.HasPrefix(v, x+"/")) {
				return true
			}
		}
	}
	return false
}

func refNum(name, v string, op Operator, rhs []string) bool {
	if op == OpIn {
		for _, r := range rhs {
			if refNum(name, v, OpEq, []string{r}) {
				return true
			}
		}
		return false
	}
	a, b := refInt(v), refInt(rhs[0])
	if name == "t.u" || name == "len(t.s)" { // len is unsigned, as in libsinsp
		ua, _ := strconv.ParseUint(v, 10, 64)
		ub := uint64(b)
		switch op {
		case OpLt:
			return ua < ub
		case OpLe:
			return ua <= ub
		case OpGt:
			return ua > ub
		case OpGe:
			return ua >= ub
		}
		return ua == ub
	}
	switch op {
	case OpLt:
		return a < b
	case OpLe:
		return a <= b
	case OpGt:
		return a > b
	case OpGe:
		return a >= b
	}
	return a == b
}

// refInt reads a value as int64; values above its range wrap, as the
// unsigned fields' values do.
func refInt(s string) int64 {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v
	}
	u, _ := strconv.ParseUint(s, 10, 64)
	return int64(u)
}

// globRegexp translates the shell patterns the generator makes.
func globRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(p[i:], ']')
			b.WriteString(p[i : i+j+1])
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
