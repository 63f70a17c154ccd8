package filter

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// checkErrors compiles src and compares the rendered errors with want.
func wantErrors(t *testing.T, src, want string, o Options) {
	t.Helper()
	_, err := Compile(src, o)
	got := "ok"
	if err != nil {
		got = err.(Errors).String()
	}
	if got != want {
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", src, got, want)
	}
}

// TestUnknownEventType checks that evt.type values are event or syscall
// names, whatever the operator, as libsinsp and sysdig require ("unknown
// event type opne").
func TestUnknownEventType(t *testing.T) {
	cases := []struct{ src, want string }{
		{`evt.type = opne`, `filter:1:12: unknown event type "opne"
 1 | evt.type = opne
   |            ^`},
		{`evt.type in (open, opne)`, `filter:1:20: unknown event type "opne"
 1 | evt.type in (open, opne)
   |                    ^`},
		{`evt.type startswith op`, `filter:1:21: unknown event type "op"
 1 | evt.type startswith op
   |                     ^`},
		{`evt.type != opne`, `filter:1:13: unknown event type "opne"
 1 | evt.type != opne
   |             ^`},
		{`evt.type = open`, "ok"},
		{`evt.type in (execve, execveat, sendmmsg, procexit, container, pluginevent)`, "ok"},
		{`evt.type = val(proc.name)`, "ok"},
	}
	for _, c := range cases {
		wantErrors(t, c.src, c.want, Options{})
	}
	lists := func(name string) (*ListValues, bool) {
		return &ListValues{Name: name, Values: []string{"open", "opne"}}, name == "types"
	}
	wantErrors(t, `evt.type in (close, types)`, `filter:1:21: unknown event type "opne" (in list "types")
 1 | evt.type in (close, types)
   |                     ^`, Options{List: lists})
}

// TestFieldArguments checks the arguments libsinsp refuses when it parses
// a field, located at the argument.
func TestFieldArguments(t *testing.T) {
	cases := []struct{ src, want string }{
		{`proc.aname[abc] = x`, `filter:1:12: unknown field "proc.aname[abc]": the argument is an ancestor index, a number, not "abc"
 1 | proc.aname[abc] = x
   |            ^`},
		{`proc.apid[1x] = 1`, `filter:1:11: unknown field "proc.apid[1x]": the argument is an ancestor index, a number, not "1x"
 1 | proc.apid[1x] = 1
   |           ^`},
		{`proc.aname[4294967297] = x`, `filter:1:12: field proc.aname[4294967297]: ancestor index 4294967297 is out of range
 1 | proc.aname[4294967297] = x
   |            ^`},
		{`evt.arg[abc] = x`, `filter:1:9: field evt.arg[abc]: "abc" is not a parameter index; write evt.arg.abc for a parameter by name
 1 | evt.arg[abc] = x
   |         ^`},
		{`evt.arg.nosuch = x`, `filter:1:1: field evt.arg.nosuch: unknown event argument "nosuch": no event has a parameter of that name
 1 | evt.arg.nosuch = x
   | ^`},
		{`evt.rawarg[0] = 1`, `filter:1:12: field evt.rawarg[0]: evt.rawarg takes a parameter name after a dot, as in evt.rawarg.res, not an index
 1 | evt.rawarg[0] = 1
   |            ^`},
		{`evt.type.is.opne = 1`, `filter:1:1: unknown field "evt.type.is.opne": "opne" is not an event type
 1 | evt.type.is.opne = 1
   | ^`},
		{`proc.aname[-1] = bash and proc.aname[+2] = x and proc.aname["02"] = x and evt.arg[1] = x and evt.arg.fd = 3`, "ok"},
	}
	for _, c := range cases {
		wantErrors(t, c.src, c.want, Options{})
	}
}

