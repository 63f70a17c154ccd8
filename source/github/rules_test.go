package github

import (
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// upstreamRules is the upstream github rules file, a test input.
func upstreamRules(tb testing.TB) string {
	tb.Helper()
	p, err := filepath.Abs("../../../shared/testdata/rules/plugins/github.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func syscallRules(tb testing.TB) string {
	tb.Helper()
	p, err := filepath.Abs("../../../shared/testdata/rules/upstream/falco_rules.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// compileUpstream compiles rules files with the github source and fails
// on any error.
func compileUpstream(tb testing.TB, o engine.Options, paths ...string) (*engine.Engine, rules.Diagnostics) {
	tb.Helper()
	spec, ds := rules.Load(paths...)
	o.Sources = []engine.SourceDef{Def()}
	eng, cds := engine.Compile(spec, o)
	ds = append(ds, cds...)
	for _, d := range ds.Errors() {
		tb.Errorf("%s", d.String())
	}
	return eng, ds
}

// upstreamRuleCount is the number of rules in the upstream github.yaml.
const upstreamRuleCount = 15

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := compileUpstream(t, engine.DefaultOptions(), upstreamRules(t))
	for _, d := range ds {
		t.Errorf("unexpected diagnostic: %s", d.Error())
	}
	src := eng.Source(SourceName)
	if src == nil || len(src.Rules()) != upstreamRuleCount {
		t.Fatalf("github rules compiled: %v", src)
	}
	if len(eng.Rules()) != 0 {
		t.Errorf("syscall rules: %d, want 0", len(eng.Rules()))
	}
}

func TestUpstreamRulesLoadWithSyscallRules(t *testing.T) {
	eng, _ := compileUpstream(t, engine.DefaultOptions(), syscallRules(t), upstreamRules(t))
	if src := eng.Source(SourceName); src == nil || len(src.Rules()) != upstreamRuleCount {
		t.Fatalf("github rules compiled: %v", src)
	}
	if len(eng.Rules()) == 0 {
		t.Error("no syscall rules compiled")
	}
}
