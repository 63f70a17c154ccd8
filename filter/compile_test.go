package filter

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// sample is the event the test fields read: each field has a value unless
// it is in missing.
type sample struct {
	s, path string
	n       int64
	u       uint64
	ip      netip.Addr
	b       bool
	m       []string // values of the multi-valued field
	missing map[string]bool
}

// testRegistry returns fields of every kind over *cur, so that compiled
// filters can be checked without captures.
func testRegistry(cur **sample) *field.Registry {
	has := func(name string) bool { return !(*cur).missing[name] }
	text := func(name string, t event.ParamType, get func(*sample) string) field.Def {
		return field.Def{Name: name, Type: t, Desc: "test",
			Text: func(d []byte, _ *field.Context, _ *field.Arg) ([]byte, bool) {
				if !has(name) {
					return d, false
				}
				return append(d, get(*cur)...), true
			}}
	}
	num := func(name string, t event.ParamType, get func(*sample) int64) field.Def {
		d := text(name, t, func(s *sample) string { return strconv.FormatInt(get(s), 10) })
		d.Num = func(_ *field.Context, _ *field.Arg) (int64, bool) { return get(*cur), has(name) }
		return d
	}
	ip := text("t.ip", event.PTIPAddr, func(s *sample) string { return s.ip.String() })
	ip.Addr = func(_ *field.Context, _ *field.Arg) (netip.Addr, bool) { return (*cur).ip, has("t.ip") }
	netf := text("t.net", event.PTIPNet, func(s *sample) string { return s.ip.String() })
	netf.Addr = func(_ *field.Context, _ *field.Arg) (netip.Addr, bool) { return (*cur).ip, has("t.net") }
	multi := text("t.m", event.PTCharBuf, func(s *sample) string { return strings.Join(s.m, ",") })
	multi.Multi = func(d []byte, _ *field.Context, _ *field.Arg, i int) ([]byte, bool) {
		if !has("t.m") || i >= len((*cur).m) {
			return d, false
		}
		return append(d, (*cur).m[i]...), true
	}
	// t.ips is both t.ip and 192.168.1.1, like fd.ip's two ends.
	ips := text("t.ips", event.PTIPAddr, func(s *sample) string { return s.ip.String() + ",192.168.1.1" })
	ips.Multi = func(d []byte, _ *field.Context, _ *field.Arg, i int) ([]byte, bool) {
		a, ok := ipsAt(*cur, i)
		return append(d, a.String()...), ok
	}
	ips.MultiAddr = func(_ *field.Context, _ *field.Arg, i int) (netip.Addr, bool) { return ipsAt(*cur, i) }
	b := text("t.b", event.PTBool, func(s *sample) string { return strconv.FormatBool(s.b) })
	b.Num = func(_ *field.Context, _ *field.Arg) (int64, bool) {
		if (*cur).b {
			return 1, has("t.b")
		}
		return 0, has("t.b")
	}
	arg := field.Def{Name: "t.arg", Type: event.PTCharBuf, Arg: field.ArgRequired, Desc: "test",
		Text: func(d []byte, _ *field.Context, a *field.Arg) ([]byte, bool) { return append(d, a.Text...), true }}
	typ := text("evt.type", event.PTCharBuf, func(s *sample) string { return s.s })
	reg, err := field.NewRegistry([]field.Def{
		text("t.s", event.PTCharBuf, func(s *sample) string { return s.s }),
		text("t.path", event.PTFSPath, func(s *sample) string { return s.path }),
		num("t.n", event.PTInt64, func(s *sample) int64 { return s.n }),
		num("t.u", event.PTUint64, func(s *sample) int64 { return int64(s.u) }),
		num("t.dur", event.PTRelTime, func(s *sample) int64 { return s.n }),
		ip, netf, ips, multi, b, arg, typ,
	})
	if err != nil {
		panic(err)
	}
	return reg
}

func ipsAt(s *sample, i int) (netip.Addr, bool) {
	switch {
	case s.missing["t.ips"]:
		return netip.Addr{}, false
	case i == 0:
		return s.ip, true
	case i == 1:
		return netip.MustParseAddr("192.168.1.1"), true
	}
	return netip.Addr{}, false
}

func compileTest(t *testing.T, reg *field.Registry, src string) *Program {
	t.Helper()
	p, err := Compile(src, Options{Fields: reg})
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	return p
}

