package app

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// openReadInputs opens the inputs of a read, each a capture or a file of
// a built-in source's events, and returns the source of their events
// merged by time, and the state the model starts from: the initial state
// of the first capture among them (nil when none is a capture).
func openReadInputs(ctx context.Context, paths []string, stderr io.Writer) (driver.Source, *scap.Section, error) {
	var (
		srcs  []driver.Source
		names []string
		first *scapfile.Source
	)
	for _, path := range paths {
		src, err := openReadInput(ctx, path, stderr)
		if err != nil {
			for _, s := range srcs {
				s.Close()
			}
			return nil, nil, err
		}
		srcs, names = append(srcs, src), append(names, path)
		if c, ok := src.(*scapfile.Source); ok && first == nil {
			first = c
		}
	}
	var sec *scap.Section
	if first != nil {
		sec = first.Initial()
	}
	if len(srcs) == 1 {
		return srcs[0], sec, nil
	}
	return newMergedSource(srcs, names, first), sec, nil
}

// openReadInput opens one input of a read: a file (or directory) of a
// built-in source's events when replay would take it for one, else a
// capture.
func openReadInput(ctx context.Context, path string, stderr io.Writer) (driver.Source, error) {
	kind, ok, err := replaySource(ReplayOptions{Path: path})
	if err != nil {
		return nil, err
	}
	if ok {
		return readSourceFile(ctx, kind, path, stderr)
	}
	src, err := scapfile.Open(ctx, path, scapfile.Options{})
	if err != nil {
		return nil, err
	}
	return src, nil
}

// sourceFile yields the events of a file of a built-in source's events as
// a capture holds them: plugin event records carrying the source's
// plugin id and the event's JSON, in time order. The file is read into
// memory first, as its reader hands over events only through a callback,
// and sorted by time (stably), since logs are not always in time order.
type sourceFile struct {
	name string
	id   [4]byte
	data []byte      // the events' JSON, one after the other
	evs  []fileEvent // sorted by time
	next int
	rec  []byte
	ev   event.Event
}

// fileEvent is one event of a sourceFile: its time and its JSON's place
// in the file's data.
type fileEvent struct {
	ts       uint64
	off, end int
}

// readSourceFile reads the events of a file or directory of kind's
// events. Malformed lines or events are skipped and counted on stderr.
func readSourceFile(ctx context.Context, kind sourceKind, path string, stderr io.Writer) (*sourceFile, error) {
	f := &sourceFile{name: path}
	binary.LittleEndian.PutUint32(f.id[:], kind.pluginID)
	stats := &jsonsrc.Stats{}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	err := kind.read(ctx, path, stats, log, func(data []byte, ts uint64) {
		f.evs = append(f.evs, fileEvent{ts: ts, off: len(f.data), end: len(f.data) + len(data)})
		f.data = append(f.data, data...)
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if n := stats.Snapshot().Invalid; n > 0 {
		fmt.Fprintf(stderr, "kestrel: %s: %d malformed lines or events skipped\n", path, n)
	}
	sort.SliceStable(f.evs, func(i, j int) bool { return f.evs[i].ts < f.evs[j].ts })
	return f, nil
}

// Next returns the next event, valid until the following call; io.EOF
// after the last.
func (f *sourceFile) Next(ctx context.Context) (*event.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.next >= len(f.evs) {
		return nil, io.EOF
	}
	fe := f.evs[f.next]
	f.next++
	rec, err := event.AppendRecord(f.rec[:0], fe.ts, -1, event.PluginEventE, f.id[:], f.data[fe.off:fe.end])
	if err == nil {
		f.rec = rec
		err = f.ev.Reset(rec)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: event %d: %w", f.name, f.next, err)
	}
	f.ev.Num = uint64(f.next)
	return &f.ev, nil
}

// Stats returns the events delivered.
func (f *sourceFile) Stats() driver.Stats { return driver.Stats{Events: uint64(f.next)} }

// Close releases the events.
func (f *sourceFile) Close() error {
	f.data, f.evs = nil, nil
	return nil
}

// mergedSource yields the events of several sources merged by time: each
// time the earliest of their next events, the earlier input's on equal
// times. Each input is taken to be in time order. Events are numbered
// anew in the merged order. Its sections are those of one capture among
// the inputs, sect: a new section starts with that capture's first event
// of it.
type mergedSource struct {
	ins     []mergeInput
	section *scap.Section // of the latest event of the sectioned input given
	sectNum int
	num     uint64
}

// mergeInput is one source of a mergedSource and its next event.
type mergeInput struct {
	name string
	src  driver.Source
	head *event.Event // its next event, once fetched
	need bool         // head is to be fetched
	done bool         // the source has no more events
	// sect is src when the merged stream has its sections (else nil),
	// and section and sectNum those of head.
	sect    *scapfile.Source
	section *scap.Section
	sectNum int
}

// newMergedSource merges srcs, named by names (for errors); sect, when
// not nil, is the one among them whose sections the merged stream has.
func newMergedSource(srcs []driver.Source, names []string, sect *scapfile.Source) *mergedSource {
	m := &mergedSource{}
	if sect != nil {
		m.section, m.sectNum = sect.Section(), sect.SectionNum()
	}
	for i, s := range srcs {
		in := mergeInput{name: names[i], src: s, need: true}
		if sect != nil && s == driver.Source(sect) {
			in.sect = sect
		}
		m.ins = append(m.ins, in)
	}
	return m
}

// Next returns the earliest next event of the inputs, valid until the
// following call; io.EOF when every input has ended.
func (m *mergedSource) Next(ctx context.Context) (*event.Event, error) {
	best := -1
	for i := range m.ins {
		in := &m.ins[i]
		if err := m.fetch(ctx, in); err != nil {
			return nil, err
		}
		if !in.done && (best < 0 || in.head.TS() < m.ins[best].head.TS()) {
			best = i
		}
	}
	if best < 0 {
		return nil, io.EOF
	}
	in := &m.ins[best]
	in.need = true
	if in.sect != nil {
		m.section, m.sectNum = in.section, in.sectNum
	}
	m.num++
	in.head.Num = m.num
	return in.head, nil
}

// fetch reads in's next event when it needs one.
func (m *mergedSource) fetch(ctx context.Context, in *mergeInput) error {
	if !in.need || in.done {
		return nil
	}
	e, err := in.src.Next(ctx)
	switch {
	case errors.Is(err, io.EOF):
		in.done, in.head = true, nil
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", in.name, err)
	}
	in.head, in.need = e, false
	if in.sect != nil {
		in.section, in.sectNum = in.sect.Section(), in.sect.SectionNum()
	}
	return nil
}

// Section returns the section of the sectioned input's latest event
// given (its first section before any); nil without one.
func (m *mergedSource) Section() *scap.Section { return m.section }

// SectionNum numbers the section Section returns.
func (m *mergedSource) SectionNum() int { return m.sectNum }

// Stats returns the events delivered.
func (m *mergedSource) Stats() driver.Stats { return driver.Stats{Events: m.num} }

// Close closes every input and returns the first error.
func (m *mergedSource) Close() error {
	var first error
	for _, in := range m.ins {
		if err := in.src.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
