package pipeline

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
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
	// With Records, the container records put in the model since the
	// last event, newer than generation gen, are written before it.
	records bool
	gen     uint64
	rec     []byte
	ev      event.Event
}

// NewWriter returns a sink writing to w; prog (nil: every event) is
// matched against fc.
func NewWriter(w EventWriter, fc *field.Context, prog *filter.Program) *Writer {
	s := &Writer{w: w, fc: fc, filter: prog}
	s.before, _ = w.(BeforeSink)
	return s
}

// WriteContainers makes the writer write a container event for each
// container record the model gains or changes (a live capture's: the
// runtimes' answers, and the containers first seen in cgroups), before
// the event that follows it, as sysdig writes them; so that readers of
// the capture know the containers' names and images. Records the model
// has when it is called are written before the next event.
func (s *Writer) WriteContainers() { s.records = true }

// writeRecords writes the container records newer than the last written,
// with e's time and no thread, as container events (NUL-terminated JSON).
func (s *Writer) writeRecords(e *event.Event) error {
	st := s.fc.State
	if st.ContainerGen() == s.gen {
		return nil
	}
	var news []*state.Container
	st.EachContainer(func(c *state.Container) {
		if c.Gen() > s.gen {
			news = append(news, c)
		}
	})
	slices.SortFunc(news, func(a, b *state.Container) int { return cmp.Compare(a.Gen(), b.Gen()) })
	s.gen = st.ContainerGen()
	for _, c := range news {
		if err := s.writeRecord(e.TS(), c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Writer) writeRecord(ts uint64, c *state.Container) error {
	var err error
	if s.rec, err = ContainerRecord(s.rec[:0], &s.ev, ts, c); err != nil {
		return err
	}
	return s.w.WriteEvent(&s.ev)
}

// ContainerRecord builds in dst, and points ev at, the container event
// that records c at time ts: a state-only CONTAINER_JSON_2_E with no
// thread, its JSON NUL-terminated, as sysdig writes them.
func ContainerRecord(dst []byte, ev *event.Event, ts uint64, c *state.Container) ([]byte, error) {
	dst, err := event.AppendRecord(dst, ts, -1, event.Type(containerJSON2), append(c.AppendJSON(nil), 0))
	if err != nil {
		return dst, fmt.Errorf("container %s record: %w", c.ID, err)
	}
	if err := ev.Reset(dst); err != nil {
		return dst, fmt.Errorf("container %s record: %w", c.ID, err)
	}
	ev.DumpFlags = event.DumpFlagStateOnly
	return dst, nil
}

// ContainersByGen returns st's container records in the order they were
// put in the model.
func ContainersByGen(st *state.State) []*state.Container {
	var cs []*state.Container
	st.EachContainer(func(c *state.Container) { cs = append(cs, c) })
	slices.SortFunc(cs, func(a, b *state.Container) int { return cmp.Compare(a.Gen(), b.Gen()) })
	return cs
}

// containerJSON2 is the event type of a container record (CONTAINER_JSON_2_E).
const containerJSON2 = 324

// Event writes e, or writes it state-only, or leaves it out.
func (s *Writer) Event(e *event.Event, k Kind) error {
	if s.records {
		if err := s.writeRecords(e); err != nil {
			return err
		}
	}
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
