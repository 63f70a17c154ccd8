package field

import (
	"strconv"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/event"
)

const nsPerSec = 1_000_000_000

func evtFields() []Def {
	defs := evtTimeFields()
	for _, g := range [][]Def{evtArgFields(), evtClassFields(), evtLatencyFields(), evtSourceFields(), evtTableFields()} {
		defs = append(defs, g...)
	}
	return defs
}

func evtTimeFields() []Def {
	return []Def{
		{Name: "evt.num", Type: event.PTUint64, Desc: "event number, counted from 1 in the stream",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return strconv.AppendUint(d, c.Event.Num, 10), true }},
		{Name: "evt.time", Type: event.PTCharBuf, Desc: "event time as HH:MM:SS.nnnnnnnnn (local time zone)",
			Text: timeText("15:04:05.000000000"), JSON: rawTime, JSONRaw: true},
		{Name: "evt.time.s", Type: event.PTCharBuf, Desc: "event time as HH:MM:SS",
			Text: timeText("15:04:05"), JSON: rawTime, JSONRaw: true},
		{Name: "evt.time.iso8601", Type: event.PTCharBuf, Desc: "event time in ISO 8601 with nanoseconds and zone offset",
			Text: timeText("2006-01-02T15:04:05.000000000-0700"), JSON: rawTime, JSONRaw: true},
		{Name: "evt.datetime", Type: event.PTCharBuf, Desc: "event date and time as YYYY-MM-DD HH:MM:SS.nnnnnnnnn",
			Text: timeText("2006-01-02 15:04:05.000000000"), JSON: rawTime, JSONRaw: true},
		{Name: "evt.datetime.s", Type: event.PTCharBuf, Desc: "event date and time as YYYY-MM-DD HH:MM:SS",
			Text: timeText("2006-01-02 15:04:05"), JSON: rawTime, JSONRaw: true},
		{Name: "evt.outputtime", Type: event.PTCharBuf, Desc: "event time as the default output prints it (evt.time)",
			Text: timeText("15:04:05.000000000"), JSON: rawTime, JSONRaw: true},
		{Name: "evt.rawtime", Type: event.PTAbsTime, Desc: "event time in nanoseconds since the epoch", Text: rawTime},
		number("evt.rawtime.s", event.PTAbsTime, "integer part of the event time in seconds since the epoch",
			func(c *Context) uint64 { return c.Event.TS() / nsPerSec }),
		absTime(nanos("evt.rawtime.ns", "fractional part of the event time, nine digits",
			func(c *Context) uint64 { return c.Event.TS() % nsPerSec })),
		nanos("evt.reltime", "nanoseconds since the first event of the stream, at least nine digits", (*Context).rel),
		number("evt.reltime.s", event.PTRelTime, "whole seconds since the first event of the stream",
			func(c *Context) uint64 { return c.rel() / nsPerSec }),
		nanos("evt.reltime.ns", "fractional part of evt.reltime, nine digits",
			func(c *Context) uint64 { return c.rel() % nsPerSec }),
		number("evt.deltatime", event.PTRelTime, "nanoseconds since the previous shown event", (*Context).delta),
		number("evt.deltatime.s", event.PTRelTime, "whole seconds of evt.deltatime",
			func(c *Context) uint64 { return c.delta() / nsPerSec }),
		nanos("evt.deltatime.ns", "fractional part of evt.deltatime, nine digits",
			func(c *Context) uint64 { return c.delta() % nsPerSec }),
		{Name: "evt.dir", Type: event.PTCharBuf, Desc: "direction: > for enter events, < for exit events",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return append(d, c.Event.Type().Dir()), true }},
		{Name: "evt.type", Type: event.PTCharBuf, Desc: "event type: the syscall name (open, execve) or event name (procexit, switch)",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return appendEventType(d, c.Event), true }},
		{Name: "evt.cpu", Type: event.PTInt16, Desc: "CPU that produced the event",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
				return strconv.AppendUint(d, uint64(c.Event.CPU), 10), true
			}},
		{Name: "evt.args", Type: event.PTCharBuf, Desc: "all arguments as name=value pairs",
			Text: args(event.DefaultBufLen), JSON: args(0)},
		{Name: "evt.info", Type: event.PTCharBuf, Desc: "the arguments, as the default output shows them",
			Text: args(event.DefaultBufLen), JSON: args(0)},
	}
}

