package jsonsrc

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// Event is implemented by the events of JSON sources: the current event's
// parsed document.
type Event interface {
	JSON() *Doc
}

// PluginName and PluginVersion are the name and version of Falco's JSON
// plugin, whose fields [Fields] provides: rules files name them in
// required_plugin_versions.
const (
	PluginName    = "json"
	PluginVersion = "0.7.4"
)

// doc returns the current event's document, or nil when the event is not
// a JSON one.
func doc(c *field.Context) *Doc {
	if e, ok := c.Plugin.(Event); ok {
		return e.JSON()
	}
	return nil
}

// Fields returns the fields of Falco's JSON plugin: json.value[/pointer]
// (a value by JSON pointer: a string's content, anything else as compact
// JSON), json.obj (the whole event, indented) and json.rawtime (the event
// time in nanoseconds), and their jevt.* aliases.
func Fields() []field.Def {
	var out []field.Def
	for _, p := range []string{"json.", "jevt."} {
		alias := ""
		if p == "jevt." {
			alias = " (alias of the json. field)"
		}
		out = append(out,
			field.Def{Name: p + "value", Type: event.PTCharBuf, Arg: field.ArgRequired, CheckArg: pointerArg,
				Desc: "a value of the event's JSON picked by a JSON pointer (RFC 6901), as in json.value[/user/username]: a string's content, other values as compact JSON" + alias,
				Text: value},
			field.Def{Name: p + "obj", Type: event.PTCharBuf, Desc: "the event's whole JSON, indented" + alias, Text: obj},
			field.Def{Name: p + "rawtime", Type: event.PTCharBuf, Desc: "the event time in nanoseconds since the epoch, as evt.rawtime" + alias, Text: rawtime},
		)
	}
	return out
}

// pointerArg accepts any key: json.value takes the text in brackets as a
// JSON pointer.
func pointerArg(a *field.Arg) (*field.Arg, error) {
	b := *a
	b.IsNum = false
	return &b, nil
}

func value(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
	d := doc(c)
	if d == nil || a == nil {
		return dst, false
	}
	v := d.Root().Pointer(a.Text)
	if !v.Exists() {
		return dst, false
	}
	return v.AppendText(dst), true
}

func obj(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
	d := doc(c)
	if d == nil || !d.Root().Exists() {
		return dst, false
	}
	buf := bytes.NewBuffer(dst)
	if err := json.Indent(buf, d.Root().Raw(), "", "  "); err != nil {
		return dst, false
	}
	return buf.Bytes(), true
}

func rawtime(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
	if doc(c) == nil || c.Event == nil {
		return dst, false
	}
	return strconv.AppendUint(dst, c.Event.TS(), 10), true
}
