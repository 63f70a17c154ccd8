package pipeline

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/scap"
)

// EventWriter is where a [Writer] writes: a capture writer, or a capture
// split into several files.
type EventWriter interface {
	WriteEvent(e *event.Event) error
	StartSection(sec *scap.Section) error
	Close() error
}

// Writer copies events into a capture. With a filter, it copies the
// matching events, and marks "state only" the others that change the
// model (clone, execve, open, close…), so that a reader of the new
// capture still knows the processes and files the matching events refer
// to, as sysdig's own filtered captures do; the rest it leaves out.
type Writer struct {
	w      EventWriter
	before BeforeSink // w, when it looks at events before the model
	fc     *field.Context
	filter *filter.Program
}

// NewWriter returns a sink writing to w; prog (nil: every event) is
// matched against fc.
func NewWriter(w EventWriter, fc *field.Context, prog *filter.Program) *Writer {
	s := &Writer{w: w, fc: fc, filter: prog}
	s.before, _ = w.(BeforeSink)
	return s
}

// Event writes e, or writes it state-only, or leaves it out.
func (s *Writer) Event(e *event.Event, k Kind) error {
	if s.filter == nil {
		return s.w.WriteEvent(e)
	}
	if k&(StateOnly|Preamble) == 0 && s.filter.Match(s.fc) {
		return s.w.WriteEvent(e)
	}
	if info := e.Info(); info == nil || info.Flags&event.FlagModifiesState == 0 {
		return nil
	}
	saved := e.DumpFlags
	e.DumpFlags |= event.DumpFlagStateOnly
	err := s.w.WriteEvent(e)
	e.DumpFlags = saved
	return err
}

// Before hands e to the capture writer when it looks at events before the
// model applies them (see [BeforeSink]).
func (s *Writer) Before(e *event.Event) error {
	if s.before == nil {
		return nil
	}
	return s.before.Before(e)
}

// StartSection starts a new section of the capture.
func (s *Writer) StartSection(sec *scap.Section) error { return s.w.StartSection(sec) }

// Close ends the capture.
func (s *Writer) Close() error { return s.w.Close() }
