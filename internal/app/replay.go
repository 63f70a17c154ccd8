package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/pipeline"
)

// ReplayOptions configure [Replay].
type ReplayOptions struct {
	Path        string   // capture file
	Rules       []string // rules files and directories; the embedded defaults when empty
	JSON        bool     // alerts as JSON (also -o json_output=true)
	Disable     []string // -D: rule name patterns to disable
	EnableTags  []string // -t: run only rules with these tags
	DisableTags []string // -T: disable rules with these tags
	// AllEvents (-A) also judges the high-volume I/O events on a live
	// source ([Run]); a replay judges every event whatever it says, as
	// Falco does with a capture file.
	AllEvents bool
	// Unbuffered (-U) writes each alert out as it is found: a replay's
	// alerts are otherwise written in blocks; [Run] sets buffered_outputs
	// to false, its default.
	Unbuffered bool
	Settings   []string // -o key=value, Falco configuration keys
	// Hostname goes into alerts; the machine's name when empty.
	Hostname string
	// Location is the time zone of the alert times in outputs (local time
	// when nil, as Falco prints them).
	Location *time.Location
	// StageTimes reports on stderr the share of time spent reading,
	// applying state and running rules.
	StageTimes bool
	// Source is the event source of the file: syscall (a capture) or
	// k8s_audit (audit events, JSON lines); told from the content when
	// empty.
	Source string
}

// Replay runs the rules on the events of a capture and prints the alerts
// they trigger, as falco -e does, then a summary on stderr. Every event of
// the capture is judged, the high-volume I/O events included: skipping
// them spares a live source's kernel and CPU, and a capture has already
// paid that price (Falco applies its -A skip list only to live drivers).
func Replay(ctx context.Context, o ReplayOptions, stdout, stderr io.Writer) error {
	if kind, ok, err := replaySource(o); err != nil || ok {
		if err != nil {
			return err
		}
		return replayEvents(ctx, kind, o, stdout, stderr)
	}
	cfg, eng, err := compileRules(o, stderr)
	if err != nil {
		return err
	}
	src, err := scapfile.Open(ctx, o.Path, scapfile.Options{})
	if err != nil {
		return err
	}
	p := pipeline.New(src, src.Initial(), pipeline.Options{TimeState: o.StageTimes})
	defer p.Close()
	if o.Location != nil {
		p.Context().Location = o.Location
	}
	out := newAlertPrinter(cfg, stdout, o.Unbuffered)
	rs := pipeline.NewRules(eng, p.Context(), out.emit)
	if o.StageTimes {
		rs.Time(1)
	}
	judge := newPluginRules(rs, eng, p.Context(), out.emit, stderr)
	p.Add(judge, out)
	start := time.Now()
	if err := p.Run(ctx, 0); err != nil {
		return fmt.Errorf("replay %s: %w", o.Path, err)
	}
	if err := p.Close(); err != nil {
		return err
	}
	out.summary(stderr, p.Events())
	judge.report(stderr)
	if o.StageTimes {
		_, rulesTime := rs.Stats()
		stageTimes(stderr, p.Events(), time.Since(start), p.StateTime(), rulesTime)
	}
	return nil
}

// compileRules turns the rule selection of o into a configuration and
// an engine, printing every rules error on stderr.
func compileRules(o ReplayOptions, stderr io.Writer) (*replayConfig, *engine.Engine, error) {
	cfg, err := replaySettings(o, stderr)
	if err != nil {
		return nil, nil, err
	}
	_, eng, ds := loadRules(o.Rules, cfg.engine)
	if ds.HasErrors() {
		for _, d := range ds.Errors() {
			fmt.Fprintf(stderr, "%s\n\n", d.String())
		}
		return nil, nil, ds.Err()
	}
	warnings, err := checkSelection(eng, cfg.engine)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "kestrel: warning: %s\n", w)
	}
	if err != nil && !(errors.Is(err, ErrNoRules) && sourceRulesRun(eng, nil)) {
		return nil, nil, err
	}
	return cfg, eng, nil
}

