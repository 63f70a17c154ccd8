package field

import "github.com/kestrel-sec/kestrel/event"

// Fields about where an event comes from.
func evtSourceFields() []Def {
	return []Def{
		strField("evt.hostname", "host name of the machine the events come from (the capture's machine information)",
			func(d []byte, c *Context) ([]byte, bool) {
				if c.Hostname == "" {
					return d, false
				}
				return append(d, c.Hostname...), true
			}),
		strField("evt.pluginname", "name of the plugin that produced the event; none for system call events",
			func(d []byte, _ *Context) ([]byte, bool) { return d, false }),
		strField("evt.plugininfo", "the plugin's summary of the event; none for system call events",
			func(d []byte, _ *Context) ([]byte, bool) { return d, false }),
		{Name: "evt.around", Type: event.PTUint64, Arg: ArgRequired,
			Desc: "filters only: evt.around[T]=D holds for events within D milliseconds of time T (ns since the epoch)",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return d, false }},
	}
}
