package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/app"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

func ruleTestFile(name string) string {
	return filepath.Join(testenv.RepoRoot(), "internal", "app", "testdata", "rulestest", name)
}

// TestRulesTestCommand checks the command's results: passing cases,
// failing cases, a malformed file (a usage error: exit status 2) and the
// help that teaches the format.
func TestRulesTestCommand(t *testing.T) {
	out, err := run(t, "rules", "test", ruleTestFile("capture.tests.yaml"))
	if err != nil || !strings.Contains(out, "3 passed, 0 failed, 0 skipped") {
		t.Errorf("passing file: %v\n%s", err, out)
	}
	out, err = run(t, "rules", "test", "--case", "^wrong parent$", "-o", "rule_matching=all", ruleTestFile("broken.tests.yaml"))
	if !errors.Is(err, app.ErrRuleTestsFailed) || errors.Is(err, app.ErrUsage) || !strings.Contains(out, "0 passed, 1 failed, 0 skipped") {
		t.Errorf("failing file: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.tests.yaml")
	if err := os.WriteFile(bad, []byte("cases:\n  - name: a\n    kind: trigger\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "rules", "test", bad)
	if !errors.Is(err, app.ErrUsage) || !strings.Contains(out, bad+`:2:5: error: case "a": no rule`) {
		t.Errorf("malformed file: %v\n%s", err, out)
	}
	if _, err := run(t, "rules", "test", "-o", "priority=bogus", bad); !errors.Is(err, app.ErrUsage) {
		t.Errorf("bad -o: %v", err)
	}
	out, _ = run(t, "rules", "test", "--help")
	for _, want := range []string{"rules_files: [kestrel_rules.yaml]", "expect_not:", "output_fields:", "--case", "--fail-skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
