package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kestrel-sec/kestrel/internal/app"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

func upstreamFiles(t *testing.T) []string {
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream")
	return []string{
		filepath.Join(dir, "falco_rules.yaml"),
		filepath.Join(dir, "falco-incubating_rules.yaml"),
		filepath.Join(dir, "falco-sandbox_rules.yaml"),
	}
}

// yamlEnabled reads the rules of files with a plain YAML decoder: each
// rule's name and whether the files leave it enabled (the latest
// "enabled" key given for it; true when none is).
func yamlEnabled(t *testing.T, files []string) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := yaml.Unmarshal(b, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			name, ok := it["rule"].(string)
			if !ok {
				continue
			}
			if on, ok := it["enabled"].(bool); ok {
				out[name] = on
			} else if _, seen := out[name]; !seen {
				out[name] = true
			}
		}
	}
	return out
}

// TestRulesListUpstream lists the three upstream files: every rule, with
// the enabled state the files give it.
func TestRulesListUpstream(t *testing.T) {
	files := upstreamFiles(t)
	args := []string{"rules", "list", "--json"}
	for _, f := range files {
		args = append(args, "-r", f)
	}
	out, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Name, Priority, Source string
		Enabled                bool
		Tags                   []string
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %.200s", err, out)
	}
	want := yamlEnabled(t, files)
	if len(rows) != 93 || len(want) != 93 {
		t.Fatalf("%d rules listed, %d in the files; want 93", len(rows), len(want))
	}
	disabled := 0
	for _, r := range rows {
		on, ok := want[r.Name]
		if !ok {
			t.Errorf("listed rule %q is not in the files", r.Name)
			continue
		}
		if r.Enabled != on {
			t.Errorf("%s: enabled %v, the files say %v", r.Name, r.Enabled, on)
		}
		if !r.Enabled {
			disabled++
		}
		if r.Source != "syscall" || r.Priority == "" {
			t.Errorf("%s: source %q priority %q", r.Name, r.Source, r.Priority)
		}
	}
	if disabled == 0 {
		t.Error("no rule is disabled; the sandbox file disables some")
	}
}

func TestRulesValidate(t *testing.T) {
	out, err := run(t, append([]string{"rules", "validate"}, upstreamFiles(t)...)...)
	if err != nil || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Fatalf("upstream files: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("- rule: Bad\n  desc: d\n  condition: evt.type = open and proc.nme = cat\n  output: x\n  priority: WARNING\n"), 0o644)
	out, err = run(t, "rules", "validate", bad)
	if !errors.Is(err, app.ErrRulesInvalid) {
		t.Fatalf("broken file: got %v", err)
	}
	for _, want := range []string{bad + ":3:", `unknown field "proc.nme"`, "^"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
