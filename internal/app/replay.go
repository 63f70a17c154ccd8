package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// ReplayOptions configure [Replay].
type ReplayOptions struct {
	Path        string   // capture file
	Rules       []string // rules files and directories; the embedded defaults when empty
	JSON        bool     // alerts as JSON (also -o json_output=true)
	Disable     []string // -D: rule name patterns to disable
	EnableTags  []string // -t: run only rules with these tags
	DisableTags []string // -T: disable rules with these tags
	AllEvents   bool     // -A: also judge the high-volume I/O events
	Settings    []string // -o key=value, Falco configuration keys
	// Hostname goes into alerts; the machine's name when empty.
	Hostname string
	// Location is the time zone of the alert times in outputs (local time
	// when nil, as Falco prints them).
	Location *time.Location
	// StageTimes reports on stderr the share of time spent reading,
	// applying state and running rules.
	StageTimes bool
}

// Replay runs the rules on the events of a capture and prints the alerts
// they trigger, as falco -e does, then a summary on stderr.
func Replay(ctx context.Context, o ReplayOptions, stdout, stderr io.Writer) error {
	cfg, eng, err := compileRules(o, stderr)
	if err != nil {
		return err
	}
	f, err := os.Open(o.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := scap.NewReader(f, scap.ReaderOptions{})
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Path, err)
	}
	defer rd.Close()
	sink := newReplaySink(eng, cfg, rd.Section(), stdout, o.StageTimes)
	if o.Location != nil {
		sink.fc.Location = o.Location
	}
	start := time.Now()
	if err := pump(ctx, rd, 0, sink); err != nil {
		sink.close()
		return fmt.Errorf("replay %s: %w", o.Path, err)
	}
	if err := sink.close(); err != nil {
		return err
	}
	sink.summary(stderr)
	if o.StageTimes {
		sink.stageTimes(stderr, time.Since(start))
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
	return cfg, eng, nil
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
	e.Disable, e.EnableTags, e.DisableTags, e.AllEvents = o.Disable, o.EnableTags, o.DisableTags, o.AllEvents
	e.Hostname = o.Hostname
	if e.Hostname == "" {
		e.Hostname = hostnameOrEmpty()
	}
	if err := e.Check(); err != nil {
		return nil, Usagef("%v", err)
	}
	return cfg, nil
}

// replaySink applies events to the host model and runs the rules.
type replaySink struct {
	eng    *engine.Engine
	cfg    *replayConfig
	st     *state.State
	fc     *field.Context
	w      *bufio.Writer
	alerts []alert.Alert
	line   []byte
	begun  bool

	events   uint64
	byRule   map[string]uint64
	byPrio   map[string]uint64
	detected uint64

	timed            bool
	stateNS, rulesNS int64 // sampled, scaled
}

// sampleEvery is how often --stage-times measures an event's stages:
// every event, since captures replay periodic patterns a sample would alias.
const sampleEvery = 1

func newReplaySink(eng *engine.Engine, cfg *replayConfig, sec *scap.Section, out io.Writer, timed bool) *replaySink {
	st := state.FromSection(sec)
	fc := field.NewContext(st)
	fc.Resolver = st
	fc.Hostname = hostname(sec)
	return &replaySink{eng: eng, cfg: cfg, st: st, fc: fc, w: bufio.NewWriterSize(out, 1<<16),
		byRule: map[string]uint64{}, byPrio: map[string]uint64{}, timed: timed}
}

func (s *replaySink) section(sec *scap.Section) error {
	s.st.Reset(sec)
	s.fc.Hostname = hostname(sec)
	return nil
}

func (s *replaySink) event(e *event.Event) error {
	s.events++
	if s.timed && s.events%sampleEvery == 0 {
		return s.timedEvent(e)
	}
	s.st.Apply(e)
	if !s.judged(e) {
		return nil
	}
	s.fc.Observe(e)
	s.alerts = s.eng.Process(s.fc, s.alerts[:0])
	return s.emit()
}

// timedEvent is event, with its stages measured.
func (s *replaySink) timedEvent(e *event.Event) error {
	t0 := time.Now()
	s.st.Apply(e)
	t1 := time.Now()
	s.stateNS += int64(t1.Sub(t0)) * sampleEvery
	if !s.judged(e) {
		return nil
	}
	s.fc.Observe(e)
	s.alerts = s.eng.Process(s.fc, s.alerts[:0])
	s.rulesNS += int64(time.Since(t1)) * sampleEvery
	return s.emit()
}

// judged reports whether rules see an event: not the container records a
// capture starts with, not events kept only for state, not internal
// events (as when reading a capture).
func (s *replaySink) judged(e *event.Event) bool {
	info := e.Info()
	if !s.begun {
		if info != nil && info.Name == "container" {
			return false
		}
		s.begun = true
	}
	if e.DumpFlags&event.DumpFlagStateOnly != 0 {
		return false
	}
	return info == nil || info.Category.Class() != event.CatInternal
}

func (s *replaySink) emit() error {
	for i := range s.alerts {
		a := &s.alerts[i]
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
	}
	return nil
}

func (s *replaySink) close() error { return s.w.Flush() }

// summary prints the events read and the alerts by priority and by rule.
func (s *replaySink) summary(w io.Writer) {
	fmt.Fprintf(w, "Events read: %d\n", s.events)
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
func (s *replaySink) stageTimes(w io.Writer, wall time.Duration) {
	total := float64(wall.Nanoseconds())
	read := total - float64(s.stateNS) - float64(s.rulesNS)
	pct := func(v float64) float64 { return 100 * v / total }
	fmt.Fprintf(w, "Stage times: %d events in %.3fs, %.0f events/s; read %.1f%%, state %.1f%%, rules %.1f%%\n",
		s.events, wall.Seconds(), float64(s.events)/wall.Seconds(), pct(read), pct(float64(s.stateNS)), pct(float64(s.rulesNS)))
}

func sortedKeys(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