// TestListRefValue checks a name after in that names no list: in rules
// (where lists exist) it is one value, as in Falco, with a warning; on
// the command line, as in sysdig, it is an error.
func TestListRefValue(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "bash"}
	o := Options{Fields: reg, List: func(string) (*ListValues, bool) { return nil, false }}
	p, err := Compile(`t.s in bash`, o)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(nil) {
		t.Error("t.s in bash does not match bash")
	}
	want := `filter:1:8: "bash" names no list, so in compares with the value "bash"; write in (bash) to say so
 1 | t.s in bash
   |        ^`
	if got := p.Warnings().String(); got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	wantErrors(t, `t.s in bash`, `filter:1:8: undefined list "bash"
 1 | t.s in bash
   |        ^`, Options{Fields: reg})
}

// TestGlobNeverMatches checks the patterns fnmatch(3) fails on whatever
// the string (checked against glibc), which Falco's glob never matches:
// Kestrel compiles them to never match, with a warning.
func TestGlobNeverMatches(t *testing.T) {
	for p, want := range map[string]bool{
		"[a-": true, "*[?-": true, "ab\\": true, "[a\\": true, "[[a-": true, "[!a-": true,
		"[a-z": false, "[a-]": false, "a[": false, "[": false, "[]": false, "[!]": false,
		"*.txt": false, "[[:alpha:]": false, "\\[a-": false, "[a]-": false,
	} {
		if got := globNeverMatches(p); got != want {
			t.Errorf("globNeverMatches(%q) = %v, want %v", p, got, want)
		}
	}
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "[a-"}
	p, err := Compile(`t.s glob "[a-"`, Options{Fields: reg})
	if err != nil {
		t.Fatal(err)
	}
	if p.Match(nil) {
		t.Error(`glob "[a-" matched`)
	}
	want := `filter:1:10: glob pattern "[a-" is malformed and never matches, as in Falco: the range "[a-" has no end
 1 | t.s glob "[a-"
   |          ^`
	if got := p.Warnings().String(); got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
}

// macroOptions returns options whose macros are parsed from srcs, and a
// count of the lookups of each.
func macroOptions(t *testing.T, reg *Options, srcs map[string]string) map[string]int {
	t.Helper()
	calls := map[string]int{}
	reg.Macro = func(name string) (Expr, bool) {
		src, ok := srcs[name]
		if !ok {
			return nil, false
		}
		calls[name]++
		x, err := Parse(src)
		if err != nil {
			t.Fatalf("macro %s: %v", name, err)
		}
		return x, true
	}
	if reg.Cache == nil {
		reg.Cache = NewCache()
	}
	return calls
}

// TestMacrosShared checks that a macro is compiled once however many
// times conditions name it, so that 40 macros each naming the previous
// twice (2^40 checks once expanded) cost little to compile and are
// refused with a located error rather than expanded.
func TestMacrosShared(t *testing.T) {
	srcs := map[string]string{"m0": `proc.name = a`}
	for i := 1; i <= 40; i++ {
		srcs[fmt.Sprintf("m%d", i)] = fmt.Sprintf("m%d or m%d", i-1, i-1)
	}
	o := Options{}
	calls := macroOptions(t, &o, srcs)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Compile(`evt.type = open and m40`, o)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if elapsed > 5*time.Second || after.TotalAlloc-before.TotalAlloc > 64<<20 {
		t.Errorf("compiling took %v and %d bytes", elapsed, after.TotalAlloc-before.TotalAlloc)
	}
	if want := `filter:1:21: in macro m17: condition too large: with macro "m16" expanded here (65536 checks) it holds 131072 checks, more than the 100000 a condition may hold`; err == nil || err.(Errors).Format("filter") != want+"\n 1 | evt.type = open and m40\n   |                     ^" {
		t.Errorf("got %v", err)
	}
	for name, n := range calls {
		if n != 1 {
			t.Errorf("macro %s looked up %d times", name, n)
		}
	}
	errs, _ := CompileMacro("m17", o)
	if len(errs) != 1 || errs[0].Pos.Column != 8 || !strings.HasPrefix(errs[0].Msg, "condition too large") {
		t.Errorf("m17: %v", errs)
	}
	// Below the bound a shared macro works as an expanded one.
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "b", n: 3}
	o = Options{Fields: reg}
	macroOptions(t, &o, map[string]string{"a": `t.s = a`, "b": `t.s = b`, "ab": `a or b`, "twice": `ab and ab and t.n = 3`})
	p, err := Compile(`twice and not a`, o)
	if err != nil || !p.Match(nil) {
		t.Errorf("twice and not a: %v", err)
	}
}