func TestCompileOperators(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	base := sample{s: "Hello World", path: "/etc/ssh/sshd_config", n: 42, u: 7,
		ip: netip.MustParseAddr("10.1.2.3"), b: true, m: []string{"bash", "sshd", "systemd"}}
	cases := []struct {
		filter string
		want   bool
	}{
		{`t.s = "Hello World"`, true},
		{`t.s == "Hello World"`, true},
		{`t.s = hello`, false},
		{`t.s != hello`, true},
		{`t.s contains World`, true},
		{`t.s contains world`, false},
		{`t.s icontains WORLD`, true},
		{`t.s startswith Hell`, true},
		{`t.s endswith World`, true},
		{`t.s endswith Hello`, false},
		{`t.s > 1`, true}, // byte order, as strcmp: letters after digits
		{`t.s < 1`, false},
		{`t.path < 0`, true},
		{`t.s bcontains 6f20`, true},     // "o "
		{`t.s bstartswith 48656c`, true}, // "Hel"
		{`t.s bstartswith 656c`, false},  //
		{`t.s glob "H*d"`, true},         //
		{`t.s glob "h*d"`, false},        //
		{`t.s iglob "h*D"`, true},        //
		{`t.s glob "Hello?World"`, true}, //
		{`t.s glob "[GH]ello*"`, true},   //
		{`t.s glob "[!H]ello*"`, false},  //
		{`t.s regex "^H.*d$"`, true},     //
		{`t.s regex "^world"`, false},    //
		{`t.s in (a, "Hello World", b)`, true},
		{`t.s in (a, b)`, false},
		{`t.s exists`, true},
		{`t.path pmatch (/etc/ssh, /usr)`, true},
		{`t.path pmatch (/etc/ss)`, false},
		{`t.path pmatch (/etc/ssh/sshd_config)`, true},
		{`t.path pmatch (/)`, true},
		{`t.path glob "/etc/*"`, true}, // '*' crosses '/', as fnmatch without FNM_PATHNAME
		{`t.n = 42`, true},
		{`t.n != 42`, false},
		{`t.n > 41 and t.n < 43`, true},
		{`t.n >= 42 and t.n <= 42`, true},
		{`t.n in (1, 2, 42)`, true},
		{`t.n = 0x2a`, true},
		{`t.u > -1`, false}, // unsigned: -1 is the largest value
		{`t.n > -1`, true},
		{`t.dur < 1000000000`, true},
		{`t.b = true`, true},
		{`t.b = false`, false},
		{`t.ip = 10.1.2.3`, true},
		{`t.ip = 10.0.0.0/8`, true},
		{`t.ip in (192.168.0.0/16, 10.1.0.0/16)`, true},
		{`t.ip != 10.1.2.3`, false},
		{`t.net = 10.0.0.0/8`, true},
		{`t.net = ::ffff:10.0.0.0/104`, true},
		{`t.net in (172.16.0.0/12)`, false},
		{`t.ips = 192.168.0.0/16`, true},
		{`t.ips = 10.1.2.3`, true},
		{`t.ips != 10.1.2.3`, false},
		{`t.ips != 172.16.0.1`, true},
		{`t.ips in (172.16.0.0/12)`, false},
		{`t.m = sshd`, true},
		{`t.m = zsh`, false},
		{`t.m != zsh`, true},
		{`t.m != sshd`, false},
		{`t.m in (zsh, systemd)`, true},
		{`t.m intersects (zsh, bash)`, true},
		{`t.m startswith sys`, true},
		{`t.arg[abc] = abc`, true},
		{`t.arg.xyz = xyz`, true},
		{`tolower(t.s) = "hello world"`, true},
		{`toupper(t.s) = "HELLO WORLD"`, true},
		{`len(t.s) = 11`, true},
		{`len(t.m) = 3`, true},
		{`basename(t.path) = sshd_config`, true},
		{`toupper(basename(t.path)) = SSHD_CONFIG`, true},
		{`t.s = val(t.s)`, true},
		{`t.s != val(t.path)`, true},
		{`t.n = val(t.u)`, false},
		{`t.n > val(t.u)`, true},
		{`not t.s = x`, true},
		{`t.s = x or t.n = 42`, true},
		{`(t.s = x or t.n = 42) and not t.b = true`, false},
	}
	for _, c := range cases {
		s := base
		cur = &s
		if got := compileTest(t, reg, c.filter).Match(nil); got != c.want {
			t.Errorf("%s: got %v, want %v", c.filter, got, c.want)
		}
	}
}

