package prefilter

import (
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/defaultrules"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/rules"
)

// compileBytes compiles one rules file held in memory.
func compileBytes(t testing.TB, name string, src []byte) *engine.Engine {
	t.Helper()
	spec, ds := rules.LoadBytes(name, src)
	if ds.HasErrors() {
		t.Fatalf("%s: %s", name, ds.String())
	}
	return compileSpec(t, spec)
}

func compileSpec(t testing.TB, spec *rules.Spec) *engine.Engine {
	t.Helper()
	o := engine.DefaultOptions()
	o.Matching = engine.MatchAll // the tests judge every rule
	eng, ds := engine.Compile(spec, o)
	if ds.HasErrors() {
		t.Fatal(ds.String())
	}
	return eng
}

// defaultEngine compiles the embedded default rules.
func defaultEngine(t testing.TB) *engine.Engine {
	return compileBytes(t, defaultrules.Name, defaultrules.YAML())
}

// upstreamSets are the upstream files as Falco loads them: the stable
// file alone, and with each of the others, which use its macros.
var upstreamSets = map[string][]string{
	"falco_rules":            {"falco_rules.yaml"},
	"falco_rules+incubating": {"falco_rules.yaml", "falco-incubating_rules.yaml"},
	"falco_rules+sandbox":    {"falco_rules.yaml", "falco-sandbox_rules.yaml"},
	"all":                    {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"},
}

// upstreamEngine compiles upstream files together, skipping the test
// when the shared copies are missing.
func upstreamEngine(t testing.TB, files []string) (*engine.Engine, *rules.Spec) {
	t.Helper()
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream")
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dir, f))
	}
	spec, ds := rules.Load(paths...)
	if ds.HasErrors() {
		t.Fatal(ds.String())
	}
	return compileSpec(t, spec), spec
}
