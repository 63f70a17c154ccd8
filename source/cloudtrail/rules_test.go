package cloudtrail

import (
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// upstreamRules is the upstream CloudTrail rules file, a test input.
func upstreamRules(tb testing.TB) string {
	tb.Helper()
	p, err := filepath.Abs("../../../shared/testdata/rules/plugins/aws_cloudtrail_rules.yaml")
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

// compileUpstream compiles rules files with the aws_cloudtrail source
// and fails on any error.
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

func TestUpstreamRulesLoad(t *testing.T) {
	eng, ds := compileUpstream(t, engine.DefaultOptions(), upstreamRules(t))
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
	eng, _ := compileUpstream(t, engine.DefaultOptions(), syscallRules(t), upstreamRules(t))
	src := eng.Source(SourceName)
	if src == nil || len(src.Rules()) != 22 {
		t.Fatalf("aws_cloudtrail rules compiled: %v", src)
	}
	if len(eng.Rules()) == 0 {
		t.Error("no syscall rules compiled")
	}
	t.Logf("syscall rules: %d; aws_cloudtrail rules: %d", len(eng.Rules()), len(src.Rules()))
}
