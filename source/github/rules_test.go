package github

import (
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// upstreamRules is the upstream github rules file, a test input.
func upstreamRules(tb testing.TB) string { return srctest.PluginRules(tb, "github.yaml") }

// upstreamRuleCount is the number of rules in the upstream github.yaml.
const upstreamRuleCount = 15

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := srctest.Compile(t, Def(), engine.DefaultOptions(), upstreamRules(t))
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
	eng, _ := srctest.Compile(t, Def(), engine.DefaultOptions(), srctest.SyscallRules(t), upstreamRules(t))
	if src := eng.Source(SourceName); src == nil || len(src.Rules()) != upstreamRuleCount {
		t.Fatalf("github rules compiled: %v", src)
	}
	if len(eng.Rules()) == 0 {
		t.Error("no syscall rules compiled")
	}
}
