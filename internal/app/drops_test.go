package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/driver"
)

// TestDropMonitor checks Falco's syscall_event_drops: actions run when
// the share of events lost in a second passes the threshold, at most as
// often as the token bucket lets them; the alert has Falco's rule,
// priority, source and counters.
func TestDropMonitor(t *testing.T) {
	var logs bytes.Buffer
	var alerts []alert.Alert
	o := DefaultDropOptions()
	o.Actions = append(o.Actions, DropExit)
	m := newDropMonitor(o, nil, func(a alert.Alert) { alerts = append(alerts, a) },
		slog.New(slog.NewTextHandler(&logs, nil)), "node-1")
	t0 := time.Unix(1_700_000_000, 0)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// 5% lost: under the threshold of 10%.
	if m.check(at(1), driver.Stats{Events: 950, RingFull: 50}) || len(alerts) != 0 {
		t.Fatalf("acted on 5%% drops: %d alerts", len(alerts))
	}
	// 50% lost in the next second: every action.
	if !m.check(at(2), driver.Stats{Events: 1950, RingFull: 1050}) {
		t.Error("exit action did not fire")
	}
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	if a.Rule != "Falco internal: syscall event drop" || a.Priority.String() != "Debug" || a.Source != "internal" || a.Hostname != "node-1" {
		t.Errorf("alert %+v", a)
	}
	if !strings.HasSuffix(a.Output, "Debug Falco internal: syscall event drop. 1000 system calls dropped in last second.") {
		t.Errorf("output %q", a.Output)
	}
	var fields map[string]string
	if err := json.Unmarshal(a.OutputFields, &fields); err != nil || fields["n_drops"] != "1000" || fields["n_evts"] != "2000" || fields["n_drops_buffer_total"] != "1000" {
		t.Errorf("output fields %s (%v)", a.OutputFields, err)
	}
	if !strings.Contains(logs.String(), "1000 system calls dropped") {
		t.Errorf("log:\n%s", &logs)
	}
	// More drops a second later: the bucket (1 token, 1 per 30 s) is empty.
	if m.check(at(3), driver.Stats{Events: 2950, RingFull: 2050}) || len(alerts) != 1 {
		t.Errorf("acted again within the bucket's period: %d alerts", len(alerts))
	}
	// 31 seconds later it has a token again.
	m.check(at(33), driver.Stats{Events: 3950, RingFull: 3050})
	if len(alerts) != 2 || m.seen != 3 || m.acted != 2 {
		t.Errorf("%d alerts, %d seconds with drops, %d acted on", len(alerts), m.seen, m.acted)
	}
}
