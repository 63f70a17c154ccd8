package app

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/recorder"
	"github.com/kestrel-sec/kestrel/state"
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

// TestReloadCaptureSettings reloads the capture block: the mode and the
// captures' limits apply at once; turning the recorder on or off, its
// memory and before_duration wait for a restart, and the reloaded
// configuration keeps the running values (the probe's selection follows
// the recorder that runs).
func TestReloadCaptureSettings(t *testing.T) {
	var logs bytes.Buffer
	a := &agent{log: slog.New(slog.NewTextHandler(&logs, nil))}
	cfg := config.Default()
	cfg.Capture.Enabled = true
	a.flight = &flightRecorder{a: a, rec: recorder.New(state.New(), recorder.Options{Budget: 1 << 20, Before: time.Second})}
	first := cfg.Capture
	a.flight.cfg.Store(&first)

	next := config.Default()
	next.Capture.Enabled = true
	next.Capture.Mode = config.CaptureModeAllRules
	next.Capture.DefaultDuration = 9000
	next.Capture.RingSizeMB = first.RingSizeMB * 2
	a.pinCapture(next)
	a.applyCapture(next)
	if next.Capture.RingSizeMB != first.RingSizeMB || !strings.Contains(logs.String(), "ring_size_mb") {
		t.Errorf("ring size %d kept, log:\n%s", next.Capture.RingSizeMB, logs.String())
	}
	if after, ok := a.flight.wanted("any rule"); !ok || after != 9*time.Second {
		t.Errorf("all_rules after a reload: %v %v", after, ok)
	}

	off := config.Default()
	a.pinCapture(off)
	if !off.Capture.Enabled || !strings.Contains(logs.String(), "capture.enabled changed") {
		t.Errorf("turning the recorder off at a reload: enabled %v, log:\n%s", off.Capture.Enabled, logs.String())
	}
	none := &agent{log: a.log}
	on := config.Default()
	on.Capture.Enabled = true
	none.pinCapture(on)
	if on.Capture.Enabled {
		t.Error("a reload turned on a recorder that does not run")
	}
}
