// Package srctest holds what the tests of Kestrel's JSON event sources
// share: the paths of the upstream rules files, compiling them with one
// source, running events through them, serving a webhook for a test and
// exercising every field. Only tests import it; its helpers run on the
// test's goroutine and fail the test on any error.
package srctest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// PluginRules returns the absolute path of the upstream plugin rules file
// name ("k8s_audit_rules.yaml"), a test input kept beside the module.
func PluginRules(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(testdata(tb), "rules", "plugins", name)
}

// SyscallRules returns the absolute path of the upstream syscall rules
// file, falco_rules.yaml.
func SyscallRules(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(testdata(tb), "rules", "upstream", "falco_rules.yaml")
}

// testdata returns the shared test data directory, shared/testdata beside
// the module's root.
func testdata(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(moduleRoot(tb), "..", "shared", "testdata")
}

// moduleRoot returns the directory holding go.mod, looked for upwards
// from the test's working directory (its package directory).
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = up
	}
}

// Compile loads the rules files paths and compiles them with def as the
// only source besides syscall; every error diagnostic fails tb. It
// returns the engine and all the diagnostics.
func Compile(tb testing.TB, def engine.SourceDef, o engine.Options, paths ...string) (*engine.Engine, rules.Diagnostics) {
	tb.Helper()
	spec, ds := rules.Load(paths...)
	o.Sources = []engine.SourceDef{def}
	eng, cds := engine.Compile(spec, o)
	ds = append(ds, cds...)
	for _, d := range ds.Errors() {
		tb.Errorf("%s", d.String())
	}
	return eng, ds
}

// JSON returns v marshalled, failing tb when it cannot be.
func JSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// SetPath sets the member of m at a dotted path ("objectRef.subresource"),
// making the objects on the way; a nil v removes the member.
func SetPath(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if v == nil {
		delete(m, keys[len(keys)-1])
		return
	}
	m[keys[len(keys)-1]] = v
}