// sourceRulesRun reports whether rules of a source other than syscall
// run, of the sources run says run (every source when nil): a capture's
// plugin events are judged by them, and a live run may be for them alone,
// so a run of no syscall rule still has work to do.
func sourceRulesRun(eng *engine.Engine, run func(source string) bool) bool {
	for _, s := range eng.Sources() {
		if len(s.Selected()) > 0 && (run == nil || run(s.Name())) {
			return true
		}
	}
	return false
}

// replaySettings turns the options and -o settings into a configuration.
func replaySettings(o ReplayOptions, stderr io.Writer) (*replayConfig, error) {
	cfg := &replayConfig{engine: engine.DefaultOptions(), json: o.JSON}
	for _, kv := range o.Settings {
		ignored, err := cfg.applySetting(kv)
		if err != nil {
			return nil, err
		}
		if ignored {
			fmt.Fprintf(stderr, "kestrel: -o %s: setting has no effect on a replay\n", kv)
		}
	}
	e := &cfg.engine
	e.Disable, e.EnableTags, e.DisableTags = o.Disable, o.EnableTags, o.DisableTags
	e.AllEvents = true
	e.Hostname = o.Hostname
	if e.Hostname == "" {
		e.Hostname = hostnameOrEmpty()
	}
	if err := e.Check(); err != nil {
		return nil, Usagef("%v", err)
	}
	return cfg, nil
}

// alertPrinter prints alerts as Falco prints them, text or JSON, and
// counts them for the summary. It is a sink only to be flushed when the
// pipeline closes.
type alertPrinter struct {
	cfg   *replayConfig
	w     *bufio.Writer
	flush bool // write each alert out as it comes
	line  []byte

	detected uint64
	byRule   map[string]uint64
	byPrio   map[string]uint64
}

func newAlertPrinter(cfg *replayConfig, out io.Writer, flush bool) *alertPrinter {
	return &alertPrinter{cfg: cfg, w: bufio.NewWriterSize(out, 1<<16), flush: flush,
		byRule: map[string]uint64{}, byPrio: map[string]uint64{}}
}

func (s *alertPrinter) emit(a *alert.Alert) error {
	s.detected++
	s.byRule[a.Rule]++
	s.byPrio[a.Priority.String()]++
	if s.cfg.json {
		s.line = a.AppendJSON(s.line[:0], s.cfg.jopts)
	} else {
		s.line = a.AppendText(s.line[:0])
	}
	s.line = append(s.line, '\n')
	if _, err := s.w.Write(s.line); err != nil {
		return err
	}
	if s.flush {
		return s.w.Flush()
	}
	return nil
}

func (s *alertPrinter) Event(*event.Event, pipeline.Kind) error { return nil }

func (s *alertPrinter) Close() error { return s.w.Flush() }

// summary prints the events read and the alerts by priority and by rule.
func (s *alertPrinter) summary(w io.Writer, events uint64) {
	fmt.Fprintf(w, "Events read: %d\n", events)
	fmt.Fprintf(w, "Events detected: %d\n", s.detected)
	if s.detected == 0 {
		return
	}
	fmt.Fprintf(w, "Rule counts by severity:\n")
	for _, k := range sortedKeys(s.byPrio) {
		fmt.Fprintf(w, "   %s: %d\n", k, s.byPrio[k])
	}
	fmt.Fprintf(w, "Triggered rules by rule name:\n")
	for _, k := range sortedKeys(s.byRule) {
		fmt.Fprintf(w, "   %s: %d\n", k, s.byRule[k])
	}
}

// stageTimes prints events per second and the share of each stage;
// reading is what is left of the wall time.
func stageTimes(w io.Writer, events uint64, wall, state, rules time.Duration) {
	total := float64(wall.Nanoseconds())
	read := total - float64(state) - float64(rules)
	pct := func(v float64) float64 { return 100 * v / total }
	fmt.Fprintf(w, "Stage times: %d events in %.3fs, %.0f events/s; read %.1f%%, state %.1f%%, rules %.1f%%\n",
		events, wall.Seconds(), float64(events)/wall.Seconds(), pct(read), pct(float64(state)), pct(float64(rules)))
}

func sortedKeys(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
