package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
)

// CPU time fields. They are computed from the stream as the fields are
// extracted, as sysdig does: each field keeps its own memory (the time of
// the latest switch event per CPU; the running total per thread), updated
// whenever it is extracted.

// cpuTimes is the per-stream memory of the CPU time fields.
type cpuTimes struct {
	lastSwitch [2][]uint64 // per CPU, for thread.exectime [0] and thread.totexectime [1]
	total      map[int64]uint64
	procinfo   [3]map[int64]uint64 // last total CPU of a thread, per thread.cpu field
}

// exectime returns the time since the previous switch event on the event's
// CPU, as field slot's memory has it, on switch events; 0 on other events.
func (c *Context) exectime(slot int) uint64 {
	if c.Event.Name() != "switch" {
		return 0
	}
	last := &c.cpu.lastSwitch[slot]
	cpu := int(c.Event.CPU)
	for len(*last) <= cpu {
		*last = append(*last, 0)
	}
	ts := c.Event.TS()
	var d uint64
	if prev := (*last)[cpu]; prev != 0 {
		d = ts - prev
	}
	(*last)[cpu] = ts
	return d
}

// totexectime adds the event's exectime to its thread's total and returns it.
func (c *Context) totexectime() (uint64, bool) {
	d := c.exectime(1)
	if c.Thread() == nil {
		return 0, false
	}
	if c.cpu.total == nil {
		c.cpu.total = make(map[int64]uint64)
	}
	tid := c.Event.TID()
	c.cpu.total[tid] += d
	return c.cpu.total[tid], true
}

// threadCPU returns, on procinfo events, the CPU time the thread used since
// the previous procinfo event, capped at 100: user time, system time or
// both as user and system say.
func (c *Context) threadCPU(slot int, user, system bool) (float64, bool) {
	if c.Thread() == nil || c.Event.Name() != "procinfo" || c.Event.NumParams() < 2 {
		return 0, false
	}
	var tot uint64
	if user {
		tot += c.Event.Param(0).Uint()
	}
	if system {
		tot += c.Event.Param(1).Uint()
	}
	m := c.cpu.procinfo[slot]
	if m == nil {
		m = make(map[int64]uint64)
		c.cpu.procinfo[slot] = m
	}
	tid := c.Event.TID()
	var v float64
	if last := m[tid]; last != 0 {
		v = float64(tot - last)
		if v > 100 {
			v = 100
		}
	}
	m[tid] = tot
	return v, true
}

func procTimeFields() []Def {
	return []Def{
		{Name: "thread.exectime", Type: event.PTRelTime,
			Desc: "on switch events, nanoseconds the thread switched out ran since the previous switch on the same CPU; 0 otherwise",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
				return strconv.AppendUint(d, c.exectime(0), 10), true
			},
			Num: func(c *Context, _ *Arg) (int64, bool) { return int64(c.exectime(0)), true }},
		{Name: "thread.totexectime", Type: event.PTRelTime,
			Desc: "running total of thread.exectime for the event's thread since the stream began",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
				v, ok := c.totexectime()
				return strconv.AppendUint(d, v, 10), ok
			},
			Num: func(c *Context, _ *Arg) (int64, bool) {
				v, ok := c.totexectime()
				return int64(v), ok
			}},
		cpuField("thread.cpu", "CPU time the thread used over the last procinfo interval (user and system)", 0, true, true),
		cpuField("thread.cpu.user", "user CPU time the thread used over the last procinfo interval", 1, true, false),
		cpuField("thread.cpu.system", "system CPU time the thread used over the last procinfo interval", 2, false, true),
	}
}

func cpuField(name, desc string, slot int, user, system bool) Def {
	return Def{Name: name, Type: event.PTDouble, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
			v, ok := c.threadCPU(slot, user, system)
			if !ok {
				return d, false
			}
			return appendDouble(d, v), true
		},
		Num: func(c *Context, _ *Arg) (int64, bool) {
			v, ok := c.threadCPU(slot, user, system)
			return int64(v), ok
		}}
}

// appendDouble appends v as sysdig prints double fields: one decimal.
func appendDouble(d []byte, v float64) []byte { return strconv.AppendFloat(d, v, 'f', 1, 64) }
