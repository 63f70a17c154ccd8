package app

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
)

// TestUpstreamRulesAllSources loads falcosecurity/rules' syscall rules and
// the four plugin rules files together: no error, no warning, and every
// rule is compiled for the source its file names, listed here.
func TestUpstreamRulesAllSources(t *testing.T) {
	syscall, err := filepath.Abs("../../../shared/testdata/rules/upstream/falco_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{syscall, k8sRulesFile(t), pluginRulesFile(t, "aws_cloudtrail_rules.yaml"),
		pluginRulesFile(t, "okta_rules.yaml"), pluginRulesFile(t, "github.yaml")}
	spec, eng, ds := loadRules(files, engine.DefaultOptions())
	for _, d := range ds {
		t.Errorf("%s", d.String())
	}
	compiled := map[string][]string{}
	for _, r := range eng.Rules() {
		compiled["syscall"] = append(compiled["syscall"], r.Spec.Name)
	}
	for _, s := range eng.Sources() {
		for _, r := range s.Rules() {
			compiled[s.Name()] = append(compiled[s.Name()], r.Spec.Name)
		}
	}
	written := map[string][]string{}
	for _, r := range spec.Rules {
		written[r.Source] = append(written[r.Source], r.Name)
	}
	want := map[string]int{"syscall": 25, "k8s_audit": 48, "aws_cloudtrail": 22, "okta": 21, "github": 15}
	for src, n := range want {
		if !slices.Equal(compiled[src], written[src]) || len(compiled[src]) != n {
			t.Errorf("source %s: compiled %d rules %q\nthe files have %d: %q", src, len(compiled[src]), compiled[src], len(written[src]), written[src])
		}
		for _, name := range compiled[src] {
			t.Logf("%-15s %s", src, name)
		}
	}
	if len(written) != len(want) {
		t.Errorf("sources in the files: %v", written)
	}
}
