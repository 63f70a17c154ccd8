package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
)

// Latency fields: how long the thread's latest syscall took, from its
// enter event to its exit event (0 on enter events).
func evtLatencyFields() []Def {
	lat := func(c *Context) (uint64, bool) { return latency(c) }
	d := uintField("evt.latency", event.PTRelTime, "nanoseconds between an exit event and its enter event", lat)
	ns := uintField("evt.latency.ns", event.PTRelTime, "fractional part of evt.latency, nine digits",
		func(c *Context) (uint64, bool) { v, ok := latency(c); return v % nsPerSec, ok })
	ns.JSON = ns.Text
	ns.Text = func(dst []byte, c *Context, _ *Arg) ([]byte, bool) {
		v, ok := latency(c)
		if !ok {
			return dst, false
		}
		return pad9(dst, v%nsPerSec), true
	}
	return []Def{
		d,
		uintField("evt.latency.s", event.PTRelTime, "whole seconds of evt.latency",
			func(c *Context) (uint64, bool) { v, ok := latency(c); return v / nsPerSec, ok }),
		ns,
		strField("evt.latency.human", "evt.latency in a short readable form (10.3ms)", latencyHuman),
		uintField("evt.wait_latency", event.PTRelTime, "for exit events of calls that wait (poll, nanosleep), the nanoseconds spent waiting", waitLatency),
	}
}

// latency returns the latency sysdig shows for the current event: the
// thread's, 0 for events it does not tie to a thread, none for internal
// events.
func latency(c *Context) (uint64, bool) {
	info := displayInfo(c.Event)
	if info != nil && info.Category.Class() == event.CatInternal {
		return 0, false
	}
	if info != nil && info.Flags&event.FlagSkipParseReset != 0 {
		return 0, true
	}
	t := c.Thread()
	if t == nil {
		return 0, true
	}
	return t.Latency(), true
}

func waitLatency(c *Context) (uint64, bool) {
	info := displayInfo(c.Event)
	if info == nil || info.Flags&event.FlagWaits == 0 || c.Event.Type().IsEnter() {
		return 0, false
	}
	if t := c.Thread(); t != nil {
		return t.Latency(), true
	}
	return 0, true
}

func latencyHuman(d []byte, c *Context) ([]byte, bool) {
	v, ok := latency(c)
	if !ok {
		return d, false
	}
	return appendHumanTime(d, v), true
}

// appendHumanTime appends a duration in nanoseconds the way sysdig's
// readable times print it: h:mm:ss from an hour, m:s from a minute,
// s.cc s from a second, whole ms from 10ms, ms.cc from 1ms, whole us from
// 10us, us.cc from 1us, and ns below. Fractions are cut, not rounded.
func appendHumanTime(d []byte, v uint64) []byte {
	const (
		us = 1_000
		ms = 1_000_000
		s  = nsPerSec
	)
	u := func(d []byte, x uint64) []byte { return strconv.AppendUint(d, uint64(uint32(x)), 10) }
	two := func(d []byte, x uint64) []byte {
		x = uint64(uint32(x))
		if x < 10 {
			d = append(d, '0')
		}
		return strconv.AppendUint(d, x, 10)
	}
	switch {
	case v >= 3600*s:
		d = two(d, v/(3600*s))
		d = append(d, ':')
		d = two(d, (v/(60*s))%60)
		d = append(d, ':')
		return two(d, (v/s)%60)
	case v >= 60*s:
		d = u(d, v/(60*s))
		d = append(d, ':')
		return u(d, (v/s)%60)
	case v >= s:
		d = append(two(append(u(d, v/s), '.'), (v%s)/10_000_000), 's')
		return d
	case v >= s/100:
		return append(u(d, v/ms), "ms"...)
	case v >= ms:
		return append(two(append(u(d, v/ms), '.'), (v%ms)/10_000), "ms"...)
	case v >= s/100_000:
		return append(u(d, v/us), "us"...)
	case v >= us:
		return append(two(append(u(d, v/us), '.'), (v%us)/10), "us"...)
	}
	return append(u(d, v), "ns"...)
}