// TestMacroLoop checks that a macro that ends up naming itself is one
// error, in the macro the loop starts from, naming the chain; the macros
// on the way fail with it.
func TestMacroLoop(t *testing.T) {
	o := Options{}
	macroOptions(t, &o, map[string]string{"a": `evt.type = open or b`, "b": `c`, "c": `proc.name = x and a`, "d": `d`})
	list := func(es Errors) string {
		var parts []string
		for _, e := range es {
			parts = append(parts, e.Error())
		}
		return strings.Join(parts, "; ")
	}
	errs, _ := CompileMacro("a", o)
	if got := list(errs); got != `1:20: macro "a" refers to itself: a -> b -> c -> a` {
		t.Errorf("a: %s", got)
	}
	errs, _ = CompileMacro("c", o)
	if got := list(errs); got != `1:19: in macro a: macro "a" refers to itself: a -> b -> c -> a` {
		t.Errorf("c: %s", got)
	}
	errs, _ = CompileMacro("d", o)
	if got := list(errs); got != `1:1: macro "d" refers to itself: d -> d` {
		t.Errorf("d: %s", got)
	}
	_, err := Compile(`b`, o)
	if err == nil || err.Error() != `1:1: in macro a: macro "a" refers to itself: a -> b -> c -> a` {
		t.Errorf("b: %v", err)
	}
}

// TestListValuesShared checks that a long list named by many checks is
// turned into a set once: 100 checks naming a 150,000-value list cost
// about what one does.
func TestListValuesShared(t *testing.T) {
	big := &ListValues{Name: "big"}
	for i := 0; i < 150000; i++ {
		big.Values = append(big.Values, fmt.Sprintf("item%d", i))
	}
	nested := &ListValues{Name: "nested", Values: []string{"x"}, Lists: []*ListValues{big}}
	var cur *sample
	reg := testRegistry(&cur)
	o := Options{Fields: reg, Cache: NewCache(), List: func(name string) (*ListValues, bool) {
		switch name {
		case "big":
			return big, true
		case "nested":
			return nested, true
		}
		return nil, false
	}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var progs []*Program
	for i := 0; i < 100; i++ {
		p, err := Compile(`t.s in (big) or t.path pmatch (big) or t.m in (nested, y)`, o)
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, p)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("100 compilations allocated %d MB", n>>20)
	}
	for _, c := range []struct {
		s    sample
		want bool
	}{
		{sample{s: "item149999"}, true},
		{sample{path: "item7/sub"}, true},
		{sample{m: []string{"x"}}, true},
		{sample{m: []string{"item3"}}, true},
		{sample{s: "item150000", m: []string{"z"}}, false},
	} {
		cur = &c.s
		if got := progs[99].Match(nil); got != c.want {
			t.Errorf("%+v: got %v", c.s, got)
		}
	}
}

// TestArgumentsWithNoValue checks the arguments libsinsp accepts but that
// give the field no value on any event: Kestrel compiles them and warns.
func TestArgumentsWithNoValue(t *testing.T) {
	p, err := Compile(`evt.arg[99] = x or proc.aname[-2] = y or proc.aname[-1] = z`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `filter:1:9: evt.arg[99] never has a value: no event has a parameter at index 99 (they count from 0, up to 31)

filter:1:31: proc.aname[-2] never has a value: ancestor -2 is no process: 0 is the process itself, 1 its parent`
	var got []string
	for _, w := range p.Warnings() {
		got = append(got, "filter:"+w.Error())
	}
	if strings.Join(got, "\n\n") != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n\n"), want)
	}
}
