package app

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/pipeline"
)

// pluginSource is a built-in source met in a capture's plugin events.
type pluginSource struct {
	kind sourceKind
	dec  eventDecoder
	// failed counts its events whose data did not decode.
	failed uint64
}

// pluginEvents makes the plugin events of a capture current in a field
// context as events of the built-in source their plugin id names, so
// that the source's fields (ka.*, json.value[…], evt.pluginname…) read
// them. It counts the events of plugins Kestrel does not know.
type pluginEvents struct {
	fc      *field.Context
	byID    map[uint32]*pluginSource
	unknown map[uint32]uint64 // events by unknown plugin id
}

// newPluginEvents returns the plugin event decoding of the stream fc
// observes.
func newPluginEvents(fc *field.Context) *pluginEvents {
	ps := &pluginEvents{fc: fc, byID: map[uint32]*pluginSource{}, unknown: map[uint32]uint64{}}
	for _, k := range sourceKinds() {
		ps.byID[k.pluginID] = &pluginSource{kind: k, dec: k.decoder()}
	}
	return ps
}

// pluginID returns the plugin id a plugin event carries; false when the
// record lacks it.
func pluginID(e *event.Event) (uint32, bool) {
	if e.NumParams() < 2 {
		return 0, false
	}
	raw := e.Param(0).Raw
	if len(raw) != 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(raw), true
}

// observe is called for each event after the field context observed it.
// A plugin event of a built-in source becomes that source's current event
// (fc.Plugin), keeping e as fc.Event so that its number, time and CPU are
// the capture's; observe returns its source. For any other event, or a
// plugin event that is unknown or does not decode, fc.Plugin is cleared
// and observe returns nil (with the decoding error, if any).
func (ps *pluginEvents) observe(e *event.Event) (*pluginSource, error) {
	ps.fc.Plugin = nil
	if e.Type() != event.PluginEventE {
		return nil, nil
	}
	id, ok := pluginID(e)
	src := ps.byID[id]
	if src == nil {
		ps.unknown[id]++
		return nil, nil
	}
	if !ok {
		src.failed++
		return nil, fmt.Errorf("%s event %d: plugin event without its plugin id", src.kind.name, e.Num)
	}
	if err := src.dec.Decode(ps.fc, e.Param(1).Raw, e.TS()); err != nil {
		src.failed++
		return nil, fmt.Errorf("%s event %d: %w", src.kind.name, e.Num, err)
	}
	ps.fc.Event = e
	return src, nil
}

// report prints, on w, the plugin events that were not judged or shown as
// events of their source: those of unknown plugins, by plugin id, and
// those whose data did not decode.
func (ps *pluginEvents) report(w io.Writer) {
	ids := make([]uint32, 0, len(ps.unknown))
	for id := range ps.unknown {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(w, "kestrel: %d plugin events of unknown plugin id %d skipped (Kestrel knows ids %s)\n", ps.unknown[id], id, knownPluginIDs())
	}
	for _, k := range sourceKinds() {
		if n := ps.byID[k.pluginID].failed; n > 0 {
			fmt.Fprintf(w, "kestrel: %d %s plugin events skipped: their data is no %s event\n", n, k.name, k.name)
		}
	}
}

// knownPluginIDs lists the plugin ids of the built-in sources, as
// "1 (k8s_audit), 2 (aws_cloudtrail), …".
func knownPluginIDs() string {
	kinds := sourceKinds()
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].pluginID < kinds[j].pluginID })
	var out string
	for i, k := range kinds {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%d (%s)", k.pluginID, k.name)
	}
	return out
}

// pluginFields is a sink that makes each plugin event of a built-in
// source current in the field context before the sinks after it (a
// printer, a capture writer) read it. Plugin events that do not decode
// are shown as events of no known plugin.
type pluginFields struct{ ps *pluginEvents }

// Event makes e's source event current when e is a plugin event.
func (s pluginFields) Event(e *event.Event, _ pipeline.Kind) error {
	s.ps.observe(e) // an event that does not decode shows as an unknown plugin's
	return nil
}

// Close does nothing.
func (s pluginFields) Close() error { return nil }

// pluginRules is the rules sink of a capture replay: it hands system
// call events to the syscall rules and judges each plugin event of a
// built-in source against that source's rules, so that the syscall rules
// never see plugin events. Events of plugins Kestrel does not know are
// counted, and those of a source without rules loaded too.
type pluginRules struct {
	syscall *pipeline.Rules
	ps      *pluginEvents
	eng     *engine.Engine
	emit    pipeline.AlertFunc
	warn    io.Writer
	alerts  []alert.Alert
	// unjudged counts, by source, the events of a source none of whose
	// rules runs.
	unjudged map[string]uint64
}

// newPluginRules returns the rules sink of a replay of the capture fc
// observes; syscall judges the system call events.
func newPluginRules(syscall *pipeline.Rules, eng *engine.Engine, fc *field.Context, emit pipeline.AlertFunc, warn io.Writer) *pluginRules {
	return &pluginRules{syscall: syscall, ps: newPluginEvents(fc), eng: eng, emit: emit, warn: warn, unjudged: map[string]uint64{}}
}

// Event judges e against the rules of its source.
func (s *pluginRules) Event(e *event.Event, k pipeline.Kind) error {
	s.ps.fc.Plugin = nil
	if e.Type() != event.PluginEventE {
		return s.syscall.Event(e, k)
	}
	if k != pipeline.Shown {
		return nil
	}
	src, err := s.ps.observe(e)
	if err != nil {
		fmt.Fprintf(s.warn, "kestrel: %v\n", err)
	}
	if src == nil {
		return nil
	}
	rs := s.eng.Source(src.kind.name)
	if rs == nil || len(rs.Selected()) == 0 {
		s.unjudged[src.kind.name]++
		return nil
	}
	s.alerts = rs.Process(s.ps.fc, s.alerts[:0])
	for i := range s.alerts {
		if err := s.emit(&s.alerts[i]); err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: alerts are handed over as they are made.
func (s *pluginRules) Close() error { return nil }

// report prints, on w, the plugin events that were not judged.
func (s *pluginRules) report(w io.Writer) {
	s.ps.report(w)
	for _, k := range sourceKinds() {
		if n := s.unjudged[k.name]; n > 0 {
			fmt.Fprintf(w, "kestrel: %d %s plugin events not judged: no rule of the %s source runs (give its rules with -r: %s)\n", n, k.name, k.name, k.rules)
		}
	}
}