func (c *Context) rel() uint64 { return c.Event.TS() - c.firstTS }

func (c *Context) delta() uint64 {
	if c.prevShow == 0 || c.Event.TS() < c.prevShow {
		return 0
	}
	return c.Event.TS() - c.prevShow
}

// number defines a field whose value is an unsigned number.
func number(name string, t event.ParamType, desc string, v func(*Context) uint64) Def {
	return Def{Name: name, Type: t, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return strconv.AppendUint(d, v(c), 10), true }}
}

// nanos defines a sub-second field: nine digits in text, a number in JSON.
func nanos(name, desc string, v func(*Context) uint64) Def {
	d := number(name, event.PTRelTime, desc, v)
	d.JSON = d.Text
	d.Text = func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return pad9(d, v(c)), true }
	return d
}

// absTime types a time field as a point in time, as libsinsp types
// evt.rawtime.ns.
func absTime(d Def) Def {
	d.Type = event.PTAbsTime
	return d
}

func rawTime(d []byte, c *Context, _ *Arg) ([]byte, bool) {
	return strconv.AppendUint(d, c.Event.TS(), 10), true
}

func timeText(layout string) Extractor {
	tl := newTimeLayout(layout)
	return func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return c.appendTime(d, tl), true }
}

// timeLayout is a time layout split around its nanoseconds (".000000000"),
// so that the rest can be formatted once per second.
type timeLayout struct {
	before, after string
	frac          bool
}

const fracLayout = ".000000000"

func newTimeLayout(layout string) *timeLayout {
	if i := strings.Index(layout, fracLayout); i >= 0 {
		return &timeLayout{before: layout[:i], after: layout[i+len(fracLayout):], frac: true}
	}
	return &timeLayout{before: layout}
}

// timeCache holds the text of one layout for one second in one location.
type timeCache struct {
	layout        *timeLayout
	loc           *time.Location
	sec           int64
	before, after []byte
}

// appendTime appends the current event's time in layout tl. Events of the
// same second share the text around the nanoseconds, which is formatted
// once; zone offsets change only at whole seconds.
func (c *Context) appendTime(d []byte, tl *timeLayout) []byte {
	ts := c.Event.TS()
	sec := int64(ts / nsPerSec)
	var tc *timeCache
	for i := range c.times {
		if c.times[i].layout == tl {
			tc = &c.times[i]
			break
		}
	}
	if tc == nil {
		c.times = append(c.times, timeCache{layout: tl})
		tc = &c.times[len(c.times)-1]
		tc.sec = sec + 1 // not yet formatted
	}
	if tc.sec != sec || tc.loc != c.Location {
		t := time.Unix(sec, 0).In(c.Location)
		tc.before = t.AppendFormat(tc.before[:0], tl.before)
		tc.after = t.AppendFormat(tc.after[:0], tl.after)
		tc.sec, tc.loc = sec, c.Location
	}
	d = append(d, tc.before...)
	if tl.frac {
		d = append(d, '.')
		d = pad9(d, ts%nsPerSec)
	}
	return append(d, tc.after...)
}

func pad9(d []byte, v uint64) []byte {
	var tmp [20]byte
	b := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(b); i < 9; i++ {
		d = append(d, '0')
	}
	return append(d, b...)
}

// appendEventType appends the event's type name; generic syscall events
// are named after the syscall they report.
func appendEventType(d []byte, e *event.Event) []byte {
	if e.Type() <= 1 && e.NumParams() > 0 {
		id := uint16(e.Param(0).Uint())
		if name := event.SyscallDisplayName(id); name != "" {
			return append(d, name...)
		}
		// Syscalls newer than sysdig 0.29.3's table, which shows <NA>:
		// Kestrel names them from the current table.
		if name := event.Current().SyscallName(id); name != "" {
			return append(d, name...)
		}
		return append(d, "<unknown>"...)
	}
	if name := e.Name(); name != "" {
		return append(d, name...)
	}
	return append(d, "<unknown>"...)
}

func args(bufLen int) Extractor {
	return func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
		return event.AppendArgsLen(d, c.Event, c.Resolver, bufLen), true
	}
}