// TestCompileMissing checks that a check on a missing value never holds,
// != and in included, while "not" and exists see it.
func TestCompileMissing(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{missing: map[string]bool{"t.s": true, "t.n": true, "t.ip": true, "t.m": true, "t.b": true}}
	for filter, want := range map[string]bool{
		`t.s = x`: false, `t.s != x`: false, `t.s in (x)`: false, `t.s exists`: false, `not t.s exists`: true,
		`not t.s = x`: true, `t.n != 1`: false, `t.n < 1`: false, `t.ip != 1.2.3.4`: false,
		`t.m != x`: false, `t.m exists`: false, `t.b = false`: false, `t.s = val(t.path)`: false,
		`len(t.s) = 0`: false,
	} {
		if got := compileTest(t, reg, filter).Match(nil); got != want {
			t.Errorf("%s with no value: got %v, want %v", filter, got, want)
		}
	}
}

func TestCompileB64(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "aGVsbG8="}
	if !compileTest(t, reg, `b64(t.s) = hello`).Match(nil) {
		t.Error("b64 does not decode")
	}
	cur = &sample{s: "not base64!"}
	if compileTest(t, reg, `b64(t.s) exists`).Match(nil) {
		t.Error("b64 of invalid text has a value")
	}
}

func TestCompileErrors(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cases := []struct{ filter, want string }{
		{`t.nope = 1`, "filter:1:1: unknown field \"t.nope\"\n 1 | t.nope = 1\n   | ^"},
		{`t.n = abc`, "filter:1:7: expected a number for t.n, found \"abc\"\n 1 | t.n = abc\n   |       ^"},
		{`t.s = a and t.n contains 1`, "filter:1:17: operator contains cannot compare t.n, a numeric field\n 1 | t.s = a and t.n contains 1\n   |                 ^"},
		{`t.ip contains 3`, "filter:1:6: operator contains cannot compare t.ip, an IP address field\n 1 | t.ip contains 3\n   |      ^"},
		{`t.ip = 300.1.1.1`, "filter:1:8: expected an IP address, found \"300.1.1.1\" for t.ip\n 1 | t.ip = 300.1.1.1\n   |        ^"},
		{`t.s regex "a("`, "filter:1:11: invalid regular expression: error parsing regexp: missing closing ): `a(`\n 1 | t.s regex \"a(\"\n   |           ^"},
		{`t.s bcontains xyz`, "filter:1:15: bcontains needs hexadecimal bytes, as in bcontains 2f6574632f, found \"xyz\"\n 1 | t.s bcontains xyz\n   |               ^"},
		{`t.b = yes`, "filter:1:7: expected true or false for t.b, found \"yes\"\n 1 | t.b = yes\n   |       ^"},
		{`some_macro`, "filter:1:1: unknown macro \"some_macro\": a condition needs an operator, as in some_macro = value, or some_macro exists\n 1 | some_macro\n   | ^"},
		{`t.s in shells`, "filter:1:8: undefined list \"shells\"\n 1 | t.s in shells\n   |        ^"},
		{`tolower(t.n) = 1`, "filter:1:1: tolower() applies to text, and t.n is numeric\n 1 | tolower(t.n) = 1\n   | ^"},
		{`t.n = val(t.s)`, "filter:1:7: val(t.s) is text and t.n is numeric\n 1 | t.n = val(t.s)\n   |       ^"},
		{`t.s[1] = a`, "filter:1:1: field t.s takes no argument\n 1 | t.s[1] = a\n   | ^"},
	}
	for _, c := range cases {
		_, err := Compile(c.filter, Options{Fields: reg})
		es, ok := err.(Errors)
		if !ok {
			t.Errorf("%s: got %v, want errors", c.filter, err)
			continue
		}
		if got := es.String(); got != c.want {
			t.Errorf("%s:\n got: %s\nwant: %s", c.filter, got, c.want)
		}
	}
}

// TestCompileGathersErrors checks that every problem is reported, in
// source order.
func TestCompileGathersErrors(t *testing.T) {
	var cur *sample
	_, err := Compile("t.x = 1 or t.n = y or t.ip glob 2", Options{Fields: testRegistry(&cur)})
	es, ok := err.(Errors)
	if !ok || len(es) != 3 {
		t.Fatalf("got %v, want 3 errors", err)
	}
	for i, col := range []int{1, 18, 28} {
		if es[i].Pos.Column != col {
			t.Errorf("error %d at column %d, want %d: %v", i, es[i].Pos.Column, col, es[i])
		}
	}
}

