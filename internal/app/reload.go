package app

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"log/syslog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/output"
	"github.com/kestrel-sec/kestrel/prefilter"
)

// reload reads the configuration and the rules again and swaps them in
// while the probe runs: the next event is judged by the new rules, the
// kernel's syscall selection changes in place, new outputs take the
// alerts while the old ones drain. When the new files are invalid, the
// old configuration and rules stay, and the errors are logged and
// counted.
func (a *agent) reload(why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cfg, eng, err := a.loadAgain()
	if err != nil {
		a.mon.reloadsFailed.Add(1)
		a.log.Error("reload failed: the rules and configuration in use stay", "cause", why, "error", err)
		return
	}
	if err := a.swap(cfg, eng); err != nil {
		a.mon.reloadsFailed.Add(1)
		a.log.Error("reload failed", "cause", why, "error", err)
		return
	}
	a.mon.reloadsOK.Add(1)
	a.mon.loaded.Store(time.Now().UnixNano())
	a.log.Info("reloaded", "cause", why, "rules", len(eng.Selected()))
}

// loadAgain loads the configuration and compiles the rules, logging each
// warning and returning the errors.
func (a *agent) loadAgain() (*config.Config, *engine.Engine, error) {
	cfg, ds := readRunConfig(a.o)
	for _, d := range ds.Warnings() {
		a.log.Warn(d.String())
	}
	if ds.HasErrors() {
		return nil, nil, fmt.Errorf("%s", ds.Errors()[0].String())
	}
	eo, err := engineOptions(cfg, a.o)
	if err != nil {
		return nil, nil, err
	}
	_, eng, rds := loadRules(cfg.RulesFiles, eo)
	for _, d := range rds.Warnings() {
		a.log.Warn(d.String())
	}
	if rds.HasErrors() {
		errs := rds.Errors()
		return nil, nil, fmt.Errorf("%d errors in the rules, the first: %s", len(errs), errs[0].String())
	}
	warnings, err := checkSelection(eng, eo)
	for _, w := range warnings {
		a.log.Warn(w)
	}
	if err = a.onlySources(err, eng, cfg); err != nil {
		return nil, nil, err
	}
	return cfg, eng, nil
}

// swap puts cfg and eng in use.
func (a *agent) swap(cfg *config.Config, eng *engine.Engine) error {
	a.pinCapture(cfg)
	var fan *output.Fanout
	if outputsChanged(a.cfg, cfg) {
		var err error
		if fan, err = output.New(outputOptions(cfg, a.stdout, a.log)); err != nil {
			return fmt.Errorf("outputs: %w", err)
		}
	}
	// While the rules change, the kernel sends what either set may match;
	// the new filter alone once the new rules judge the events.
	oldPF, _ := kernelFilter(a.eng, a.cfg)
	newPF, _ := kernelFilter(eng, cfg)
	if err := a.probe.SetPrefilter(oldPF.Union(newPF)); err != nil {
		if fan != nil {
			fan.Close(context.Background())
		}
		return fmt.Errorf("kernel filter: %w", err)
	}
	if err := a.probe.Select(runSyscalls(eng, cfg)); err != nil {
		if fan != nil {
			fan.Close(context.Background())
		}
		return err
	}
	a.rules.Swap(eng)
	a.srcs.swap(eng)
	a.srcs.configure(cfg.Sources)
	a.applyCapture(cfg)
	a.narrowFilter(newPF)
	if fan != nil {
		a.outs.replace(fan)
	}
	if cfg.Webserver != a.cfg.Webserver {
		a.log.Warn("webserver settings changed: they take effect when Kestrel restarts")
	}
	a.cfg, a.eng = cfg, eng
	return nil
}

// narrowFilter sets the new rules' pre-filter once the events the kernel
// sent before the swap have been judged: the queue is drained well within
// filterSettle.
func (a *agent) narrowFilter(pf driver.Prefilter) {
	time.AfterFunc(filterSettle, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		cur, _ := kernelFilter(a.eng, a.cfg)
		if !prefilter.Equal(cur, pf) {
			return // another reload came meanwhile; it narrows its own
		}
		if err := a.probe.SetPrefilter(pf); err != nil {
			a.log.Error("kernel filter", "error", err)
		}
	})
}

// filterSettle is how long after a reload the kernel keeps sending what
// the old rules needed.
const filterSettle = 2 * time.Second

// outputsChanged reports whether the outputs' settings differ.
func outputsChanged(old, cur *config.Config) bool {
	o, c := outputOptions(old, nil, nil), outputOptions(cur, nil, nil)
	return fmt.Sprintf("%+v", o) != fmt.Sprintf("%+v", c)
}

// watchEvery is how often the watched files are looked at.
const watchEvery = time.Second

// watch reloads when a configuration or rules file changes: its size, its
// modification time, or the files of a watched directory.
func (a *agent) watch(ctx context.Context) {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	last := a.fingerprint()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := a.fingerprint()
		if cur == last {
			continue
		}
		last = cur
		a.reload("a watched file changed")
		last = a.fingerprint() // the reload may name other files
	}
}

// fingerprint describes the watched files as they are now.
func (a *agent) fingerprint() string {
	a.mu.Lock()
	paths := append(slices.Clone(a.cfg.Files), a.cfg.RulesFiles...)
	a.mu.Unlock()
	var b strings.Builder
	for _, p := range paths {
		filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(&b, "%s:missing;", path)
				return nil
			}
			if info, err := d.Info(); err == nil && !d.IsDir() {
				fmt.Fprintf(&b, "%s:%d:%d;", path, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	return b.String()
}

// newLogger returns the logger of log_level, log_stderr and log_syslog.
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}
	var hs []slog.Handler
	if cfg.LogStderr {
		hs = append(hs, slog.NewTextHandler(stderr, opts))
	}
	if cfg.LogSyslog {
		if w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "kestrel"); err == nil {
			hs = append(hs, slog.NewTextHandler(w, opts))
		}
	}
	switch len(hs) {
	case 0:
		return slog.New(slog.DiscardHandler)
	case 1:
		return slog.New(hs[0])
	}
	return slog.New(slog.NewMultiHandler(hs...))
}

// logLevel maps Falco's log levels (syslog's names) to slog's.
func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "info", "notice":
		return slog.LevelInfo
	case "warning":
		return slog.LevelWarn
	}
	return slog.LevelError
}
