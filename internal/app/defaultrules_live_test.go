package app

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestDefaultRulesLive runs the test cases the default rules ship with
// (internal/defaultrules/kestrel_rules.tests.yaml), live: each rule's
// triggering action raises it, and its benign look-alike does not.
func TestDefaultRulesLive(t *testing.T) {
	ebpftest.Live(t)
	ctrtest.UsePodman(t)
	path := filepath.Join(testenv.RepoRoot(), "internal", "defaultrules", "kestrel_rules.tests.yaml")
	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{path}, FailSkipped: testenv.InCI()}, &out, &errOut)
	t.Logf("%s", out.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
}
