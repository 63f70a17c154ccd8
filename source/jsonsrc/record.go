package jsonsrc

import (
	"encoding/binary"
	"fmt"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
)

// RecordSpec describes the events of one JSON source to a [Record]: the
// plugin id their records carry and how errors name them.
type RecordSpec struct {
	// PluginID is the registered id of the plugin the source stands in
	// for.
	PluginID uint32
	// Name names one event at the start of errors ("audit event").
	Name string
	// ErrNot is wrapped by the error about JSON whose root is no object.
	ErrNot error
}

// Record is the plugin event record that carries the current event of a
// JSON source: its JSON, time and number, as evt.* fields read them. A
// source's decoder loads each event into a Record, then makes it current
// with [Record.Observe]. One goroutine uses a Record; it allocates nothing
// once its buffer has grown.
type Record struct {
	buf []byte
	evt event.Event
	num uint64
}

// Load builds the record of spec's plugin around data, an event's JSON,
// with its time ts in nanoseconds since the epoch, and parses the record's
// copy of the JSON into doc, whose root must be an object. data may be
// reused once Load returns. The errors start with spec.Name, but for a
// root that is no object, which wraps spec.ErrNot.
func (r *Record) Load(spec *RecordSpec, doc *Doc, data []byte, ts uint64) error {
	var id [4]byte
	binary.LittleEndian.PutUint32(id[:], spec.PluginID)
	buf, err := event.AppendRecord(r.buf[:0], ts, -1, event.PluginEventE, id[:], data)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	r.buf = buf
	if err := r.evt.Reset(r.buf); err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	if err := doc.Parse(r.evt.Param(1).Raw); err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	if k := doc.Root().Kind(); k != Object {
		return fmt.Errorf("%w: a JSON %s", spec.ErrNot, k)
	}
	return nil
}

// Observe numbers the loaded record and makes it c's current event, with
// ev, the parsed event, as c.Plugin.
func (r *Record) Observe(c *field.Context, ev field.PluginEvent) {
	r.num++
	r.evt.Num = r.num
	c.Observe(&r.evt)
	c.Plugin = ev
}

// Registry returns the fields of a JSON source: the generic evt.* fields,
// json.* and jevt.* ([Fields]), and the source's own. It panics on a
// duplicate name: the tables are fixed, so that is a programming error.
func Registry(own ...field.Def) *field.Registry {
	r, err := field.NewRegistry(field.Generic(), Fields(), own)
	if err != nil {
		panic(err)
	}
	return r
}

// Plugins returns the plugins a JSON source declares, which rules files'
// required_plugin_versions are checked against: the upstream plugin it
// stands in for (name at version), the alternatives that plugin has, and
// Falco's JSON plugin.
func Plugins(name, version string, alternatives ...rules.PluginVersion) []rules.PluginVersion {
	out := []rules.PluginVersion{{Name: name, Version: version}}
	out = append(out, alternatives...)
	return append(out, rules.PluginVersion{Name: PluginName, Version: PluginVersion})
}
