package k8saudit

import (
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// upstreamRules is the upstream k8s audit rules file, a test input.
func upstreamRules(tb testing.TB) string { return srctest.PluginRules(tb, "k8s_audit_rules.yaml") }

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := srctest.Compile(t, Def(), engine.DefaultOptions(), upstreamRules(t))
	for _, d := range ds {
		t.Logf("%s", d.Error())
	}
	src := eng.Source(SourceName)
	if src == nil || len(src.Rules()) != 48 {
		t.Fatalf("k8s_audit rules compiled: %v", src)
	}
	if len(eng.Rules()) != 0 {
		t.Errorf("syscall rules: %d, want 0", len(eng.Rules()))
	}
}
