package field

import (
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Context is what extractors read: the current event, the host state it
// was applied to, and the stream facts relative times need. One goroutine
// owns a Context and calls [Context.Observe] for every event in order.
type Context struct {
	Event    *event.Event
	State    *state.State // may be nil: state fields are then unavailable
	Resolver event.Resolver
	// Location is the time zone of evt.time and friends (time.Local by default).
	Location *time.Location
	// Hostname is the name of the machine the events come from (evt.hostname).
	Hostname string
	// Plugin is the current event of a source other than syscall (a
	// Kubernetes audit event, …), whose own fields read it; nil for system
	// call events. Event then views the plugin event record that carries
	// its time and number.
	Plugin PluginEvent

	seq      uint64 // events observed
	firstTS  uint64 // timestamp of the first event of the stream
	prevShow uint64 // timestamp of the previous shown event

	times []timeCache // formatted seconds, one per time layout in use
	cpu   cpuTimes    // what thread.exectime and thread.cpu remember (proc_time.go)
}

// NewContext returns a Context for one event stream.
func NewContext(st *state.State) *Context {
	return &Context{State: st, Location: time.Local}
}

// Observe makes e the current event and updates the stream facts.
func (c *Context) Observe(e *event.Event) {
	c.Event = e
	c.seq++
	if c.firstTS == 0 {
		c.firstTS = e.TS()
	}
}

// Seq numbers the events observed, from 1 (0 before the first): a value
// computed from one event can be kept while Seq is unchanged.
func (c *Context) Seq() uint64 { return c.seq }

// Shown records that the current event was printed, for evt.deltatime.
func (c *Context) Shown() { c.prevShow = c.Event.TS() }

// Thread returns the model's thread of the current event, or nil.
func (c *Context) Thread() *state.Thread {
	if c.State == nil {
		return nil
	}
	return c.State.Thread(c.Event.TID())
}

// PluginEvent is the current event of a source other than syscall, as the
// generic fields see it.
type PluginEvent interface {
	// SourceName is the event source the event belongs to (evt.source),
	// the name rules give in their source key.
	SourceName() string
	// PluginName is the name of the upstream plugin the source stands in
	// for (evt.pluginname).
	PluginName() string
	// AppendInfo appends a one-line summary of the event (evt.plugininfo).
	AppendInfo(dst []byte) []byte
}
