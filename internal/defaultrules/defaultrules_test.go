package defaultrules

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/prefilter"
	"github.com/kestrel-sec/kestrel/rules"
)

func load(t *testing.T) (*rules.Spec, *engine.Engine) {
	t.Helper()
	spec, ds := rules.LoadBytes(Name, YAML())
	eng, cds := engine.Compile(spec, engine.DefaultOptions())
	if ds = append(ds, cds...); len(ds) > 0 {
		t.Fatalf("default rules:\n%s", ds.String())
	}
	return spec, eng
}

// TestRulesComplete checks what every default rule must carry: a
// description, a priority, MITRE tactic and technique tags with known
// techniques, and an output with the fields an operator acts on.
func TestRulesComplete(t *testing.T) {
	spec, eng := load(t)
	if n := len(eng.Selected()); n < 40 {
		t.Errorf("%d rules selected, want every default rule (at least 40)", n)
	}
	for _, r := range spec.Rules {
		if len(strings.Fields(r.Desc.Value)) < 12 {
			t.Errorf("%s: description too short: %q", r.Name, r.Desc.Value)
		}
		hasTactic := false
		for _, tag := range r.Tags {
			hasTactic = hasTactic || strings.HasPrefix(tag, "mitre_")
		}
		ids := TechniqueIDs(r.Tags)
		if !hasTactic || len(ids) == 0 {
			t.Errorf("%s: tags %v lack a mitre_ tactic or a technique id", r.Name, r.Tags)
		}
		for _, id := range ids {
			if Techniques[id] == "" {
				t.Errorf("%s: technique %s has no name in Techniques", r.Name, id)
			}
		}
		for _, f := range []string{"%user.name", "%user.loginuid", "%proc.cmdline", "%proc.exepath", "%proc.pname",
			"%proc.aname[2]", "%container.id", "%container.image", "%k8s.pod.name", "%k8s.ns.name"} {
			if !strings.Contains(r.Output.Value, f) {
				t.Errorf("%s: output lacks %s", r.Name, f)
			}
		}
		if len(r.Exceptions) == 0 {
			t.Errorf("%s: no exceptions to tune it with", r.Name)
		}
	}
}

type testFile struct {
	Cases []struct {
		Name string
		Rule string
		Kind string
	}
}

// TestEveryRuleHasCases checks that the test file has, for every rule, a
// case that raises it and a benign look-alike, and names only real rules.
func TestEveryRuleHasCases(t *testing.T) {
	spec, _ := load(t)
	src, err := os.ReadFile("kestrel_rules.tests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tf testFile
	if err := yamlv3.Unmarshal(src, &tf); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]map[string]int{}
	for _, c := range tf.Cases {
		if spec.Rule(c.Rule) == nil {
			t.Errorf("case %q: no rule %q", c.Name, c.Rule)
		}
		if kinds[c.Rule] == nil {
			kinds[c.Rule] = map[string]int{}
		}
		kinds[c.Rule][c.Kind]++
	}
	for _, r := range spec.Rules {
		if kinds[r.Name]["trigger"] == 0 || kinds[r.Name]["benign"] == 0 {
			t.Errorf("%s: %d trigger and %d benign cases, want one of each", r.Name,
				kinds[r.Name]["trigger"], kinds[r.Name]["benign"])
		}
	}
}

// sends reports whether the kernel pre-filter sends a succeeded open of
// a regular file at p.
func sends(f *driver.OpenFilter, p string, write bool) bool {
	in := func(s driver.PathSet) bool {
		for _, pre := range s.Prefixes {
			if strings.HasPrefix(p, pre) {
				return true
			}
		}
		for _, n := range s.Names {
			if path.Base(p) == n {
				return true
			}
		}
		return false
	}
	return in(f.Any) || (write && (f.WriteAll || in(f.Write)))
}

// TestKernelPrefilter checks that the default rules let the kernel drop
// the opens of file-heavy work: no rule keeps the filter off, and the
// reads and writes of builds, tests and archives are not sent, while the
// opens the rules watch are.
func TestKernelPrefilter(t *testing.T) {
	_, eng := load(t)
	pf, rep := prefilter.Derive(eng, prefilter.Options{})
	if pf.Open == nil {
		t.Fatalf("no open filter:\n%s", rep.String())
	}
	if pf.Open.WriteAll {
		t.Errorf("every open for writing is sent:\n%s", rep.String())
	}
	for _, c := range []struct {
		path  string
		write bool
	}{
		{"/usr/include/stdio.h", false},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", false},
		{"/usr/lib/go-1.19/src/fmt/print.go", false},
		{"/home/dev/src/kestrel/main.go", false},
		{"/home/dev/src/kestrel/main.o", true},
		{"/tmp/go-build123/b001/_pkg_.a", true},
		{"/tmp/TestX123/001/out.txt", true},
		{"/var/lib/dpkg/info/libc6.list", false},
		{"/etc/ld.so.cache", false},
		{"/etc/nsswitch.conf", false},
		{"/proc/self/status", false},
		{"/home/dev/.cache/go-build/ab/abcdef-d", true},
		{"/home/dev/src/project/.git/objects/ab/cdef", true},
	} {
		if sends(pf.Open, c.path, c.write) {
			t.Errorf("the kernel sends the open of %s (write %v):\n%s", c.path, c.write, rep.String())
		}
	}
	for _, c := range []struct {
		path  string
		write bool
	}{
		{"/etc/shadow", false},
		{"/home/dev/.ssh/id_rsa", false},
		{"/etc/sudoers.d/90-cloud", false},
		{"/etc/cron.d/job", true},
		{"/usr/bin/ls", true},
		{"/home/dev/.bashrc", true},
		{"/root/.ssh/authorized_keys", true},
		{"/sys/fs/cgroup/x/release_agent", true},
	} {
		if !sends(pf.Open, c.path, c.write) {
			t.Errorf("the kernel drops the open of %s (write %v), which a rule watches", c.path, c.write)
		}
	}
}

// TestRulesDoc checks that docs/rules.md is the page the rules give;
// KESTREL_UPDATE_DOCS=1 rewrites it.
func TestRulesDoc(t *testing.T) {
	want, err := Markdown()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("..", "..", "docs", "rules.md")
	if os.Getenv("KESTREL_UPDATE_DOCS") != "" {
		if err := os.WriteFile(p, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run KESTREL_UPDATE_DOCS=1 go test ./internal/defaultrules", p)
	}
	spec, _ := load(t)
	for _, r := range spec.Rules {
		if !bytes.Contains(got, []byte("\n### "+r.Name+"\n")) {
			t.Errorf("%s: rule %q not documented", p, r.Name)
		}
	}
}
