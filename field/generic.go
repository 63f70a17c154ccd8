package field

// genericNames are the fields of libsinsp's generic event checks, which
// every event source has: times, numbers and where the event comes from.
var genericNames = [...]string{
	"evt.num", "evt.time", "evt.time.s", "evt.time.iso8601", "evt.datetime", "evt.datetime.s",
	"evt.outputtime", "evt.rawtime", "evt.rawtime.s", "evt.rawtime.ns",
	"evt.reltime", "evt.reltime.s", "evt.reltime.ns",
	"evt.deltatime", "evt.deltatime.s", "evt.deltatime.ns",
	"evt.hostname", "evt.pluginname", "evt.plugininfo", "evt.source", "evt.is_async", "evt.asynctype",
}

// Generic returns the fields every event source has (evt.num, evt.time
// and the other times, evt.source, evt.pluginname, evt.plugininfo, …),
// for the registries of sources other than syscall. They read the
// Context's Event, which for such a source is the plugin event record
// carrying the time and number, and its Plugin.
func Generic() []Def {
	want := make(map[string]bool, len(genericNames))
	for _, n := range genericNames {
		want[n] = true
	}
	var out []Def
	for _, g := range [][]Def{evtTimeFields(), evtSourceFields()} {
		for _, d := range g {
			if want[d.Name] {
				out = append(out, d)
			}
		}
	}
	return out
}
