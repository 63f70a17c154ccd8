package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/defaultrules"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/rules"
)

func upstream(t testing.TB, names ...string) []string {
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(dir, n)
	}
	return out
}

func compileFiles(t testing.TB, o Options, paths ...string) (*Engine, rules.Diagnostics) {
	spec, ds := rules.Load(paths...)
	eng, cds := Compile(spec, o)
	return eng, append(ds, cds...)
}

// TestUpstreamCompiles compiles the three upstream files together, and
// falco_rules.yaml alone (the other two use its macros and lists), with no
// error and no warning, every one of the 93 rules.
func TestUpstreamCompiles(t *testing.T) {
	all := upstream(t, "falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml")
	eng, ds := compileFiles(t, DefaultOptions(), all...)
	if len(ds) > 0 {
		t.Fatalf("%d diagnostics:\n%s", len(ds), ds.String())
	}
	if n := len(eng.Rules()); n != 93 {
		t.Errorf("compiled %d rules, want 93", n)
	}
	o := DefaultOptions()
	o.EnableAll = true
	eng, _ = compileFiles(t, o, all...)
	if n := len(eng.Selected()); n != 93 {
		t.Errorf("EnableAll selects %d rules, want 93", n)
	}
	for _, r := range eng.Rules() {
		if r.Program.EventTypes().All() && r.Spec.WarnEvttypes {
			t.Errorf("rule %q has no event type restriction", r.Spec.Name)
		}
	}
	_, ds = compileFiles(t, DefaultOptions(), all[0])
	if ds.HasErrors() {
		t.Errorf("falco_rules.yaml alone:\n%s", ds.String())
	}
}

// TestDefaultRules loads and compiles the embedded default rules.
func TestDefaultRules(t *testing.T) {
	spec, ds := rules.LoadBytes(defaultrules.Name, defaultrules.YAML())
	eng, cds := Compile(spec, DefaultOptions())
	if ds = append(ds, cds...); len(ds) > 0 {
		t.Fatalf("default rules:\n%s", ds.String())
	}
	if n := len(eng.Selected()); n < 40 || n > 80 {
		t.Errorf("%d default rules, want 40 to 80", n)
	}
}

