package github

import (
	"errors"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The names and versions this source declares: its source name in rules,
// and the upstream plugin it stands in for, which required_plugin_versions
// is checked against.
const (
	SourceName    = "github"
	PluginName    = "github"
	PluginVersion = "0.10.1"
	// PluginID is the github plugin's registered id, carried by the
	// plugin event records of this source.
	PluginID = 8
)

// Plugins returns the plugins the source declares.
func Plugins() []rules.PluginVersion {
	return jsonsrc.Plugins(PluginName, PluginVersion)
}

// Def returns the source for the engine: its name, fields and plugins.
func Def() engine.SourceDef {
	return engine.SourceDef{Name: SourceName, Fields: Registry(), Plugins: Plugins()}
}

// Registry returns the fields of the source: the generic evt.* fields,
// json.* and jevt.*, and github.*.
func Registry() *field.Registry { return jsonsrc.Registry(Fields()...) }

// ErrNotGitHub is wrapped by the errors about input that is no GitHub
// event.
var ErrNotGitHub = errors.New("not a GitHub event")

// recordSpec describes the events of the source to their [jsonsrc.Record].
var recordSpec = jsonsrc.RecordSpec{PluginID: PluginID, Name: "github event", ErrNot: ErrNotGitHub}

// The members Kestrel puts in front of a webhook payload.
const (
	keyType     = "webhook_type"
	keyReceived = "received_at"
	keyFiles    = "files"
	keyMiners   = "workflow_miner_detections"
)

// Event is the current GitHub event as the fields see it: its JSON,
// parsed once.
type Event struct {
	doc jsonsrc.Doc
	top jsonsrc.Value // the root when it is a GitHub event (has webhook_type)
}

// JSON returns the event's parsed JSON.
func (e *Event) JSON() *jsonsrc.Doc { return &e.doc }

// SourceName returns "github" (evt.source).
func (e *Event) SourceName() string { return SourceName }

// PluginName returns "github" (evt.pluginname).
func (e *Event) PluginName() string { return PluginName }

// AppendInfo appends a one-line summary (evt.plugininfo): "github", the
// event type, then the user, repository URL and action when present.
func (e *Event) AppendInfo(dst []byte) []byte {
	r := e.root()
	dst = append(dst, "github "...)
	dst = appendStr(dst, r.Get(keyType))
	for _, p := range []struct {
		label string
		v     jsonsrc.Value
	}{
		{" user:", r.Get("sender").Get("login")},
		{" repo:", r.Get("repository").Get("html_url")},
		{" action:", r.Get("action")},
	} {
		if p.v.Kind() == jsonsrc.String {
			dst = p.v.AppendText(append(dst, p.label...))
		}
	}
	return dst
}

// root returns the event's object; missing when the JSON is no GitHub
// event (it has no webhook_type), for which no github.* field has a value.
func (e *Event) root() jsonsrc.Value { return e.top }

func (e *Event) setRoot() {
	e.top = e.doc.Root()
	if e.top.Get(keyType).Kind() != jsonsrc.String {
		e.top = jsonsrc.Value{}
	}
}

// Decoder makes GitHub events current in a field.Context. One goroutine
// uses a Decoder; it allocates nothing once its buffers have grown.
type Decoder struct {
	ev  Event
	rec jsonsrc.Record
}

// Decode parses data, one event's JSON (as [Webhook] queues it, or as the
// upstream plugin stores it) with its time in nanoseconds since the epoch,
// and makes it c's current event: c.Event is a plugin event record holding
// the JSON (for evt.num, evt.time, …) and c.Plugin the parsed event. The
// Decoder keeps its own copy: data may be reused once Decode returns. On
// error c is left unchanged.
func (d *Decoder) Decode(c *field.Context, data []byte, ts uint64) error {
	if err := d.rec.Load(&recordSpec, &d.ev.doc, data, ts); err != nil {
		return err
	}
	d.ev.setRoot()
	d.rec.Observe(c, &d.ev)
	return nil
}
