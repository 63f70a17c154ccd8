// Package testenv finds what Kestrel's tests need outside the module: the
// shared test captures and rule files beside the checkout, and reference
// tools such as sysdig. Outside CI a missing tool skips the test; with
// CI=true it fails it, so CI never passes by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// RepoRoot returns the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// SharedDir returns the shared/ directory beside the checkout (KESTREL_SHARED
// overrides it). It skips the test when the directory is missing, or fails
// it in CI.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("KESTREL_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "testdata")); err != nil {
		Missing(tb, "shared test data at "+dir)
	}
	return dir
}

// Captures returns the paths of the shared test captures.
func Captures(tb testing.TB) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(SharedDir(tb), "testdata", "scap", "*.scap"))
	if err != nil || len(m) == 0 {
		Missing(tb, "shared test captures")
	}
	return m
}

// Tool returns the path of an external program, skipping the test when it
// is not installed (failing it in CI).
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, name)
	}
	return p
}

// Missing skips the test because what is missing, or fails it in CI.
func Missing(tb testing.TB, what string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s is missing, and CI=true requires it", what)
	}
	tb.Skipf("%s is missing (set CI=true to make this an error)", what)
}
