package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/metrics"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/recorder"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/scap"
)

// CapturePathField is the output field an alert carries when it asked
// for a capture: the path the capture file has once it is written.
const CapturePathField = "capture.path"

// flightRecorder is run's capture on alert (the capture configuration):
// the recorder in the pipeline, and the alert hook that asks it for a
// capture when a rule marked for capture fires (every rule in mode
// all_rules) and names the capture in the alert.
type flightRecorder struct {
	a    *agent
	cfg  atomic.Pointer[config.Capture] // a reload changes it
	rec  *recorder.Recorder
	emit pipeline.AlertFunc
	// The engine whose rules specs holds, by name.
	eng   *engine.Engine
	specs map[string]*rules.Rule
}

// startRecorder adds the flight recorder to the pipeline when
// capture.enabled is set, before the rules, and returns the function the
// rules hand their alerts to. sec is the live start's snapshot, whose
// machine, interfaces and users every capture carries.
func (a *agent) startRecorder(cfg *config.Config, sec *scap.Section) pipeline.AlertFunc {
	c := cfg.Capture
	if !c.Enabled {
		return a.outs.emit
	}
	lim := captureLimits(c)
	o := recorder.Options{
		Budget: c.RingSizeMB << 20, Before: millis(c.BeforeDuration), PathPrefix: lim.PathPrefix,
		MaxEvents: lim.MaxEvents, MaxFileSize: lim.MaxFileSize, MaxFiles: lim.MaxFiles, MaxTotal: lim.MaxTotal,
		Scope: lim.Scope, Base: sec, Logger: a.log,
	}
	f := &flightRecorder{a: a, rec: recorder.New(a.pipe.State(), o), emit: a.outs.emit}
	f.cfg.Store(&c)
	a.pipe.Add(f.rec)
	a.flight = f
	a.log.Info("flight recorder on", "mode", c.Mode, "scope", lim.Scope.String(), "ring_mb", c.RingSizeMB, "before_ms", c.BeforeDuration,
		"path_prefix", c.PathPrefix, "kernel_filter", !captureNeedsOpens(cfg))
	return f.alert
}

// captureLimits returns the limits of the captures c sets.
func captureLimits(c config.Capture) recorder.Limits {
	sc, _ := recorder.ParseScope(c.Scope) // checked by the configuration's enum
	return recorder.Limits{PathPrefix: c.PathPrefix, MaxEvents: uint64(c.CaptureEvents), MaxFileSize: int64(c.MaxFileSizeMB) << 20,
		MaxFiles: c.MaxFiles, MaxTotal: int64(c.MaxTotalMB) << 20, Scope: sc}
}

// pinCapture keeps in a reloaded configuration the capture settings
// fixed at start: turning the recorder on or off, its memory and
// before_duration (a change is logged), so that the probe's selection
// follows the recorder that runs.
func (a *agent) pinCapture(cfg *config.Config) {
	c, running := &cfg.Capture, a.flight != nil
	if c.Enabled != running {
		a.log.Warn("capture.enabled changed: it takes effect when Kestrel restarts", "running", running)
		c.Enabled = running
	}
	if !running {
		return
	}
	old := a.flight.cfg.Load()
	if c.RingSizeMB != old.RingSizeMB || c.BeforeDuration != old.BeforeDuration {
		a.log.Warn("capture.ring_size_mb and capture.before_duration take effect when Kestrel restarts")
		c.RingSizeMB, c.BeforeDuration = old.RingSizeMB, old.BeforeDuration
	}
}

// applyCapture puts a reloaded capture block in use: the mode, the
// durations after alerts, the captures' limits and scope (a capture
// under way keeps its own).
func (a *agent) applyCapture(cfg *config.Config) {
	if a.flight == nil {
		return
	}
	c := cfg.Capture
	a.flight.rec.SetLimits(captureLimits(c))
	a.flight.cfg.Store(&c)
}

