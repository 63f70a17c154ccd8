package app

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
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

func (s *tsSink) section(*scap.Section) error { return nil }
func (s *tsSink) close() error                { return nil }
func (s *tsSink) event(e *event.Event) error {
	s.ts = append(s.ts, e.TS())
	s.typed = append(s.typed, fmt.Sprintf("%d/%d", e.Type(), e.DumpFlags))
	return nil
}

// TestLivePumpDrains checks that a stopped live pump still hands over
// the events that happened before the stop, and none after it.
func TestLivePumpDrains(t *testing.T) {
	now := uint64(time.Now().UnixNano())
	var src heldSource
	for _, ts := range []uint64{now - 3e6, now - 2e6, now - 1e6, now + 10e9, now - 5e5} {
		var e event.Event
		if err := e.Reset(current(t, ts, lwCloseX, map[string]any{"res": 0, "fd": 3})); err != nil {
			t.Fatal(err)
		}
		src.held = append(src.held, &e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sink tsSink
	if err := newLivePump(&sink, false, nil, nil).run(ctx, &src, 0); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{now - 3e6, now - 2e6, now - 1e6}; len(sink.ts) != len(want) || sink.ts[0] != want[0] || sink.ts[2] != want[2] {
		t.Errorf("pump handed over %v, want %v (up to the first event after the stop)", sink.ts, want)
	}
	// With a limit, the drain stops there too.
	src.held, src.stopped = src.held[:0], false
	for _, ts := range []uint64{now - 3e6, now - 2e6} {
		var e event.Event
		if err := e.Reset(current(t, ts, lwCloseX, map[string]any{"res": 0, "fd": 3})); err != nil {
			t.Fatal(err)
		}
		src.held = append(src.held, &e)
	}
	sink.ts = nil
	if err := newLivePump(&sink, false, nil, nil).run(ctx, &src, 1); err != nil {
		t.Fatal(err)
	}
	if len(sink.ts) != 1 {
		t.Errorf("with a limit of 1, pump handed over %d events", len(sink.ts))
	}
}

// TestLivePumpFiltersBeforeConversion checks that the filter of a written
// live capture sees the events as the probe sends them: dup2 matches
// evt.type = dup2 although it is written as sysdig 0.29.3's dup pair; an
// open it does not match is written as state-only events, with its
// rebuilt enter event; a read it does not match is left out.
func TestLivePumpFiltersBeforeConversion(t *testing.T) {
	prog, err := compileFilter("evt.type = dup2")
	if err != nil {
		t.Fatal(err)
	}
	var src heldSource
	for _, rec := range [][]byte{
		current(t, 1, lwOpenatX, map[string]any{"fd": 3, "dirfd": -100, "name": "/etc/passwd", "flags": 1, "mode": 0, "dev": 0}),
		current(t, 2, lwDup2X, map[string]any{"res": 10, "oldfd": 3, "newfd": 10}),
		current(t, 3, lwReadX, map[string]any{"res": 0, "data": []byte{}, "fd": 10, "size": 1}),
	} {
		var e event.Event
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		src.held = append(src.held, &e)
	}
	var sink tsSink
	p := newLivePump(&sink, true, prog, &scap.Section{})
	for _, e := range src.held {
		if err := p.event(e); err != nil {
			t.Fatal(err)
		}
	}
	// openat 306/307 state-only, dup 124/125 (dup2 as 0.29.3 knew it)
	if want := []string{"306/1", "307/1", "124/0", "125/0"}; !slices.Equal(sink.typed, want) {
		t.Errorf("written %v, want %v (type/dump flags)", sink.typed, want)
	}
}