// TestErrorTexts checks the exact diagnostics for broken files.
func TestErrorTexts(t *testing.T) {
	cases := map[string]string{
		"unknown_macro": `testdata/unknown_macro.yaml:6:28: error: rule "Uses a missing macro": undefined macro "trusted_proc"
 6 |   condition: opens and not trusted_proc
   |                            ^`,
		"type_error": `testdata/type_error.yaml:4:14: error: macro "big_fd": expected a number after ">", found "lots"
 4 |     fd.num > lots
   |              ^

testdata/type_error.yaml:14:45: error: rule "Type error in condition": expected a number for proc.pid, found "init"
 14 |   condition: evt.type = open and proc.pid = init
    |                                             ^`,
		"unknown_output_field": `testdata/unknown_output_field.yaml:4:29: error: rule "Bad output": output: unknown field "proc.nmae"
 4 |   output: "file %fd.name by %proc.nmae"
   |                             ^

testdata/unknown_output_field.yaml:10:29: warning: rule "Skipped output": output: unknown field "proc.nmae"
 10 |   output: "file %fd.name by %proc.nmae"
    |                             ^`,
		"override_missing": `testdata/override_missing.yaml:1:3: error: rule "Not defined anywhere": cannot append to an undefined rule; define the rule first
 1 | - rule: Not defined anywhere
   |   ^`,
		"exception_field": `testdata/exception_field.yaml:8:16: error: rule "Bad exception field": exception "by_proc": unknown field "proc.nmae"
 8 |       fields: [proc.nmae]
   |                ^`,
	}
	for name, want := range cases {
		_, ds := compileFiles(t, DefaultOptions(), "testdata/"+name+".yaml")
		if got := ds.String(); got != want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

// TestExceptionClauses checks the conditions built from exceptions against
// the construction Falco documents and implements: the rule's condition in
// parentheses, then " and not " and one clause per exception.
func TestExceptionClauses(t *testing.T) {
	src := `
- list: editors
  items: [vi, nano]
- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: tuple
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [cat, /etc/my app]
        - [less, /tmp]
    - name: lists
      fields: [proc.name, fd.directory]
      comps: [in, in]
      values:
        - [editors, [/etc, /usr/lib]]
    - name: single
      fields: proc.pname
      values: [bash, my shell]
    - name: empty
      fields: [proc.name]
`
	spec, ds := rules.LoadBytes("x.yaml", []byte(src))
	eng, cds := Compile(spec, DefaultOptions())
	if ds = append(ds, cds...); ds.HasErrors() {
		t.Fatal(ds.String())
	}
	// Falco writes " and " then " field", hence the double blank.
	want := `(evt.type = open)` +
		` and not (( proc.name = cat and  fd.name startswith "/etc/my app") or ( proc.name = less and  fd.name startswith /tmp))` +
		` and not (( proc.name in (editors) and  fd.directory in (/etc, /usr/lib)))` +
		` and not (proc.pname in (bash, "my shell"))`
	if got := eng.Rules()[0].Condition; got != want {
		t.Errorf("condition:\n got %s\nwant %s", got, want)
	}
}

// TestSelection checks Falco's -D, -T, -t and priority semantics.
func TestSelection(t *testing.T) {
	r := func(name string, p rules.Priority, enabled bool, tags ...string) *rules.Rule {
		return &rules.Rule{Name: name, Priority: p, Enabled: enabled, Tags: tags}
	}
	a := r("Write below etc", rules.PriorityError, true, "filesystem")
	b := r("Read sensitive file", rules.PriorityWarning, true, "filesystem", "credentials")
	c := r("Launch shell", rules.PriorityNotice, false, "shell")
	cases := []struct {
		name string
		o    Options
		want [3]bool
	}{
		{"defaults", DefaultOptions(), [3]bool{true, true, false}},
		{"-D substring", Options{MinPriority: rules.PriorityDebug, Disable: []string{"below"}}, [3]bool{false, true, false}},
		{"-D wildcard", Options{MinPriority: rules.PriorityDebug, Disable: []string{"*file"}}, [3]bool{true, false, false}},
		{"-D wildcard whole name", Options{MinPriority: rules.PriorityDebug, Disable: []string{"Write*"}}, [3]bool{false, true, false}},
		{"-T", Options{MinPriority: rules.PriorityDebug, DisableTags: []string{"credentials"}}, [3]bool{true, false, false}},
		{"-t enables disabled rules too", Options{MinPriority: rules.PriorityDebug, EnableTags: []string{"shell"}}, [3]bool{false, false, true}},
		{"priority", Options{MinPriority: rules.PriorityWarning}, [3]bool{true, true, false}},
		{"priority error", Options{MinPriority: rules.PriorityError}, [3]bool{true, false, false}},
		{"rules list: disable all, enable by tag", Options{MinPriority: rules.PriorityDebug, Select: []Selection{
			{Rule: "*"}, {Enable: true, Tag: "credentials"}}}, [3]bool{false, true, false}},
		{"rules list: later entries win", Options{MinPriority: rules.PriorityDebug, Select: []Selection{
			{Enable: true, Rule: "Launch*"}, {Tag: "shell"}, {Enable: true, Rule: "Launch shell"}}}, [3]bool{true, true, true}},
		{"rules list: whole names", Options{MinPriority: rules.PriorityDebug, Select: []Selection{{Rule: "Write"}}}, [3]bool{true, true, false}},
		{"rules list, then -D", Options{MinPriority: rules.PriorityDebug, Select: []Selection{{Enable: true, Rule: "Launch shell"}},
			Disable: []string{"shell"}}, [3]bool{true, true, false}},
	}
	for _, tc := range cases {
		got := [3]bool{tc.o.selected(a), tc.o.selected(b), tc.o.selected(c)}
		if got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	o := Options{Disable: []string{"x"}, EnableTags: []string{"y"}}
	if o.Check() == nil {
		t.Error("-D with -t accepted")
	}
}

// TestIgnoredEvents checks the events skipped without -A: the I/O
// syscalls that do not change the host model.
func TestIgnoredEvents(t *testing.T) {
	got := strings.Join(IgnoredNames(), " ")
	want := "read write send recv pread pwrite readv writev preadv pwritev sendfile"
	if got != want {
		t.Errorf("ignored events %q, want %q", got, want)
	}
}
