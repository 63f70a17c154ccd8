// Package pipeline is the one path every event takes: from a
// [driver.Source] (the live probe or a capture file) through one model of
// the host ([state.State]) and one [field.Context] to the sinks a command
// chooses: a printer ([Printer]), a capture writer ([Writer]), the rules
// engine ([Rules]). A command is a choice of source and sinks.
//
// A Pipeline is driven by one goroutine, the one that calls
// [Pipeline.Run]; its sinks run on that goroutine, in the order they
// were added, after the model has applied the event.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// Kind says what an event is to the sinks, besides what it says itself:
// sinks that show or judge events take only those of kind Shown.
type Kind uint8

const (
	// Shown is an event readers show and rules judge.
	Shown Kind = 0
	// StateOnly marks an event a capture keeps only so that its readers
	// keep the model right (dump flag [event.DumpFlagStateOnly]).
	StateOnly Kind = 1 << iota
	// Internal marks an event of the internal class (procinfo, drop
	// notices…), which readers hide unless asked.
	Internal
	// Preamble marks the container records a capture starts with, which
	// readers apply but never show. The field context does not observe
	// them.
	Preamble
)

// Sink receives every event after the model has applied it. The event
// and its bytes are valid only during the call; a sink that needs the
// current event's fields reads them from the pipeline's [field.Context],
// which has observed it (but for [Preamble] events).
type Sink interface {
	Event(e *event.Event, k Kind) error
	// Close flushes what the sink holds and releases it.
	Close() error
}

// SectionSink is a sink told when a concatenated capture starts a new
// section, after the model was reset to it.
type SectionSink interface {
	StartSection(sec *scap.Section) error
}

// BeforeSink is a sink that looks at each event before the model applies
// it (a capture split into files takes each file's initial state then).
type BeforeSink interface {
	Before(e *event.Event) error
}

// IdleSink is a sink told when a live source has given every event it
// holds, before the pipeline waits for more: a printer flushes then, so
// that live output is never held back, yet written in large writes when
// events come fast.
type IdleSink interface {
	Idle() error
}

// sectioned is a source whose events come in sections, each with its own
// initial state: a capture file.
type sectioned interface {
	Section() *scap.Section
	SectionNum() int
}

// pending is a live source that may still hold events when it is stopped.
type pending interface{ Pending() int }

// Inbox holds what other goroutines have found for the model (container
// records from the runtimes): the pipeline applies it between two events,
// on its own goroutine, so the model needs no lock.
type Inbox interface {
	// Ready reports, cheaply, whether there is anything to apply.
	Ready() bool
	// ApplyTo applies to st what is there, without waiting.
	ApplyTo(st *state.State)
}

// Options configure [New]; the zero value is the default.
type Options struct {
	// Hostname is the name of the machine the events come from
	// (evt.hostname); the name a capture section records when empty.
	Hostname string
	// TimeState measures the time the model takes to apply events
	// ([Pipeline.StateTime]).
	TimeState bool
	// Count keeps [Counters] for metrics.
	Count bool
	// Sweep, for a live source, removes every Sweep of event time the
	// threads idle that long that no longer exist under ProcRoot (see
	// [state.State.Sweep]); 0: never.
	Sweep    time.Duration
	ProcRoot string
	// Inbox, when set, is applied to the model before each event that
	// finds it ready.
	Inbox Inbox
}

// Pipeline owns a source, the model of the host and the field context,
// and hands each event to its sinks.
type Pipeline struct {
	src       driver.Source
	sect      sectioned // src, when it has sections
	pend      pending   // src, when it is live
	sectNum   int
	st        *state.State
	fc        *field.Context
	opts      Options
	sinks     []Sink
	before    []BeforeSink
	idlers    []IdleSink
	begun     bool // an event that is not a container record was seen
	events    uint64
	stateNS   int64     // with Options.TimeState
	counters  *Counters // with Options.Count
	nextSweep uint64    // event time of the next sweep (Options.Sweep)
	swept     uint64
	closed    bool
}

// New returns a pipeline over src whose model starts from sec (a capture's
// first section, or a snapshot of the live host). It owns src from then
// on: [Pipeline.Close] closes it.
func New(src driver.Source, sec *scap.Section, o Options) *Pipeline {
	st := state.FromSection(sec)
	fc := field.NewContext(st)
	fc.Resolver = st
	p := &Pipeline{src: src, st: st, fc: fc, opts: o}
	p.setHostname(sec)
	if s, ok := src.(sectioned); ok {
		p.sect, p.sectNum = s, s.SectionNum()
	}
	p.pend, _ = src.(pending)
	if o.Count {
		p.counters = newCounters()
		p.publish(0)
	}
	return p
}

// State returns the model of the host.
func (p *Pipeline) State() *state.State { return p.st }

// Context returns the field context, for the sinks to read the current
// event's fields and for the command to set its time zone.
func (p *Pipeline) Context() *field.Context { return p.fc }

// Source returns the source.
func (p *Pipeline) Source() driver.Source { return p.src }

// Events returns how many events the source gave.
func (p *Pipeline) Events() uint64 { return p.events }

// Counters returns the pipeline's counters, nil unless Options.Count.
func (p *Pipeline) Counters() *Counters { return p.counters }

// StateTime returns the time the model took to apply events, when
// measured (Options.TimeState).
func (p *Pipeline) StateTime() time.Duration { return time.Duration(p.stateNS) }

