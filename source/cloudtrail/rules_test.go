package cloudtrail

import (
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// upstreamRules is the upstream CloudTrail rules file, a test input.
func upstreamRules(tb testing.TB) string { return srctest.PluginRules(tb, "aws_cloudtrail_rules.yaml") }

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := srctest.Compile(t, Def(), engine.DefaultOptions(), upstreamRules(t))
	for _, d := range ds {
		t.Logf("%s", d.Error())
	}
	src := eng.Source(SourceName)
	if src == nil {
		t.Fatal("no aws_cloudtrail source")
	}
	t.Logf("aws_cloudtrail rules: %d compiled, %d selected", len(src.Rules()), len(src.Selected()))
	if len(src.Rules()) != 22 {
		t.Errorf("aws_cloudtrail rules compiled: %d, want 22", len(src.Rules()))
	}
	if len(eng.Rules()) != 0 {
		t.Errorf("syscall rules: %d, want 0", len(eng.Rules()))
	}
}

func TestUpstreamRulesWithSyscallRules(t *testing.T) {
	eng, _ := srctest.Compile(t, Def(), engine.DefaultOptions(), srctest.SyscallRules(t), upstreamRules(t))
	src := eng.Source(SourceName)
	if src == nil || len(src.Rules()) != 22 {
		t.Fatalf("aws_cloudtrail rules compiled: %v", src)
	}
	if len(eng.Rules()) == 0 {
		t.Error("no syscall rules compiled")
	}
	t.Logf("syscall rules: %d; aws_cloudtrail rules: %d", len(eng.Rules()), len(src.Rules()))
}
