package state

import "github.com/kestrel-sec/kestrel/event"

// latency is what a thread keeps for evt.latency: when its latest enter
// event happened and how long its latest syscall took.
type latency struct {
	enterTS uint64 // time of the latest enter event; 0 before the first
	last    uint64 // exit time minus enterTS, set by each exit; 0 after an enter
}

// Latency returns the time between the thread's latest exit event and the
// enter event before it, in nanoseconds: 0 after an enter event, and 0
// until the thread has had one. As in sysdig, an exit without its own
// enter counts from the latest enter of whatever type.
func (t *Thread) Latency() uint64 { return t.lat.last }

// noteLatency updates the thread's latency for event e, which has schema
// info. Events sysdig does not time (scheduler switches, events it does
// not reset the thread for) leave it as it is.
func (th *Thread) noteLatency(e *event.Event, info *event.Info) {
	if info.Flags&event.FlagSkipParseReset != 0 || info.Category.Class() == event.CatInternal || info.Name == "switch" {
		return
	}
	if e.Type().IsEnter() {
		th.lat.enterTS, th.lat.last = e.TS(), 0
		return
	}
	if th.lat.enterTS != 0 && e.TS() >= th.lat.enterTS {
		th.lat.last = e.TS() - th.lat.enterTS
	}
}