// Add appends sinks; they see events in the order they were added.
func (p *Pipeline) Add(sinks ...Sink) {
	for _, s := range sinks {
		p.sinks = append(p.sinks, s)
		if b, ok := s.(BeforeSink); ok {
			p.before = append(p.before, b)
		}
		if i, ok := s.(IdleSink); ok {
			p.idlers = append(p.idlers, i)
		}
	}
}

// Run hands the source's events to the sinks until the source ends
// (io.EOF: nil), limit events went by (0: no limit) or ctx ends. When ctx
// ends, a live source's events that happened before are still handed
// over (see drain) and Run returns nil; a file source returns ctx.Err().
func (p *Pipeline) Run(ctx context.Context, limit uint64) error {
	for n := uint64(0); limit == 0 || n < limit; n++ {
		e, err := p.src.Next(ctx)
		if err != nil {
			return p.end(err, limit, n)
		}
		if err := p.Apply(e); err != nil {
			return err
		}
		if len(p.idlers) > 0 && p.pend != nil && p.pend.Pending() == 0 {
			if err := p.idle(); err != nil {
				return err
			}
		}
	}
	return nil
}

// idle tells the idle sinks that the source holds nothing more for now.
func (p *Pipeline) idle() error {
	for _, s := range p.idlers {
		if err := s.Idle(); err != nil {
			return err
		}
	}
	return nil
}

// end returns what Run returns when the source returned err after n
// events.
func (p *Pipeline) end(err error, limit, n uint64) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, driver.ErrClosed):
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if p.pend == nil {
			return err
		}
		left := uint64(0)
		if limit > 0 {
			left = limit - n
		}
		return p.drain(uint64(time.Now().UnixNano()), left)
	}
	return err
}

// Apply takes one event through the model and the sinks, as Run does
// with the source's events.
func (p *Pipeline) Apply(e *event.Event) error {
	p.events++
	if p.sect != nil && p.sect.SectionNum() != p.sectNum {
		if err := p.startSection(); err != nil {
			return err
		}
	}
	for _, b := range p.before {
		if err := b.Before(e); err != nil {
			return err
		}
	}
	if p.opts.Inbox != nil && p.opts.Inbox.Ready() {
		p.opts.Inbox.ApplyTo(p.st)
	}
	k := p.kind(e)
	if p.opts.TimeState {
		t0 := time.Now()
		p.st.Apply(e)
		p.stateNS += int64(time.Since(t0))
	} else {
		p.st.Apply(e)
	}
	if k&Preamble == 0 {
		p.fc.Observe(e)
	}
	if p.counters != nil {
		p.count(e)
	}
	if p.opts.Sweep > 0 && e.TS() >= p.nextSweep {
		p.sweep(e.TS())
	}
	for _, s := range p.sinks {
		if err := s.Event(e, k); err != nil {
			return err
		}
	}
	return nil
}

// sweep removes the threads gone from the host (see Options.Sweep); the
// first call only sets the time of the next.
func (p *Pipeline) sweep(now uint64) {
	if p.nextSweep != 0 {
		p.swept += uint64(p.st.Sweep(p.opts.ProcRoot, now, p.opts.Sweep))
	}
	p.nextSweep = now + uint64(p.opts.Sweep)
}

// Swept returns how many threads sweeps removed.
func (p *Pipeline) Swept() uint64 { return p.swept }

// kind classifies e for the sinks.
func (p *Pipeline) kind(e *event.Event) Kind {
	info := e.Info()
	if !p.begun {
		if info != nil && info.Name == "container" {
			return Preamble
		}
		p.begun = true
	}
	var k Kind
	if e.DumpFlags&event.DumpFlagStateOnly != 0 {
		k |= StateOnly
	}
	if info != nil && info.Category.Class() == event.CatInternal {
		k |= Internal
	}
	return k
}

// startSection resets the model to the source's new section and tells the
// sinks.
func (p *Pipeline) startSection() error {
	p.sectNum = p.sect.SectionNum()
	sec := p.sect.Section()
	p.st.Reset(sec)
	p.setHostname(sec)
	for _, s := range p.sinks {
		if ss, ok := s.(SectionSink); ok {
			if err := ss.StartSection(sec); err != nil {
				return fmt.Errorf("section %d: %w", p.sectNum, err)
			}
		}
	}
	return nil
}

func (p *Pipeline) setHostname(sec *scap.Section) {
	p.fc.Hostname = p.opts.Hostname
	if p.fc.Hostname == "" && sec != nil && sec.Machine != nil {
		p.fc.Hostname = sec.Machine.Hostname
	}
}

// drainTime bounds how long a stopping pipeline waits for the events that
// happened before the stop.
const drainTime = time.Second

// drain hands over, at most left of them (0: no limit), the events that a
// live source still holds from before stop (ns since the epoch): it stops
// at the first younger event, when the source holds none, or after
// drainTime.
func (p *Pipeline) drain(stop, left uint64) error {
	pend := p.pend
	ctx, cancel := context.WithTimeout(context.Background(), drainTime)
	defer cancel()
	for n := uint64(0); (left == 0 || n < left) && pend.Pending() > 0; n++ {
		e, err := p.src.Next(ctx)
		if err != nil || e.TS() > stop {
			return nil
		}
		if err := p.Apply(e); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the sinks, in order, then the source; it returns the first
// error. Later calls do nothing.
func (p *Pipeline) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var first error
	for _, s := range p.sinks {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	if err := p.src.Close(); err != nil && first == nil {
		first = err
	}
	return first
}
