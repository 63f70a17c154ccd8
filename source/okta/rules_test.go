package okta

import (
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/rules"
)

// upstreamRules is the upstream Okta rules file, a test input.
func upstreamRules(tb testing.TB) string { return srctest.PluginRules(tb, "okta_rules.yaml") }

// upstreamRuleCount is the number of rules of okta_rules.yaml, and
// upstreamEnabled those it enables.
const (
	upstreamRuleCount = 21
	upstreamEnabled   = 12
)

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := srctest.Compile(t, Def(), engine.DefaultOptions(), upstreamRules(t))
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
	eng, _ := srctest.Compile(t, Def(), engine.DefaultOptions(), srctest.SyscallRules(t), upstreamRules(t))
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
