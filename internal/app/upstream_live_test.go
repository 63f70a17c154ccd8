package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/rules"
)

// upstreamTests is the test file of the upstream stable rules; its
// rules_files names the shared copy of falco_rules.yaml beside the
// checkout by a relative path.
var upstreamTests = filepath.Join("testdata", "upstream", "falco_rules.tests.yaml")

// TestUpstreamRulesLive runs the cases of upstream falco_rules.yaml's
// stable rules (testdata/upstream/falco_rules.tests.yaml) through the
// runner of `kestrel rules test`, live, with rule_matching=all and a podman
// API service of its own for the container records, and logs per stable
// rule whether it fired or why its case is skipped. It fails when a case
// fails (a rule that should fire did not), when a stable rule has no case,
// and, as in CI, when a case is skipped because this host lacks something
// (a case its file skips is not run anywhere).
func TestUpstreamRulesLive(t *testing.T) {
	ebpftest.Live(t)
	upstream := filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream", "falco_rules.yaml")
	for _, tool := range []string{"podman", "busybox", "setpriv", "unshare", "ssh", "shred", "timeout"} {
		testenv.Tool(t, tool)
	}
	if _, err := exec.LookPath("cc"); err != nil {
		testenv.Tool(t, "clang")
	}
	stable := stableRules(t, upstream)
	path := upstreamTestFile(t, upstream)

	ctrtest.UsePodman(t)
	sock := ctrtest.PodmanService(t, nil) // the environment UsePodman set
	settings := []string{"rule_matching=all",
		"container_engines.podman.enabled=true", "container_engines.podman.sockets=[" + sock + "]",
		"container_engines.docker.enabled=false", "container_engines.containerd.enabled=false", "container_engines.cri.enabled=false"}

	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{path}, Settings: settings, JSON: true}, &out, &errOut)
	var r jsonReport
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		t.Fatalf("%v: %v\n%s\n%s", err, jerr, out.String(), errOut.String())
	}

	byRule := map[string]jsonResult{}
	for _, c := range r.Cases {
		byRule[c.Rule] = c
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-58s %-8s %s\n", "UPSTREAM STABLE RULE", "RESULT", "CASE: WHY")
	var hostSkips []string
	for _, rule := range stable {
		c, ok := byRule[rule]
		var result, why string
		switch {
		case !ok:
			result, why = "NO CASE", "the test file has no case for this rule"
			t.Errorf("stable rule %q has no case in %s", rule, upstreamTests)
		case c.Status == "pass":
			result, why = "fired", c.Name+": "+firedWhy(c, rule)
		case c.Status == "skip":
			result, why = "skipped", c.Name+": "+c.Reason
			if !c.Declared {
				hostSkips = append(hostSkips, fmt.Sprintf("%s: %s", rule, c.Reason))
			}
		default:
			result, why = "FAILED", c.Name+": "+failWhy(c)
			t.Errorf("%q did not fire as its case %q wants:\n%s", rule, c.Name, caseDetail(c))
		}
		fmt.Fprintf(&table, "%-58s %-8s %s\n", rule, result, strings.Join(strings.Fields(why), " "))
	}
	fmt.Fprintf(&table, "%d passed, %d failed, %d skipped\n", r.Passed, r.Failed, r.Skipped)
	t.Logf("upstream stable rules (%s):\n%s", upstream, table.String())
	for _, c := range r.Cases {
		if !slices.Contains(stable, c.Rule) {
			t.Errorf("case %q is about %q, not a stable rule of falco_rules.yaml", c.Name, c.Rule)
		}
	}
	if len(hostSkips) > 0 {
		testenv.Missing(t, "what cases need: "+strings.Join(hostSkips, "; "))
	}
	if err != nil && r.Failed == 0 {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
}

// stableRules returns the rules of a rules file tagged maturity_stable, in
// the file's order.
func stableRules(t *testing.T, path string) []string {
	t.Helper()
	spec, ds := rules.Load(path)
	if ds.HasErrors() {
		t.Fatalf("%s: %v", path, ds.Err())
	}
	var out []string
	for _, r := range spec.Rules {
		if slices.Contains(r.Tags, "maturity_stable") {
			out = append(out, r.Name)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no stable rule", path)
	}
	return out
}

// upstreamTestFile returns the test file to run: the one in testdata when
// its rules file is the shared copy, else (KESTREL_SHARED elsewhere) a
// copy in a temp dir that names the shared copy by its absolute path,
// with the files its cases use.
func upstreamTestFile(t *testing.T, upstream string) string {
	t.Helper()
	f, errs := readRuleTests(upstreamTests)
	if len(errs) > 0 || len(f.RulesFiles) != 1 {
		t.Fatalf("%s: %v (want one rules file)", upstreamTests, errs)
	}
	a, aerr := os.Stat(f.RulesFiles[0])
	b, berr := os.Stat(upstream)
	if aerr == nil && berr == nil && os.SameFile(a, b) {
		return upstreamTests
	}
	text, err := os.ReadFile(upstreamTests)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(l, "rules_files:") {
			l = fmt.Sprintf("rules_files: [%q]", upstream)
		}
		lines = append(lines, l)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(filepath.Dir(upstreamTests), "actions.c"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "actions.c", string(src))
	return writeFile(t, dir, filepath.Base(upstreamTests), strings.Join(lines, "\n"))
}

// firedWhy describes the first alert of rule in a passed case.
func firedWhy(c jsonResult, rule string) string {
	n := 0
	first := ""
	for _, a := range c.Alerts {
		if a.Rule == rule {
			if n == 0 {
				first = a.Output
			}
			n++
		}
	}
	if _, rest, ok := strings.Cut(first, " | "); ok {
		first = rest
	}
	if first = strings.Join(strings.Fields(first), " "); len(first) > 160 {
		first = first[:160] + "…"
	}
	return fmt.Sprintf("%d alert(s): %s", n, first)
}

// failWhy says in one line why a case failed.
func failWhy(c jsonResult) string {
	var why []string
	for _, p := range c.Problems {
		why = append(why, p.Message)
	}
	return strings.Join(why, "; ")
}

// caseDetail renders a failed case's problems, alerts and output.
func caseDetail(c jsonResult) string {
	var b strings.Builder
	for _, p := range c.Problems {
		fmt.Fprintf(&b, "  problem: %s\n", p.Message)
	}
	for _, a := range c.Alerts {
		fmt.Fprintf(&b, "  alert %q: %s\n    output_fields: %s\n", a.Rule, a.Output, a.OutputFields)
	}
	if out := strings.TrimSpace(c.Output); out != "" {
		fmt.Fprintf(&b, "  output:\n    %s\n", strings.ReplaceAll(out, "\n", "\n    "))
	}
	return b.String()
}
