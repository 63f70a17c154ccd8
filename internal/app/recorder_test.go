package app

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
)

// TestFlightRecorderSyscalls checks what the flight recorder does to the
// probe's selection, as start and every reload compute it: capture.syscalls
// (the default set) join the rules' syscalls while the recorder is on,
// custom_set's removals still win, and the kernel filter is off while
// the capture needs every open; with capture.syscalls naming no open, the
// filter stays; with the recorder off, nothing changes.
func TestFlightRecorderSyscalls(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(`- rule: Exec of a payload
  desc: test
  condition: evt.type = execve and evt.dir = < and proc.exepath startswith /tmp/d/
  output: payload (exe=%proc.exepath)
  priority: WARNING
- rule: Open of shadow
  desc: test
  condition: evt.type in (open, openat) and evt.dir = < and fd.name = /etc/shadow
  output: shadow (file=%fd.name)
  priority: WARNING
`), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(settings ...string) (*config.Config, *engine.Engine) {
		t.Helper()
		cfg, ds := config.LoadWithOverrides("", append([]string{"rules_files=[" + rulesFile + "]"}, settings...))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		_, eng, rds := loadRules(cfg.RulesFiles, engine.DefaultOptions())
		if rds.HasErrors() {
			t.Fatal(rds)
		}
		return cfg, eng
	}

	cfg, eng := load()
	base := runSyscalls(eng, cfg)
	if slices.Contains(base, "connect") || slices.Contains(base, "unlinkat") {
		t.Fatalf("recorder off: selection %q", base)
	}
	if pf, _ := kernelFilter(eng, cfg); pf.Open == nil {
		t.Fatalf("recorder off: no kernel filter")
	}

	cfg, eng = load("capture.enabled=true", `base_syscalls.custom_set=["!kill"]`)
	got := runSyscalls(eng, cfg)
	for _, s := range append(slices.Clone(base), "connect", "accept4", "unlinkat", "renameat2", "fchmodat", "clone", "setuid", "ptrace", "mount") {
		if !slices.Contains(got, s) {
			t.Errorf("capture on: %s not selected in %q", s, got)
		}
	}
	for _, s := range []string{"kill", "read", "write", "sendto"} {
		if slices.Contains(got, s) {
			t.Errorf("capture on: %s selected", s)
		}
	}
	if pf, rep := kernelFilter(eng, cfg); pf.Open != nil || rep.Reason == "" {
		t.Errorf("capture on: kernel filter %+v (%q)", pf, rep.Reason)
	}

	cfg, eng = load("capture.enabled=true", "capture.syscalls=[connect, unlinkat]")
	got = runSyscalls(eng, cfg)
	if !slices.Contains(got, "connect") || slices.Contains(got, "renameat2") {
		t.Errorf("capture.syscalls=[connect, unlinkat]: selection %q", got)
	}
	if pf, _ := kernelFilter(eng, cfg); pf.Open == nil {
		t.Errorf("capture.syscalls without opens: no kernel filter")
	}
}

// TestFlightRecorderDefaultSyscalls checks that the probe knows every
// syscall of capture.syscalls' default.
func TestFlightRecorderDefaultSyscalls(t *testing.T) {
	cfg := config.Default()
	cfg.Capture.Enabled = true
	if got := captureSyscalls(cfg); !slices.Equal(got, config.DefaultCaptureSyscalls) {
		t.Errorf("unknown to the probe: %q", slicesDiff(config.DefaultCaptureSyscalls, got))
	}
}

func slicesDiff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
