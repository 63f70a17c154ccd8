package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
)

// eventEntry is one event type of [ListEvents].
type eventEntry struct {
	Name      string       `json:"name"`
	Dir       string       `json:"dir"`
	Available bool         `json:"available"`
	Params    []eventParam `json:"params"`
}

type eventParam struct {
	Type  string   `json:"type"`
	Name  string   `json:"name"`
	Flags []string `json:"flags,omitempty"`
}

// eventCategory is a group of [ListEvents], in Falco's order.
type eventCategory struct {
	title  string
	bit    event.Category
	events []eventEntry
}

// ListEvents prints the event types Kestrel knows, from the event table
// of the current Falco libraries, with their direction and parameters,
// grouped as falco --list-events groups them: syscall events, tracepoint
// events, plugin events and metaevents. Superseded versions of an event
// (the enter events of the exit-only model, older layouts) and unused
// codes are left out, as Falco leaves them out. An event is "available"
// when 'kestrel run' judges it by default: the high-volume I/O events are
// not (see -A). Text and Markdown follow Falco's layouts; JSON is an
// object with one array per group.
func ListEvents(f ListFormat, w io.Writer) error {
	cats := []*eventCategory{
		{title: "Syscall events", bit: event.CatSyscall},
		{title: "Tracepoint events", bit: event.CatTracepoint},
		{title: "Plugin events", bit: event.CatPlugin},
		{title: "Metaevents", bit: event.CatMetaEvent},
	}
	ignored := map[string]bool{}
	for _, n := range engine.IgnoredNames() {
		ignored[n] = true
	}
	sc := event.Current()
	for t := range sc.Events {
		info := sc.Lookup(event.Type(t))
		if !info.Known() || info.Flags&event.FlagOldVersion != 0 {
			continue
		}
		for _, c := range cats {
			if info.Category&c.bit == 0 {
				continue
			}
			e := eventEntry{Name: info.Name, Dir: string(event.Type(t).Dir()), Available: !ignored[info.Name], Params: []eventParam{}}
			for _, p := range info.Params {
				ep := eventParam{Type: event.TypeName(p.Type), Name: p.Name}
				if isFlagType(p.Type) && p.Flags != nil {
					for _, fl := range p.Flags.Entries {
						ep.Flags = append(ep.Flags, fl.Name)
					}
				}
				e.Params = append(e.Params, ep)
			}
			c.events = append(c.events, e)
			break
		}
	}
	if f == ListJSON {
		out := map[string]any{"schema": sc.Name}
		for _, c := range cats {
			out[c.title] = c.events
		}
		return writeJSON(w, out)
	}
	fmt.Fprintf(w, "The events below are those of Kestrel's event table (the %s schema of the Falco libraries).\n", sc.Name)
	fmt.Fprintf(w, "A syscall without an event of its own is reported as the generic event \"syscall\"; its evt.type is the syscall's name.\n\n")
	for _, c := range cats {
		fmt.Fprintf(w, "## %s\n\n", c.title)
		if f == ListMarkdown {
			fmt.Fprintf(w, "Default | Dir | Name | Params\n:-------|:----|:-----|:-----\n")
		}
		for _, e := range c.events {
			if f == ListMarkdown {
				yes := "No"
				if e.Available {
					yes = "Yes"
				}
				fmt.Fprintf(w, "%s | `%s` | `%s` | %s\n", yes, e.Dir, e.Name, paramsText(e.Params, true))
			} else {
				fmt.Fprintf(w, "%s %s(%s)\n", e.Dir, e.Name, paramsText(e.Params, false))
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}

// paramsText writes parameters as Falco's event list does: the type, the
// name in bold, and the names a flags parameter takes (in italics in
// Markdown).
func paramsText(ps []eventParam, md bool) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s **%s**", p.Type, p.Name)
		if len(p.Flags) == 0 {
			continue
		}
		b.WriteString(": ")
		for j, fl := range p.Flags {
			if j > 0 {
				b.WriteString(", ")
			}
			if md {
				fmt.Fprintf(&b, "*%s*", fl)
			} else {
				b.WriteString(fl)
			}
		}
	}
	return b.String()
}

// isFlagType reports whether parameters of type t hold flags or an enum
// whose names the list shows (not modes, whose table is of bits).
func isFlagType(t event.ParamType) bool {
	switch t {
	case event.PTFlags8, event.PTFlags16, event.PTFlags32, event.PTEnumFlags8, event.PTEnumFlags16, event.PTEnumFlags32:
		return true
	}
	return false
}
