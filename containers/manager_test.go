package containers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/state"
)

// scripted is a runtime whose answers a test sets: the records it knows,
// after how many asks it knows them, how long it takes, and the error it
// fails with. Its events come from a channel the test feeds.
type scripted struct {
	name    string
	serves  state.ContainerType
	mu      sync.Mutex
	recs    map[string]*state.Container // by full id
	after   int                         // asks before it knows a container
	asks    atomic.Int32
	delay   time.Duration
	fail    error
	events  chan Event
	noWatch bool
}

func (s *scripted) Name() string                      { return s.name }
func (s *scripted) Serves(t state.ContainerType) bool { return t == s.serves }
func (s *scripted) Close() error                      { return nil }

func (s *scripted) Inspect(ctx context.Context, q Query) ([]*state.Container, error) {
	n := s.asks.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	r, ok := s.recs[q.FullID]
	if !ok || int(n) <= s.after {
		return nil, ErrNotFound
	}
	c := *r
	c.ID = q.ID
	return []*state.Container{&c}, nil
}

func (s *scripted) Watch(ctx context.Context, ch chan<- Event) error {
	if s.noWatch || s.events == nil {
		return errors.ErrUnsupported
	}
	for {
		select {
		case ev := <-s.events:
			ch <- ev
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

const fullA = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000"

// seen tells m of a container as the model does, from a docker cgroup.
func seen(m *Manager, full string) {
	c := state.MatchCgroups([]byte("cpu=/docker/" + full + "\x00"))
	m.ContainerSeen(&c, string(c.ID))
}

// waitRecord applies m's inbox to st until the container id has a record
// with a name, or fails after a while.
func waitRecord(t *testing.T, m *Manager, st *state.State, id string) *state.Container {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m.Ready() {
			m.ApplyTo(st)
		}
		if c := st.Container(id); c != nil && c.Name != "" {
			return c
		}
	}
	t.Fatalf("no record for %s", id)
	return nil
}

func newTestManager(t *testing.T, o Options, rts ...Runtime) *Manager {
	t.Helper()
	m := NewManager(rts, o)
	m.Start(context.Background())
	t.Cleanup(func() { m.Close() })
	return m
}

func TestManagerLooksUpOnce(t *testing.T) {
	rt := &scripted{name: "a", serves: state.CTDocker, recs: map[string]*state.Container{fullA: {FullID: fullA, Name: "web"}}}
	other := &scripted{name: "b", serves: state.CTPodman, recs: map[string]*state.Container{fullA: {FullID: fullA, Name: "wrong"}}}
	m := newTestManager(t, Options{}, other, rt)
	st := state.New()
	for range 10 {
		seen(m, fullA)
	}
	c := waitRecord(t, m, st, fullA[:12])
	if c.Name != "web" || c.ID != fullA[:12] {
		t.Errorf("record %+v", c)
	}
	if n := other.asks.Load(); n != 0 {
		t.Errorf("a runtime that does not serve docker containers was asked %d times", n)
	}
	if n := rt.asks.Load(); n > 2 {
		t.Errorf("asked %d times for one container", n)
	}
}

func TestManagerRetriesUntilKnown(t *testing.T) {
	rt := &scripted{name: "a", serves: state.CTDocker, after: 2, recs: map[string]*state.Container{fullA: {FullID: fullA, Name: "late"}}}
	m := newTestManager(t, Options{Retry: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}}, rt)
	st := state.New()
	seen(m, fullA)
	if c := waitRecord(t, m, st, fullA[:12]); c.Name != "late" {
		t.Errorf("record %+v", c)
	}
	if n := rt.asks.Load(); n != 3 {
		t.Errorf("asked %d times, want 3", n)
	}
}

func TestManagerGivesUp(t *testing.T) {
	rt := &scripted{name: "a", serves: state.CTDocker}
	m := newTestManager(t, Options{Retry: []time.Duration{time.Millisecond}}, rt)
	seen(m, fullA)
	for deadline := time.Now().Add(5 * time.Second); m.Stats().NotFound.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the lookup never ended")
		}
	}
	if n := rt.asks.Load(); n != 2 {
		t.Errorf("asked %d times, want 2 (one retry)", n)
	}
}

func TestManagerTimesOutAndReportsOnce(t *testing.T) {
	var logs bytes.Buffer
	slow := &scripted{name: "slow", serves: state.CTDocker, delay: time.Hour}
	m := newTestManager(t, Options{Timeout: 20 * time.Millisecond, Retry: []time.Duration{}, Log: slog.New(slog.NewTextHandler(&logs, nil))}, slow)
	start := time.Now()
	for i := range 5 {
		seen(m, strings.Repeat(string(rune('a'+i)), 64))
	}
	for deadline := time.Now().Add(5 * time.Second); m.Stats().Errors.Load() < 5; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 lookups timed out", m.Stats().Errors.Load())
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("5 lookups of a stalled runtime took %v", d)
	}
	m.Close() // its goroutines are done with the log
	if n := strings.Count(logs.String(), "container runtime failed"); n != 1 {
		t.Errorf("the failing runtime was reported %d times, want once:\n%s", n, logs.String())
	}
}

func TestManagerNeverBlocksTheCaller(t *testing.T) {
	slow := &scripted{name: "slow", serves: state.CTDocker, delay: time.Hour}
	m := newTestManager(t, Options{Timeout: time.Hour, Workers: 1}, slow)
	start := time.Now()
	for i := range 2 * queueLen {
		seen(m, strings.Repeat("0", 60)+hex4(i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("%d requests took %v", 2*queueLen, d)
	}
	if m.Stats().Dropped.Load() == 0 {
		t.Error("a full queue dropped nothing")
	}
}

func hex4(i int) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[i>>12&15], digits[i>>8&15], digits[i>>4&15], digits[i&15]})
}

func TestManagerFollowsEvents(t *testing.T) {
	rt := &scripted{name: "a", serves: state.CTDocker, events: make(chan Event),
		recs: map[string]*state.Container{fullA: {FullID: fullA, Name: "early"}}}
	m := newTestManager(t, Options{}, rt)
	st := state.New()
	// Created before any thread of it is seen: the record is there first.
	rt.events <- Event{Kind: Created, FullID: fullA}
	if c := waitRecord(t, m, st, fullA[:12]); c.Name != "early" {
		t.Errorf("record %+v", c)
	}
	// Started and the container's first thread ask nothing more.
	asked := rt.asks.Load()
	rt.events <- Event{Kind: Started, FullID: fullA}
	seen(m, fullA)
	time.Sleep(50 * time.Millisecond)
	if n := rt.asks.Load(); n != asked {
		t.Errorf("%d more lookups of a container its create event looked up", n-asked)
	}
	rt.events <- Event{Kind: Removed, FullID: fullA}
	for deadline := time.Now().Add(5 * time.Second); st.Container(fullA[:12]) != nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a removed container is still known")
		}
		m.ApplyTo(st)
	}
}