func millis(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// captureSyscalls returns the syscalls the flight recorder adds to the
// probe's selection (capture.syscalls, those the probe knows), none when
// it is off.
func captureSyscalls(cfg *config.Config) []string {
	if !cfg.Capture.Enabled {
		return nil
	}
	var names []string
	for _, s := range cfg.Capture.Syscalls {
		if ebpf.IsSyscall(s) {
			names = append(names, s)
		}
	}
	return names
}

// captureNeedsOpens reports whether the flight recorder needs every open
// the host makes (capture.syscalls names one): the kernel filter, which
// drops the opens no rule can match, is then off, so that a capture
// names the files of the fds its events use.
func captureNeedsOpens(cfg *config.Config) bool {
	for _, s := range captureSyscalls(cfg) {
		if openSyscalls[s] {
			return true
		}
	}
	return false
}

// openSyscalls are the syscalls whose opens the kernel filter judges.
var openSyscalls = map[string]bool{"open": true, "openat": true, "openat2": true, "creat": true, "open_by_handle_at": true}

// alert asks for a capture when the alert's rule wants one, puts its
// path in the alert's output fields, and hands the alert on.
func (f *flightRecorder) alert(al *alert.Alert) error {
	after, ok := f.wanted(al.Rule)
	if !ok {
		return f.emit(al)
	}
	path, err := f.rec.Capture(after)
	if err != nil {
		f.a.log.Warn("capture on alert failed", "rule", al.Rule, "error", err)
		return f.emit(al)
	}
	if al.OutputFields, err = withField(al.OutputFields, CapturePathField, path); err != nil {
		f.a.log.Warn("capture path not added to the alert", "rule", al.Rule, "path", path, "error", err)
	}
	return f.emit(al)
}

// wanted reports whether an alert of the rule named name asks for a
// capture, and for how long after it: the rule's capture_duration, or
// default_duration.
func (f *flightRecorder) wanted(name string) (time.Duration, bool) {
	r, c := f.rule(name), f.cfg.Load()
	if c.Mode != config.CaptureModeAllRules && (r == nil || !r.Capture) {
		return 0, false
	}
	if r != nil && r.CaptureDuration > 0 {
		return millis(int(r.CaptureDuration)), true
	}
	return millis(c.DefaultDuration), true
}

// rule returns the spec of the rule named name in the engine in use. A
// reload holds the agent's lock while it loads; meanwhile the rules
// already known answer, rather than the event path waiting.
func (f *flightRecorder) rule(name string) *rules.Rule {
	if f.a.mu.TryLock() {
		eng := f.a.eng
		f.a.mu.Unlock()
		if eng != f.eng {
			f.eng, f.specs = eng, ruleSpecs(eng)
		}
	}
	return f.specs[name]
}

// ruleSpecs indexes the specs of eng's rules by name.
func ruleSpecs(eng *engine.Engine) map[string]*rules.Rule {
	m := map[string]*rules.Rule{}
	if eng == nil {
		return m
	}
	for _, r := range eng.Rules() {
		m[r.Spec.Name] = r.Spec
	}
	return m
}

// withField returns the output fields obj (a JSON object) with the
// string field name set to value, keys sorted as Falco writes them.
func withField(obj json.RawMessage, name, value string) (json.RawMessage, error) {
	fields := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(obj)) > 0 && !bytes.Equal(bytes.TrimSpace(obj), []byte("null")) {
		if err := json.Unmarshal(obj, &fields); err != nil {
			return obj, fmt.Errorf("output fields: %w", err)
		}
	}
	v, err := marshalNoEscape(value)
	if err != nil {
		return obj, err
	}
	fields[name] = v
	out, err := marshalNoEscape(fields)
	if err != nil {
		return obj, err
	}
	return out, nil
}

// marshalNoEscape is json.Marshal without the HTML escapes ("<NA>" stays
// as it is, as Falco writes it).
func marshalNoEscape(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("output fields: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// captureStats returns what the flight recorder wrote, for the metrics.
func (a *agent) captureStats() metrics.CaptureStats {
	if a.flight == nil {
		return metrics.CaptureStats{}
	}
	s := a.flight.rec.Stats()
	return metrics.CaptureStats{Files: s.Files, Bytes: s.Bytes, Dropped: s.Dropped}
}
