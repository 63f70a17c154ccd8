package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// heldSource is a live source holding events that Next gives only after
// it has once reported the end of its context: a probe whose rings the
// reader had not drained yet when the capture was stopped.
type heldSource struct {
	held    []*event.Event
	stopped bool
}

func (s *heldSource) Next(ctx context.Context) (*event.Event, error) {
	if !s.stopped || len(s.held) == 0 {
		<-ctx.Done()
		s.stopped = true
		return nil, ctx.Err()
	}
	e := s.held[0]
	s.held = s.held[1:]
	return e, nil
}

func (s *heldSource) Pending() int        { return len(s.held) }
func (s *heldSource) Stats() driver.Stats { return driver.Stats{} }
func (s *heldSource) Close() error        { return nil }

// tsSink records the timestamps, types and dump flags of the events it is
// given.
type tsSink struct {
	ts    []uint64
	typed []string
}

func (s *tsSink) Close() error { return nil }
func (s *tsSink) Event(e *event.Event, _ pipeline.Kind) error {
	s.ts = append(s.ts, e.TS())
	s.typed = append(s.typed, fmt.Sprintf("%d/%d", e.Type(), e.DumpFlags))
	return nil
}

// Current exit codes of the tests.
const (
	closeX  = 5
	openatX = 307
	readX   = 7
	dup2X   = 363
)

// run runs src through a pipeline into sink.
func runInto(t *testing.T, ctx context.Context, src driver.Source, sink pipeline.Sink, limit uint64) {
	t.Helper()
	p := pipeline.New(src, &scap.Section{}, pipeline.Options{})
	p.Add(sink)
	if err := p.Run(ctx, limit); err != nil {
		t.Fatal(err)
	}
}

// TestLivePipelineDrains checks that a stopped live pipeline still hands
// over the events that happened before the stop, and none after it.
func TestLivePipelineDrains(t *testing.T) {
	now := uint64(time.Now().UnixNano())
	var src heldSource
	for _, ts := range []uint64{now - 3e6, now - 2e6, now - 1e6, now + 10e9, now - 5e5} {
		var e event.Event
		if err := e.Reset(evtest.MustRecord(event.Current(), ts, 100, closeX, map[string]any{"res": 0, "fd": 3})); err != nil {
			t.Fatal(err)
		}
		src.held = append(src.held, &e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sink tsSink
	runInto(t, ctx, &src, &sink, 0)
	if want := []uint64{now - 3e6, now - 2e6, now - 1e6}; !slices.Equal(sink.ts, want) {
		t.Errorf("pipeline handed over %v, want %v (up to the first event after the stop)", sink.ts, want)
	}
	// With a limit, the drain stops there too.
	src.held, src.stopped = src.held[:0], false
	for _, ts := range []uint64{now - 3e6, now - 2e6} {
		var e event.Event
		if err := e.Reset(evtest.MustRecord(event.Current(), ts, 100, closeX, map[string]any{"res": 0, "fd": 3})); err != nil {
			t.Fatal(err)
		}
		src.held = append(src.held, &e)
	}
	sink.ts = nil
	runInto(t, ctx, &src, &sink, 1)
	if len(sink.ts) != 1 {
		t.Errorf("with a limit of 1, pipeline handed over %d events", len(sink.ts))
	}
}

// TestCaptureFiltersBeforeConversion checks that the filter of a written
// live capture sees the events as the probe sends them: dup2 matches
// evt.type = dup2 although it is written as sysdig 0.29.3's dup pair; an
// open it does not match is written as state-only events, with its
// rebuilt enter event; a read it does not match is left out.
func TestCaptureFiltersBeforeConversion(t *testing.T) {
	prog, err := compileFilter("evt.type = dup2", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var evs []*event.Event
	for _, rec := range [][]byte{
		evtest.MustRecord(event.Current(), 1, 100, openatX, map[string]any{"fd": 3, "dirfd": -100, "name": "/etc/passwd", "flags": 1, "mode": 0, "dev": 0}),
		evtest.MustRecord(event.Current(), 2, 100, dup2X, map[string]any{"res": 10, "oldfd": 3, "newfd": 10}),
		evtest.MustRecord(event.Current(), 3, 100, readX, map[string]any{"res": 0, "data": []byte{}, "fd": 10, "size": 1}),
	} {
		var e event.Event
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, &e)
	}
	var buf bytes.Buffer
	sec := &scap.Section{}
	writeThrough(t, sec, evs, prog, func(*state.State) (pipeline.EventWriter, error) {
		return scap.NewWriter(&buf, sec, scap.WriterOptions{Profile: scap.ProfileSysdig029})
	})
	rd, err := scap.NewReader(&buf, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var e event.Event
	for rd.Next(&e) == nil {
		got = append(got, fmt.Sprintf("%d/%d", e.Type(), e.DumpFlags))
	}
	// openat 306/307 state-only, dup 124/125 (dup2 as 0.29.3 knew it)
	if want := []string{"306/1", "307/1", "124/0", "125/0"}; !slices.Equal(got, want) {
		t.Errorf("written %v, want %v (type/dump flags)", got, want)
	}
}
