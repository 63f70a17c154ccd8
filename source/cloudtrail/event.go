package cloudtrail

import (
	"errors"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The names and versions this source declares: its source name in rules,
// and the upstream plugin it stands in for (the cloudtrail plugin's
// version line), which required_plugin_versions is checked against.
const (
	SourceName    = "aws_cloudtrail"
	PluginName    = "cloudtrail"
	PluginVersion = "0.17.1"
	// PluginID is the cloudtrail plugin's registered id, carried by the
	// plugin event records of this source.
	PluginID = 2
)

// Plugins returns the plugins the source declares: cloudtrail and json.
func Plugins() []rules.PluginVersion {
	return jsonsrc.Plugins(PluginName, PluginVersion)
}

// Def returns the source for the engine: its name, fields and plugins.
func Def() engine.SourceDef {
	return engine.SourceDef{Name: SourceName, Fields: Registry(), Plugins: Plugins()}
}

// Registry returns the fields of the source: the generic evt.* fields,
// json.* and jevt.*, and the cloudtrail plugin's fields.
func Registry() *field.Registry { return jsonsrc.Registry(Fields()...) }

// ErrNotCloudTrail is wrapped by the errors about JSON that is no
// CloudTrail record or log file.
var ErrNotCloudTrail = errors.New("not a CloudTrail record")

// recordSpec describes the events of the source to their [jsonsrc.Record].
var recordSpec = jsonsrc.RecordSpec{PluginID: PluginID, Name: "cloudtrail record", ErrNot: ErrNotCloudTrail}

// Event is the current CloudTrail record as the fields see it: its JSON,
// parsed once.
type Event struct {
	doc  jsonsrc.Doc
	root jsonsrc.Value
}

// JSON returns the record's parsed JSON.
func (e *Event) JSON() *jsonsrc.Doc { return &e.doc }

// SourceName returns "aws_cloudtrail" (evt.source).
func (e *Event) SourceName() string { return SourceName }

// PluginName returns "cloudtrail" (evt.pluginname).
func (e *Event) PluginName() string { return PluginName }

// AppendInfo appends the record's one-line summary (evt.plugininfo), as
// the cloudtrail plugin renders it: region, user, short service name,
// event name, then ct.info. A record without eventSource, awsRegion or
// eventName is given as its compact JSON.
func (e *Event) AppendInfo(dst []byte) []byte {
	r := e.root
	src, region, name := r.Get("eventSource"), r.Get("awsRegion"), r.Get("eventName")
	if src.Kind() != jsonsrc.String || region.Kind() != jsonsrc.String || name.Kind() != jsonsrc.String {
		return r.AppendJSON(dst)
	}
	dst = region.AppendText(dst)
	start := len(dst) + 1
	dst = append(dst, ' ')
	if d, ok := appendUser(dst, r); ok && len(d) > start {
		dst = append(d, ' ')
	} else {
		dst = dst[:start]
	}
	dst = appendShortSrc(dst, src)
	dst = append(dst, ' ')
	dst = name.AppendText(dst)
	dst = append(dst, ' ')
	dst, _ = appendInfo(dst, r)
	return dst
}

// Decoder makes CloudTrail records current in a field.Context. One
// goroutine uses a Decoder; it allocates nothing once its buffers have
// grown.
type Decoder struct {
	ev  Event
	rec jsonsrc.Record
}

// Decode parses data, one record's JSON with its time in nanoseconds
// since the epoch, and makes it c's current event: c.Event is a plugin
// event record holding the JSON (for evt.num, evt.time, …) and c.Plugin
// the parsed record. The Decoder keeps its own copy: data may be reused
// once Decode returns. On error c is left unchanged.
func (d *Decoder) Decode(c *field.Context, data []byte, ts uint64) error {
	if err := d.rec.Load(&recordSpec, &d.ev.doc, data, ts); err != nil {
		return err
	}
	d.ev.root = d.ev.doc.Root()
	d.rec.Observe(c, &d.ev)
	return nil
}
