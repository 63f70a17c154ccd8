package field

import "github.com/kestrel-sec/kestrel/event"

// metaInfo returns e's schema entry when e is a meta event (EC_METAEVENT
// in the current event table), else nil.
func metaInfo(e *event.Event) *event.Info {
	info := event.Current().Lookup(e.Type())
	if info == nil || info.Category&event.CatMetaEvent == 0 {
		return nil
	}
	return info
}

func evtSource(d []byte, c *Context) ([]byte, bool) {
	if c.Plugin != nil {
		return append(d, c.Plugin.SourceName()...), true
	}
	if info := event.Current().Lookup(c.Event.Type()); info != nil && info.Category&event.CatPlugin != 0 {
		return d, false
	}
	return append(d, "syscall"...), true
}

func isAsync(c *Context) (bool, bool) { return metaInfo(c.Event) != nil, true }

func asyncType(d []byte, c *Context) ([]byte, bool) {
	info := metaInfo(c.Event)
	if info == nil {
		return d, false
	}
	if info.Enum != "ASYNCEVENT_E" {
		return append(d, c.Event.Name()...), true
	}
	if c.Event.NumParams() < 2 {
		return d, false
	}
	return append(d, cstr(c.Event.Param(1).Raw)...), true
}

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
		strField("evt.pluginname", "name of the plugin that produced the event (for Kestrel's built-in sources, the upstream plugin they stand in for); none for system call events",
			func(d []byte, c *Context) ([]byte, bool) {
				if c.Plugin == nil {
					return d, false
				}
				return append(d, c.Plugin.PluginName()...), true
			}),
		strField("evt.plugininfo", "the plugin's summary of the event; none for system call events",
			func(d []byte, c *Context) ([]byte, bool) {
				if c.Plugin == nil {
					return d, false
				}
				return c.Plugin.AppendInfo(d), true
			}),
		strField("evt.source", "event source of the event: syscall, or the source of a built-in non-syscall source (k8s_audit, …); none for other plugin events", evtSource),
		jsonBool(boolField("evt.is_async", "true for events the driver did not produce but the event stream carries about the system (procinfo, container, async plugin events, …)", isAsync)),
		strField("evt.asynctype", "for the events evt.is_async selects, their kind: the event name, or the name an async plugin event carries", asyncType),
		{Name: "evt.around", Type: event.PTUint64, Arg: ArgRequired, CheckArg: aroundArg,
			Desc: "filters only: evt.around[T]=D holds for events within D milliseconds of time T (ns since the epoch)",
			Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return d, false }},
	}
}
