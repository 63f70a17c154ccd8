package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiagnostics(t *testing.T) {
	t.Parallel()
	if len(diagCases) < 20 {
		t.Fatalf("only %d cases", len(diagCases))
	}
	for _, c := range diagCases {
		t.Run(c.name, func(t *testing.T) {
			_, ds := LoadBytes("t.yaml", []byte(c.src))
			if got := ds.String(); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// summary prints the resolved spec compactly for comparison.
func summary(s *Spec) string {
	var b strings.Builder
	for _, l := range s.Lists {
		fmt.Fprintf(&b, "list %s: %s\n", l.Name, strings.Join(l.Expanded, " "))
	}
	for _, m := range s.Macros {
		fmt.Fprintf(&b, "macro %s: %s", m.Name, m.Condition.Value)
		if len(m.UsesMacros) > 0 {
			fmt.Fprintf(&b, " [macros %s]", strings.Join(m.UsesMacros, " "))
		}
		b.WriteString("\n")
	}
	for _, r := range s.Rules {
		fmt.Fprintf(&b, "rule %s: %s %s enabled=%v cond=%q out=%q desc=%q tags=%v",
			r.Name, r.Priority, r.Source, r.Enabled, r.Condition.Value, r.Output.Value, r.Desc.Value, r.Tags)
		if r.Capture || r.CaptureDuration != 0 || !r.WarnEvttypes || r.SkipIfUnknownFilter {
			fmt.Fprintf(&b, " capture=%v/%d warn_evttypes=%v skip=%v", r.Capture, r.CaptureDuration, r.WarnEvttypes, r.SkipIfUnknownFilter)
		}
		for _, ex := range r.Exceptions {
			fmt.Fprintf(&b, " ex[%s %v %v", ex.Name, ex.Fields, ex.Comps)
			for _, v := range ex.Values {
				for _, it := range v.Items {
					if it.IsList {
						fmt.Fprintf(&b, " %v", it.List)
					} else {
						fmt.Fprintf(&b, " %s", it.Value)
					}
				}
				b.WriteString(";")
			}
			b.WriteString("]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

const baseRule = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARNING\n  tags: [a, b]\n"

func TestCompose(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"list redefined replaces", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n", "list l: b\n"},
		{"list legacy append", "- list: l\n  items: [a]\n- list: l\n  items: [b, c]\n  append: true\n", "list l: a b c\n"},
		{"list override append", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  override:\n    items: append\n", "list l: a b\n"},
		{"list override replace", "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  override:\n    items: replace\n", "list l: b\n"},
		{"list override replace of undefined defines", "- list: l\n  items: [b]\n  override:\n    items: replace\n", "list l: b\n"},
		{"list in list", "- list: a\n  items: [x, y]\n- list: b\n  items: [a, z]\n", "list a: x y\nlist b: x y z\n"},
		{"list in list defined later stays literal", "- list: b\n  items: [a, z]\n- list: a\n  items: [x]\n", "list b: a z\nlist a: x\n"},
		{"list in list visible after append", "- list: b\n  items: [z]\n- list: a\n  items: [x]\n- list: b\n  items: [a]\n  append: true\n", "list b: z x\nlist a: x\n"},
		{"list in list one level only", "- list: a\n  items: [x]\n- list: b\n  items: [a]\n- list: c\n  items: [b]\n", "list a: x\nlist b: x\nlist c: a\n"},
		{"macro redefined replaces", "- macro: m\n  condition: a\n- macro: m\n  condition: b\n", "macro m: b\n"},
		{"macro legacy append", "- macro: m\n  condition: a\n- macro: m\n  condition: or b\n  append: true\n", "macro m: a or b\n"},
		{"macro override append", "- macro: m\n  condition: a\n- macro: m\n  condition: or b\n  override:\n    condition: append\n", "macro m: a or b\n"},
		{"macro override replace", "- macro: m\n  condition: a\n- macro: m\n  condition: b\n  override:\n    condition: replace\n", "macro m: b\n"},
		{"macro refs only earlier macros", "- macro: a\n  condition: x\n- macro: b\n  condition: a and c\n- macro: c\n  condition: a\n", "macro a: x\nmacro b: a and c [macros a]\nmacro c: a [macros a]\n"},
		{"rule redefined replaces and keeps place", baseRule + "- rule: s\n  desc: d\n  condition: c\n  output: o\n  priority: DEBUG\n- rule: r\n  desc: d2\n  condition: c2\n  output: o2\n  priority: ERROR\n",
			"rule r: Error syscall enabled=true cond=\"c2\" out=\"o2\" desc=\"d2\" tags=[]\nrule s: Debug syscall enabled=true cond=\"c\" out=\"o\" desc=\"d\" tags=[]\n"},
		{"rule legacy append condition", baseRule + "- rule: r\n  condition: and proc.name=x\n  append: true\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open and proc.name=x\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"rule legacy append exception", baseRule + "- rule: r\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [sh]\n  append: true\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b] ex[e [proc.name] [in] sh;]\n"},
		{"rule override condition append", baseRule + "- rule: r\n  condition: and x\n  override:\n    condition: append\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open and x\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"rule override output append", baseRule + "- rule: r\n  output: (more)\n  override:\n    output: append\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o (more)\" desc=\"d\" tags=[a b]\n"},
		{"rule override desc append", baseRule + "- rule: r\n  desc: more\n  override:\n    desc: append\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d more\" tags=[a b]\n"},
		{"rule override tags append dedups", baseRule + "- rule: r\n  tags: [b, c]\n  override:\n    tags: append\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b c]\n"},
		{"rule override tags replace", baseRule + "- rule: r\n  tags: [c]\n  override:\n    tags: replace\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[c]\n"},
		{"rule override priority replace", baseRule + "- rule: r\n  priority: critical\n  override:\n    priority: replace\n",
			"rule r: Critical syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"rule override enabled replace", baseRule + "- rule: r\n  enabled: false\n  override:\n    enabled: replace\n",
			"rule r: Warning syscall enabled=false cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"rule standalone enabled", baseRule + "- rule: r\n  enabled: false\n",
			"rule r: Warning syscall enabled=false cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"rule append and replace in one item", baseRule + "- rule: r\n  condition: and x\n  output: new\n  override:\n    condition: append\n    output: replace\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open and x\" out=\"new\" desc=\"d\" tags=[a b]\n"},
		{"rule replace condition", baseRule + "- rule: r\n  condition: evt.type=close\n  override:\n    condition: replace\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=close\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"rule exception values appended", baseRule + "  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values: [[a, /x]]\n- rule: r\n  exceptions:\n    - name: e\n      values: [[b, [/y, /z]]]\n  override:\n    exceptions: append\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b] ex[e [proc.name fd.name] [= =] a /x; b [/y /z];]\n"},
		{"rule exceptions replaced", baseRule + "  exceptions:\n    - name: e\n      fields: proc.name\n      values: [a]\n- rule: r\n  exceptions:\n    - name: f\n      fields: fd.name\n      comps: pmatch\n      values: [/tmp]\n  override:\n    exceptions: replace\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b] ex[f [fd.name] [pmatch] /tmp;]\n"},
		{"rule flags replaced", baseRule + "- rule: r\n  capture: true\n  capture_duration: 5000\n  warn_evttypes: false\n  skip-if-unknown-filter: true\n  override:\n    capture: replace\n    capture_duration: replace\n    warn_evttypes: replace\n    skip-if-unknown-filter: replace\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b] capture=true/5000 warn_evttypes=false skip=true\n"},
		{"priority spellings", "- rule: a\n  desc: d\n  condition: c\n  output: o\n  priority: informational\n- rule: b\n  desc: d\n  condition: c\n  output: o\n  priority: Info\n- rule: c\n  desc: d\n  condition: c\n  output: o\n  priority: emergency\n  source: k8s_audit\n",
			"rule a: Informational syscall enabled=true cond=\"c\" out=\"o\" desc=\"d\" tags=[]\nrule b: Informational syscall enabled=true cond=\"c\" out=\"o\" desc=\"d\" tags=[]\nrule c: Emergency k8s_audit enabled=true cond=\"c\" out=\"o\" desc=\"d\" tags=[]\n"},
		{"documents in one file", baseRule + "---\n- rule: r\n  condition: and y\n  override:\n    condition: append\n",
			"rule r: Warning syscall enabled=true cond=\"evt.type=open and y\" out=\"o\" desc=\"d\" tags=[a b]\n"},
		{"output trimmed", "- rule: r\n  desc: d\n  condition: c\n  output: >\n    a b\n  priority: DEBUG\n",
			"rule r: Debug syscall enabled=true cond=\"c\" out=\"a b\" desc=\"d\" tags=[]\n"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, ds := LoadBytes("t.yaml", []byte(c.src))
			if ds.HasErrors() {
				t.Fatalf("errors:\n%s", ds)
			}
			if got := summary(s); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

const upstream = "../../shared/testdata/rules/upstream/"

// TestUpstream loads the falcosecurity/rules files alone and together. The
// counts were taken independently with Python's yaml module (distinct
// names per kind, last definition wins; enabled defaults to true):
//
//	falco_rules.yaml             25 rules (25 enabled)  87 macros  49 lists
//	falco-incubating_rules.yaml  31 rules (31 enabled)  82 macros  54 lists
//	falco-sandbox_rules.yaml     37 rules (25 enabled) 183 macros  60 lists
//	falco_rules + incubating     56 rules (56 enabled) 157 macros  83 lists
//	all three                    93 rules (81 enabled) 315 macros 118 lists
//
// Each file defines every macro and list its conditions mention, so each
// loads alone; none appends to another file's items.
func TestUpstream(t *testing.T) {
	t.Parallel()
	const (
		stable     = upstream + "falco_rules.yaml"
		incubating = upstream + "falco-incubating_rules.yaml"
		sandbox    = upstream + "falco-sandbox_rules.yaml"
	)
	if _, err := os.Stat(stable); err != nil {
		t.Skip("upstream rules not present:", err)
	}
	cases := []struct {
		paths                         []string
		rules, enabled, macros, lists int
	}{
		{[]string{stable}, 25, 25, 87, 49},
		{[]string{incubating}, 31, 31, 82, 54},
		{[]string{sandbox}, 37, 25, 183, 60},
		{[]string{stable, incubating}, 56, 56, 157, 83},
		{[]string{stable, incubating, sandbox}, 93, 81, 315, 118},
		{[]string{upstream}, 93, 81, 315, 118},
	}
	for _, c := range cases {
		s, ds := Load(c.paths...)
		if len(ds) != 0 {
			t.Errorf("%v: diagnostics:\n%s", c.paths, ds)
		}
		enabled := 0
		for _, r := range s.Rules {
			if r.Enabled {
				enabled++
			}
			if !r.Pos.IsValid() || !r.Condition.Pos().IsValid() {
				t.Errorf("rule %q not located", r.Name)
			}
		}
		if len(s.Rules) != c.rules || enabled != c.enabled || len(s.Macros) != c.macros || len(s.Lists) != c.lists {
			t.Errorf("%v: got %d rules (%d enabled), %d macros, %d lists; want %d (%d), %d, %d",
				c.paths, len(s.Rules), enabled, len(s.Macros), len(s.Lists), c.rules, c.enabled, c.macros, c.lists)
		}
		if s.RequiredEngineVersion == nil || s.RequiredEngineVersion.Version != "0.57.0" {
			t.Errorf("%v: required engine version %+v", c.paths, s.RequiredEngineVersion)
		}
	}
	s, _ := Load(stable)
	r := s.Rule("Read sensitive file untrusted")
	if r == nil {
		t.Fatal("rule missing")
	}
	if r.Priority != PriorityWarning || r.Source != SyscallSource || !contains(r.UsesMacros, "open_read") || !contains(r.UsesLists, "shell_binaries") {
		t.Errorf("rule: %v %v %v %v", r.Priority, r.Source, r.UsesMacros, r.UsesLists)
	}
	l := s.List("package_mgmt_binaries")
	if l == nil || !contains(l.UsesLists, "rpm_binaries") || contains(l.Expanded, "rpm_binaries") || !contains(l.Expanded, "rpm") {
		t.Errorf("list expansion: %+v", l)
	}
}

func TestLoadDirOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yml", "- list: l\n  items: [b]\n  override:\n    items: append\n")
	write("a.yaml", "- list: l\n  items: [a]\n- macro: m\n  condition: x in (l)\n- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n")
	write("c.txt", "not rules")
	s, ds := Load(dir)
	if len(ds) != 0 {
		t.Fatalf("diagnostics:\n%s", ds)
	}
	if got := strings.Join(s.List("l").Expanded, " "); got != "a b" {
		t.Errorf("items %q", got)
	}
	if got := s.List("l").Updates[0]; got != (Pos{File: filepath.Join(dir, "b.yml"), Line: 1, Column: 3}) {
		t.Errorf("update pos %v", got)
	}
	_, ds = Load(filepath.Join(dir, "missing.yaml"))
	if got, want := ds.String(), filepath.Join(dir, "missing.yaml")+": error: stat: no such file or directory"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if err := ds.Err(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Err() = %v", err)
	}
}

func TestConditionPos(t *testing.T) {
	t.Parallel()
	src := "- macro: plain\n  condition: evt.type = open and proc.name = sh\n" +
		"- macro: folded\n  condition: >\n    evt.type = open\n    and proc.name = sh\n" +
		"- macro: literal\n  condition: |\n    evt.type = open\n      and proc.name = sh\n" +
		"- macro: quoted\n  condition: \"evt.type = open and\n    proc.name = \\\"sh\\\"\"\n" +
		"- rule: r\n  desc: d\n  condition: plain and folded and literal and quoted\n  output: o\n  priority: INFO\n" +
		"- macro: plain\n  condition: or proc.pid = 1\n  override:\n    condition: append\n"
	s, ds := LoadBytes("c.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	cases := []struct {
		macro, at string
		line, col int
		block     bool
	}{
		{"plain", "evt.type", 2, 14, false},
		{"plain", "proc.name", 2, 34, false},
		{"plain", "proc.pid", 20, 17, false},
		{"folded", "evt.type", 5, 5, true},
		{"folded", "proc.name", 6, 9, true},
		{"literal", "proc.name", 10, 11, true},
		{"quoted", "evt.type", 12, 15, false},
		{"quoted", "proc.name", 13, 5, false},
		{"quoted", "sh", 13, 19, false},
	}
	for _, c := range cases {
		m := s.Macro(c.macro)
		off := strings.Index(m.Condition.Value, c.at)
		got := m.Condition.PosAt(off)
		want := Pos{File: "c.yaml", Line: c.line, Column: c.col}
		if got != want || m.Condition.Block() != c.block {
			t.Errorf("%s %q: got %v block=%v, want %v block=%v", c.macro, c.at, got, m.Condition.Block(), want, c.block)
		}
	}
}

func TestExceptionForms(t *testing.T) {
	t.Parallel()
	src := baseRule + `  exceptions:
    - name: single
      fields: proc.name
      values: [sh, bash]
    - name: single_startswith
      fields: fd.name
      comps: startswith oneof
      values: [/tmp]
    - name: tuple
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [sh, /etc]
    - name: tuple_list
      fields: [proc.name, fd.directory]
      comps: [in, in]
      values:
        - [[sh, bash], [/etc, /usr]]
    - name: no_values
      fields: [proc.pname]
`
	s, ds := LoadBytes("t.yaml", []byte(src))
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	got := summary(s)
	want := "rule r: Warning syscall enabled=true cond=\"evt.type=open\" out=\"o\" desc=\"d\" tags=[a b]" +
		" ex[single [proc.name] [in] sh; bash;]" +
		" ex[single_startswith [fd.name] [startswith oneof] /tmp;]" +
		" ex[tuple [proc.name fd.name] [= startswith] sh /etc;]" +
		" ex[tuple_list [proc.name fd.directory] [in in] [sh bash] [/etc /usr];]" +
		" ex[no_values [proc.pname] [=]]\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	ex := s.Rule("r").Exceptions[0]
	if !ex.Single || ex.Pos != (Pos{File: "t.yaml", Line: 8, Column: 7}) || ex.Values[1].Pos != (Pos{File: "t.yaml", Line: 10, Column: 20}) {
		t.Errorf("single form: %+v", ex)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(baseRule))
	for _, c := range diagCases {
		f.Add([]byte(c.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, ds := LoadBytes("f.yaml", src)
		_ = ds.String()
		for _, r := range s.Rules {
			n := len(r.Condition.Value)
			for _, i := range []int{0, n / 3, n / 2, n} {
				if p := r.Condition.PosAt(i); p.File != "f.yaml" {
					t.Fatalf("PosAt(%d) = %v", i, p)
				}
			}
		}
	})
}

// TestEngineVersion checks Kestrel's engine version, Falco 0.44's, and
// that required_engine_version is compared by its numbers in both forms.
func TestEngineVersion(t *testing.T) {
	if EngineVersion != "0.62.0" {
		t.Errorf("EngineVersion %s, want 0.62.0 (Falco 0.44)", EngineVersion)
	}
	for _, c := range []struct{ versions, want string }{
		{"0.62.0", "0.62.0"},
		{"0.60.0 62", "0.62.0"},
		{"0.9.0 0.10.0", "0.10.0"},
		{"0.10.0 9", "0.10.0"},
		{"0.62.0-rc1", "0.62.0"},
		{"0.26.0.1 11", "0.26.0"},
	} {
		var src strings.Builder
		for _, v := range strings.Fields(c.versions) {
			src.WriteString("- required_engine_version: " + v + "\n")
		}
		s, ds := LoadBytes("v.yaml", []byte(src.String()))
		if len(ds) > 0 {
			t.Errorf("%s: %s", c.versions, ds)
			continue
		}
		if s.RequiredEngineVersion == nil || s.RequiredEngineVersion.Version != c.want {
			t.Errorf("%s: required %+v, want %s", c.versions, s.RequiredEngineVersion, c.want)
		}
	}
}