func TestCompileMacrosAndLists(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	macros := map[string]string{
		"is_hello": `t.s startswith Hello`,
		"nested":   `is_hello and t.n in (answers)`,
		"loop_a":   `loop_b`,
		"loop_b":   `loop_a`,
	}
	lists := map[string][]string{"answers": {"42", "43"}, "shells": {"bash", "zsh"}}
	o := Options{
		Fields: reg,
		Macro: func(name string) (Expr, bool) {
			src, ok := macros[name]
			if !ok {
				return nil, false
			}
			x, err := Parse(src)
			if err != nil {
				t.Fatalf("macro %s: %v", name, err)
			}
			return x, true
		},
		List: func(name string) (*ListValues, bool) {
			v, ok := lists[name]
			return &ListValues{Name: name, Values: v}, ok
		},
	}
	cur = &sample{s: "Hello", n: 42, m: []string{"zsh"}}
	for filter, want := range map[string]bool{
		`nested`: true, `not nested`: false, `t.m in shells`: true, `t.m in (shells, sh)`: true,
		`t.s in ("shells")`: false,
	} {
		p, err := Compile(filter, o)
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		if got := p.Match(nil); got != want {
			t.Errorf("%s: got %v, want %v", filter, got, want)
		}
	}
	_, err := Compile(`t.s = a or loop_a`, o)
	if err == nil || !strings.Contains(err.Error(), `1:12: in macro "loop_b"`) && !strings.Contains(err.Error(), "refers to itself") {
		t.Errorf("macro cycle: got %v", err)
	}
	_, err = Compile(`undefined_one`, o)
	if err == nil || err.Error() != `1:1: undefined macro "undefined_one"` {
		t.Errorf("undefined macro: got %v", err)
	}
}

func TestEventTypes(t *testing.T) {
	open := typesNamed("open")
	cases := []struct {
		filter string
		check  func(s *TypeSet) bool
	}{
		{`evt.type = open`, func(s *TypeSet) bool { return *s == open }},
		{`evt.type = open and proc.name = cat`, func(s *TypeSet) bool { return *s == open }},
		{`evt.type in (open, close)`, func(s *TypeSet) bool { return s.Len() == union(open, typesNamed("close")).Len() }},
		{`proc.name = cat`, func(s *TypeSet) bool { return s.All() }},
		{`evt.type = open or proc.name = cat`, func(s *TypeSet) bool { return s.All() }},
		{`not evt.type = open`, func(s *TypeSet) bool { return !s.Has(open.Types()[2]) && s.Has(event.Type(5)) }},
		{`evt.type != open`, func(s *TypeSet) bool { return !s.Has(open.Types()[2]) && s.Has(event.Type(5)) }},
		{`not (evt.type = open and proc.name = cat)`, func(s *TypeSet) bool { return s.All() }},
		// Only generic events can carry both syscalls' names.
		{`evt.type = open and evt.type = close`, func(s *TypeSet) bool { return s.Len() == 2 && s.Has(0) && s.Has(1) }},
	}
	for _, c := range cases {
		p, err := Compile(c.filter, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		if !c.check(p.EventTypes()) {
			t.Errorf("%s: event types %v", c.filter, p.EventTypes().Types())
		}
	}
	// open has specific events, and syscalls reach generic events too.
	for _, tt := range open.Types() {
		name := event.Current().Lookup(tt).Name
		if tt > 1 && name != "open" {
			t.Errorf("typesNamed(open) holds %d (%s)", tt, name)
		}
	}
}

func union(a, b TypeSet) *TypeSet {
	for i := range a.bits {
		a.bits[i] |= b.bits[i]
	}
	return &a
}

// TestMatchAllocatesNothing checks the per-event path of representative
// filters.
func TestMatchAllocatesNothing(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "Hello World", path: "/etc/ssh/sshd_config", n: 42, ip: netip.MustParseAddr("10.1.2.3"), m: []string{"a", "b"}}
	big := make([]string, 200)
	for i := range big {
		big[i] = "name" + strconv.Itoa(i)
	}
	for _, filter := range []string{
		`t.s = "Hello World" and t.n > 3`,
		`t.s in (` + strings.Join(big, ", ") + `)`,
		`t.path pmatch (/etc/ssh, /usr/lib, /var)`,
		`t.s icontains world or t.s glob "*W?rld"`,
		`t.ip in (10.0.0.0/8, 192.168.0.0/16)`,
		`t.ips in (172.16.0.0/12, 192.168.0.0/16)`,
		`t.m intersects (b, c)`,
		`tolower(t.s) = "hello world" and basename(t.path) = sshd_config`,
		`t.s = val(t.path)`,
	} {
		p := compileTest(t, reg, filter)
		p.Match(nil)
		if n := testing.AllocsPerRun(100, func() { p.Match(nil) }); n != 0 {
			t.Errorf("%s: %v allocations per event", filter, n)
		}
	}
}
