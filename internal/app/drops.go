package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/rules"
)

// DropAction is what Kestrel does when the source drops events, as
// Falco's syscall_event_drops.actions say.
type DropAction string

// The actions of syscall_event_drops.
const (
	DropIgnore DropAction = "ignore"
	DropLog    DropAction = "log"
	DropAlert  DropAction = "alert"
	DropExit   DropAction = "exit"
)

// DropOptions are Falco's syscall_event_drops settings.
type DropOptions struct {
	// Threshold is the share of events lost in a second (0 to 1) above
	// which the actions run.
	Threshold float64
	Actions   []DropAction
	// Rate and MaxBurst bound how often the actions run: a token bucket
	// gaining Rate tokens a second, holding at most MaxBurst.
	Rate     float64
	MaxBurst float64
	// Simulate counts one drop more every second, to try the actions.
	Simulate bool
}

// DefaultDropOptions are Falco's defaults.
func DefaultDropOptions() DropOptions {
	return DropOptions{Threshold: 0.1, Actions: []DropAction{DropLog, DropAlert}, Rate: 0.03333, MaxBurst: 1}
}

// dropRule is the rule name of the alert about dropped events, Falco's.
const dropRule = "Falco internal: syscall event drop"

// ErrDropExit is returned by a run stopped by the exit action of
// syscall_event_drops.
var ErrDropExit = fmt.Errorf("stopped: events were dropped and syscall_event_drops.actions has exit")

// dropMonitor looks at the source's counters every second and acts on
// drops as syscall_event_drops says. It runs on its own goroutine: the
// source's Stats are safe to read from any goroutine.
type dropMonitor struct {
	o        DropOptions
	stats    func() driver.Stats
	publish  func(a alert.Alert)
	log      *slog.Logger
	hostname string

	last   driver.Stats
	tokens float64
	lastTS time.Time
	// Seen counts the seconds with drops over the threshold; Acted, those
	// the bucket let act.
	seen, acted uint64
}

func newDropMonitor(o DropOptions, stats func() driver.Stats, publish func(alert.Alert), log *slog.Logger, hostname string) *dropMonitor {
	return &dropMonitor{o: o, stats: stats, publish: publish, log: log, hostname: hostname, tokens: o.MaxBurst}
}

// run checks every second until ctx ends; it returns ErrDropExit when the
// exit action fires.
func (m *dropMonitor) run(ctx context.Context) error {
	m.last = m.stats()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if m.check(now, m.stats()) {
				return ErrDropExit
			}
		}
	}
}

// check compares s with the previous counters at time now, acts when
// due, and reports whether the exit action fired.
func (m *dropMonitor) check(now time.Time, s driver.Stats) bool {
	dEvents := s.Events - m.last.Events
	dDrops := s.Dropped() - m.last.Dropped()
	dRing := s.RingFull - m.last.RingFull
	m.last = s
	if m.o.Simulate {
		dDrops++
	}
	if dDrops == 0 || float64(dDrops)/float64(dEvents+dDrops) <= m.o.Threshold && !m.o.Simulate {
		return false
	}
	m.seen++
	if !m.claim(now) {
		m.log.Debug("events dropped, actions skipped: too many in a short time", "dropped", dDrops)
		return false
	}
	m.acted++
	return m.act(now, dEvents, dDrops, dRing)
}

// claim takes a token from the bucket, refilled at o.Rate per second.
func (m *dropMonitor) claim(now time.Time) bool {
	if !m.lastTS.IsZero() {
		m.tokens = min(m.o.MaxBurst, m.tokens+now.Sub(m.lastTS).Seconds()*m.o.Rate)
	}
	m.lastTS = now
	if m.tokens < 1 {
		return false
	}
	m.tokens--
	return true
}

// act runs the actions for a second with drops.
func (m *dropMonitor) act(now time.Time, events, drops, ring uint64) (exit bool) {
	msg := fmt.Sprintf("%s. %d system calls dropped in last second.", dropRule, drops)
	for _, a := range m.o.Actions {
		switch a {
		case DropLog:
			m.log.Warn(msg, "events", events, "dropped", drops, "ring_full", ring)
		case DropAlert:
			m.publish(m.alert(now, msg, events, drops, ring))
		case DropExit:
			m.log.Error(msg + " Exiting.")
			exit = true
		}
	}
	return exit
}

// alert is Falco's alert about drops: rule "Falco internal: syscall event
// drop", priority Debug, source "internal", its counters as strings.
func (m *dropMonitor) alert(now time.Time, msg string, events, drops, ring uint64) alert.Alert {
	fields := map[string]string{
		"n_evts": strconv.FormatUint(events+drops, 10), "n_drops": strconv.FormatUint(drops, 10),
		"n_drops_buffer_total": strconv.FormatUint(ring, 10), "ebpf_enabled": "1",
	}
	of, _ := json.Marshal(fields)
	prefix := now.Local().Format("15:04:05.000000000") + ": " + rules.PriorityDebug.String() + " "
	return alert.Alert{Time: now, Rule: dropRule, Priority: rules.PriorityDebug, Source: "internal",
		Hostname: m.hostname, Output: prefix + msg, OutputFields: of}
}
