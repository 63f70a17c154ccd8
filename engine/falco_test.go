package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
)

// fakeName is the value the test registry's proc.name has.
var fakeName string

// testFields is a registry where proc.name is fakeName, for judging
// conditions without events.
func testFields(t *testing.T) *field.Registry {
	t.Helper()
	text := func(name string, v func() string) field.Def {
		return field.Def{Name: name, Type: event.PTCharBuf, Desc: "test",
			Text: func(d []byte, _ *field.Context, _ *field.Arg) ([]byte, bool) { return append(d, v()...), true }}
	}
	reg, err := field.NewRegistry([]field.Def{
		text("evt.time", func() string { return "00:00:00" }),
		text("proc.name", func() string { return fakeName }),
		text("fd.name", func() string { return "/tmp/x" }),
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// compileSrc loads and compiles one rules file held in memory.
func compileSrc(t *testing.T, reg *field.Registry, src string) (*Engine, rules.Diagnostics) {
	t.Helper()
	spec, ds := rules.LoadBytes("t.yaml", []byte(src))
	o := DefaultOptions()
	o.Fields = reg
	eng, cds := Compile(spec, o)
	return eng, append(ds, cds...)
}

// rule writes a rule with the given condition, no event type warning.
func rule(name, cond string) string {
	return fmt.Sprintf("- rule: %s\n  desc: d\n  condition: %s\n  output: o\n  priority: INFO\n  warn_evttypes: false\n", name, cond)
}

// matching returns the names of the rules that match with proc.name = name.
func matching(eng *Engine, name string) string {
	fakeName = name
	var out []string
	for _, r := range eng.Rules() {
		if r.Program.Match(nil) {
			out = append(out, r.Spec.Name)
		}
	}
	return strings.Join(out, " ")
}

const testLists = `
- list: one
  items: [cat]
- list: two
  items: [a, b]
- list: empty
  items: []
- list: spaced
  items: [my app]
- list: first
  items: [second, f]
- list: second
  items: [s]
- list: la
  items: [x]
- list: lb
  items: [la]
- list: lc
  items: [lb]
- list: named
  items: [is_cat]
- macro: is_cat
  condition: proc.name = cat
`

// TestListsAsText checks that lists stand where Falco pastes them as
// text: after = a one-item list is its item; inside parentheses a list
// splices in, later lists substituting in turn; inside quotes between
// blanks too; alone, a list's item is a condition.
func TestListsAsText(t *testing.T) {
	reg := testFields(t)
	src := testLists +
		rule("eq", "proc.name = one") +
		rule("eq_tight", "proc.name=one") +
		rule("in_bare", "proc.name in one") +
		rule("in_list", "proc.name in (two, c)") +
		rule("in_empty", "proc.name in (empty)") +
		rule("spaced", "proc.name = spaced") +
		rule("later", "proc.name in (first)") +
		rule("one_level", "proc.name in (lc)") +
		rule("quoted", `proc.name = "x one y"`) +
		rule("quoted_not", `proc.name in ("one")`) +
		rule("alone", "named") +
		"- rule: excepted\n  desc: d\n  condition: proc.name in (two, cat)\n  output: o\n  priority: INFO\n  warn_evttypes: false\n" +
		"  exceptions:\n    - name: e\n      fields: [proc.name]\n      comps: [=]\n      values: [[one]]\n"
	eng, ds := compileSrc(t, reg, src)
	if ds.HasErrors() {
		t.Fatal(ds.String())
	}
	for name, want := range map[string]string{
		"cat":     "eq eq_tight in_bare alone",
		"a":       "in_list excepted",
		"c":       "in_list",
		"my app":  "spaced",
		"s":       "later",
		"f":       "later",
		"second":  "",
		"la":      "one_level",
		"lb":      "",
		"x":       "",
		"x cat y": "quoted",
		"one":     "quoted_not",
	} {
		if got := matching(eng, name); got != want {
			t.Errorf("proc.name = %q: rules %q match, want %q", name, got, want)
		}
	}
}

// TestListErrors checks the lists Falco's pasted text would not parse
// with, reported at the list's name.
func TestListErrors(t *testing.T) {
	reg := testFields(t)
	_, ds := compileSrc(t, reg, testLists+rule("r", "proc.name = two or proc.name in two or proc.name=empty or two"))
	want := `t.yaml:26:26: error: rule "r": list "two" has 2 items, which Falco pastes here as text, but = compares with one value: write in (two) to test each item
 26 |   condition: proc.name = two or proc.name in two or proc.name=empty or two
    |                          ^

t.yaml:26:46: error: rule "r": list "two" has 2 items, which Falco pastes here as text, without the parentheses in needs: write in (two)
 26 |   condition: proc.name = two or proc.name in two or proc.name=empty or two
    |                                              ^

t.yaml:26:63: error: rule "r": list "empty" is empty, which Falco pastes here as text, but = compares with one value: write in (empty) to test each item
 26 |   condition: proc.name = two or proc.name in two or proc.name=empty or two
    |                                                               ^

t.yaml:26:72: error: rule "r": list "two" has 2 items, which Falco pastes here as text in place of a condition, where it does not parse
 26 |   condition: proc.name = two or proc.name in two or proc.name=empty or two
    |                                                                        ^`
	if got := errorsOnly(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func errorsOnly(ds rules.Diagnostics) string { return rules.Diagnostics(ds.Errors()).String() }

// TestMacroLoops checks that a macro that ends up naming itself is an
// error naming the chain, whether the loop is there from the start or is
// made later by an append, an override or a redefinition, and whether a
// rule uses the macro or not.
func TestMacroLoops(t *testing.T) {
	reg := testFields(t)
	cases := []struct{ name, src, want string }{
		{"self", "- macro: m\n  condition: proc.name = a or m\n" + rule("r", "m"),
			`t.yaml:2:31: error: macro "m": macro "m" refers to itself: m -> m
 2 |   condition: proc.name = a or m
   |                               ^`},
		{"append", "- macro: a\n  condition: proc.name = x\n- macro: b\n  condition: a\n- macro: a\n  condition: or b\n  override:\n    condition: append\n" + rule("r", "b"),
			`t.yaml:6:17: error: macro "a": macro "a" refers to itself: a -> b -> a
 6 |   condition: or b
   |                 ^`},
		{"legacy append to itself", "- macro: a\n  condition: proc.name = x\n- macro: a\n  condition: or a\n  append: true\n" + rule("r", "a"),
			`t.yaml:4:17: error: macro "a": macro "a" refers to itself: a -> a
 4 |   condition: or a
   |                 ^`},
		{"redefinition", "- macro: a\n  condition: proc.name = x\n- macro: b\n  condition: a\n- macro: c\n  condition: b\n- macro: a\n  condition: c\n" + rule("r", "proc.name = y"),
			`t.yaml:8:14: error: macro "a": macro "a" refers to itself: a -> c -> b -> a
 8 |   condition: c
   |              ^`},
	}
	for _, c := range cases {
		_, ds := compileSrc(t, reg, c.src)
		if got := errorsOnly(ds); got != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.name, got, c.want)
		}
	}
}

// TestExceptionFieldWithoutValues checks that an exception's field must
// exist even before the exception has values, and that the error points
// at the field.
func TestExceptionFieldWithoutValues(t *testing.T) {
	src := "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n  exceptions:\n" +
		"    - name: none_yet\n      fields: [proc.name, proc.nmae]\n    - name: single\n      fields: fd.nmae\n"
	_, ds := compileSrc(t, nil, src)
	want := `t.yaml:8:27: error: rule "r": exception "none_yet": unknown field "proc.nmae"
 8 |       fields: [proc.name, proc.nmae]
   |                           ^

t.yaml:10:15: error: rule "r": exception "single": unknown field "fd.nmae"
 10 |       fields: fd.nmae
    |               ^`
	if got := ds.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestContainerInfo checks Falco's %container.info: it stands for
// nothing (Falco 0.41 and later), with a warning, and older rules files
// that use it load.
func TestContainerInfo(t *testing.T) {
	src := "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: opened %fd.name (%container.info user=%user.name)\n  priority: INFO\n"
	eng, ds := compileSrc(t, nil, src)
	want := `t.yaml:4:28: warning: rule "r": output: %container.info is deprecated and stands for nothing, as in Falco 0.41 and later; write %container.id and %container.name instead
 4 |   output: opened %fd.name (%container.info user=%user.name)
   |                            ^`
	if got := ds.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if len(eng.Rules()) != 1 {
		t.Fatal("rule not compiled")
	}
	if got := outputText(eng.Rules()[0].Spec, DefaultOptions()); got != "*%evt.time: Informational opened %fd.name ( user=%user.name)" {
		t.Errorf("output %q", got)
	}
	_, ds = compileSrc(t, nil, strings.Replace(src, "%container.info user", "%container.info %proc.nmae user", 1))
	if got := errorsOnly(ds); !strings.HasPrefix(got, `t.yaml:4:44: error: rule "r": output: unknown field "proc.nmae"`) {
		t.Errorf("error after the placeholder: %s", got)
	}
}

// TestUnknownEventTypeRule checks that an unknown event type is an error,
// and a warning that skips the rule with skip-if-unknown-filter, as in
// Falco.
func TestUnknownEventTypeRule(t *testing.T) {
	src := "- rule: r\n  desc: d\n  condition: evt.type in (open, opne)\n  output: o\n  priority: INFO\n"
	_, ds := compileSrc(t, nil, src)
	want := `t.yaml:3:33: error: rule "r": unknown event type "opne"
 3 |   condition: evt.type in (open, opne)
   |                                 ^`
	if got := ds.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	eng, ds := compileSrc(t, nil, src+"  skip-if-unknown-filter: true\n")
	if ds.HasErrors() || len(ds) != 1 || len(eng.Rules()) != 0 {
		t.Errorf("with skip-if-unknown-filter: %d rules, %s", len(eng.Rules()), ds)
	}
}

// bounded compiles src and fails when it takes more time or allocates
// more memory than given.
func bounded(t *testing.T, name, src string, maxTime time.Duration, maxAlloc uint64) rules.Diagnostics {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, ds := compileSrc(t, nil, src)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; elapsed > maxTime || alloc > maxAlloc {
		t.Errorf("%s: %v and %d MB, want at most %v and %d MB", name, elapsed, alloc>>20, maxTime, maxAlloc>>20)
	}
	return ds
}

// TestBoundedWork checks that compiling any rules file costs time and
// memory in proportion to the file: nested macros are compiled once each
// (and a condition too large once expanded is an error at the macro that
// makes it so), and a long list named many times is read and turned into
// a set once.
func TestBoundedWork(t *testing.T) {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: proc.name = a\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d or m%d\n", i, i-1, i-1)
	}
	b.WriteString("- rule: r\n  desc: d\n  condition: evt.type = open and m40\n  output: o\n  priority: INFO\n")
	if len(b.String()) > 2048 {
		t.Fatalf("the macros file is %d bytes", len(b.String()))
	}
	ds := bounded(t, "40 nested macros", b.String(), 5*time.Second, 32<<20)
	want := `t.yaml:36:21: error: macro "m17": condition too large: with macro "m16" expanded here (65536 checks) it holds 131072 checks, more than the 100000 a condition may hold
 36 |   condition: m16 or m16
    |                     ^`
	if got := ds.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	items := make([]string, 150000)
	for i := range items {
		items[i] = fmt.Sprintf("item%d", i)
	}
	list := strings.Join(items, ", ")
	b.Reset()
	fmt.Fprintf(&b, "- list: big\n  items: [%s]\n", list)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "- rule: r%d\n  desc: d\n  condition: evt.type = open and proc.name in (big)\n  output: o\n  priority: INFO\n", i)
	}
	if ds := bounded(t, "a 150,000-item list named by 100 rules", b.String(), 10*time.Second, 256<<20); len(ds) > 0 {
		t.Error(ds.String())
	}
	b.Reset()
	fmt.Fprintf(&b, "- list: big\n  items: &big [%s]\n", list)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "- list: l%d\n  items: *big\n- rule: r%d\n  desc: d\n  condition: evt.type = open and proc.name in (l%d, big)\n  output: o\n  priority: INFO\n", i, i, i)
	}
	if ds := bounded(t, "100 aliases of a 150,000-item list", b.String(), 10*time.Second, 256<<20); len(ds) > 0 {
		t.Error(ds.String())
	}
}

// TestWarningsInMacros checks that what compiling a macro finds
// suspicious is reported once, at the macro, however many rules use it.
func TestWarningsInMacros(t *testing.T) {
	reg := testFields(t)
	src := "- macro: odd\n  condition: fd.name glob \"[a-\"\n" + rule("r1", "odd") + rule("r2", "odd or proc.name = x")
	_, ds := compileSrc(t, reg, src)
	want := `t.yaml:2:27: warning: macro "odd": glob pattern "[a-" is malformed and never matches, as in Falco: the range "[a-" has no end
 2 |   condition: fd.name glob "[a-"
   |                           ^`
	if got := ds.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
