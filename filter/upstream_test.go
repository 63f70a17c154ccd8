package filter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/testenv"
	"go.yaml.in/yaml/v3"
)

// TestUpstreamConditions parses the condition of every rule and macro of
// the upstream Falco rules files, and checks that the canonical form of
// each parses back to itself.
func TestUpstreamConditions(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream", "*.yaml"))
	if err != nil || len(files) == 0 {
		testenv.Missing(t, "upstream rules files")
	}
	total := 0
	for _, file := range files {
		for _, c := range readConditions(t, file) {
			total++
			x, err := Parse(c.text)
			if err != nil {
				t.Errorf("%s: %s %q:\n%s", filepath.Base(file), c.kind, c.name, err.(Errors).String())
				continue
			}
			canon := x.String()
			y, err := Parse(canon)
			if err != nil || y.String() != canon {
				t.Errorf("%s: %s %q: canonical form does not parse back: %v\n%s", filepath.Base(file), c.kind, c.name, err, canon)
			}
		}
	}
	if total < 400 {
		t.Errorf("found %d conditions, want at least 400", total)
	}
}

type condition struct{ kind, name, text string }

// readConditions returns the conditions of the rules and macros of a
// rules file.
func readConditions(t *testing.T, file string) []condition {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []condition
	for _, it := range items {
		text, ok := it["condition"].(string)
		if !ok {
			continue
		}
		for _, kind := range []string{"rule", "macro"} {
			if name, ok := it[kind].(string); ok {
				out = append(out, condition{kind, name, text})
			}
		}
	}
	return out
}
