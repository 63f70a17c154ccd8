package okta

import (
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// upstreamRules is the upstream Okta rules file, a test input.
func upstreamRules(tb testing.TB) string {
	tb.Helper()
	p, err := filepath.Abs("../../../shared/testdata/rules/plugins/okta_rules.yaml")
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

// compileUpstream compiles rules files with the okta source and fails on
// any error.
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

// upstreamRuleCount is the number of rules of okta_rules.yaml, and
// upstreamEnabled those it enables.
const (
	upstreamRuleCount = 21
	upstreamEnabled   = 12
)

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := compileUpstream(t, engine.DefaultOptions(), upstreamRules(t))
	for _, d := range ds {
		t.Errorf("unexpected diagnostic: %s", d.Error())
	}
	src := eng.Source(SourceName)
	if src == nil || len(src.Rules()) != upstreamRuleCount || len(src.Selected()) != upstreamEnabled {
		t.Fatalf("okta rules compiled: %v", src)
	}
	if len(eng.Rules()) != 0 {
		t.Errorf("syscall rules: %d, want 0", len(eng.Rules()))
	}
}

func TestUpstreamRulesWithSyscallRules(t *testing.T) {
	eng, _ := compileUpstream(t, engine.DefaultOptions(), syscallRules(t), upstreamRules(t))
	src := eng.Source(SourceName)
	if src == nil || len(src.Rules()) != upstreamRuleCount {
		t.Fatalf("okta rules compiled: %v", src)
	}
	if len(eng.Rules()) == 0 {
		t.Error("no syscall rules compiled")
	}
}

// TestRequiredVersion checks the plugins declared meet the rules file's
// required_plugin_versions, which an older okta plugin would not.
func TestRequiredVersion(t *testing.T) {
	spec, _ := rules.Load(upstreamRules(t))
	if ds := rules.CheckPlugins(spec, Plugins()); ds.HasErrors() {
		t.Errorf("declared plugins refused: %v", ds.Err())
	}
	old := []rules.PluginVersion{{Name: PluginName, Version: "0.10.0"}}
	if ds := rules.CheckPlugins(spec, old); !ds.HasErrors() {
		t.Error("okta 0.10.0 accepted")
	}
}
