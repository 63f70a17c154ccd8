package k8saudit

import (
	"errors"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The names and versions this source declares: its source name in rules,
// and the upstream plugins it stands in for (the version lines of the
// k8saudit plugin and its cloud variants, and of the JSON plugin), which
// required_plugin_versions is checked against.
const (
	SourceName    = "k8s_audit"
	PluginName    = "k8saudit"
	PluginVersion = "0.18.0"
	// PluginID is the k8saudit plugin's registered id, carried by the
	// plugin event records of this source.
	PluginID = 1
)

// Plugins returns the plugins the source declares.
func Plugins() []rules.PluginVersion {
	return jsonsrc.Plugins(PluginName, PluginVersion,
		rules.PluginVersion{Name: "k8saudit-aks", Version: "0.6.0"},
		rules.PluginVersion{Name: "k8saudit-eks", Version: "0.12.0"},
		rules.PluginVersion{Name: "k8saudit-gke", Version: "0.9.0"},
		rules.PluginVersion{Name: "k8saudit-ovh", Version: "0.6.0"},
	)
}

// Def returns the source for the engine: its name, fields and plugins.
func Def() engine.SourceDef {
	return engine.SourceDef{Name: SourceName, Fields: Registry(), Plugins: Plugins()}
}

// Registry returns the fields of the source: the generic evt.* fields,
// json.* and jevt.*, and ka.*.
func Registry() *field.Registry { return jsonsrc.Registry(Fields()...) }

// ErrNotAudit is wrapped by the errors about JSON that is no audit event.
var ErrNotAudit = errors.New("not a Kubernetes audit event")

// recordSpec describes the events of the source to their [jsonsrc.Record].
var recordSpec = jsonsrc.RecordSpec{PluginID: PluginID, Name: "audit event", ErrNot: ErrNotAudit}

// Event is the current audit event as the fields see it: its JSON,
// parsed once.
type Event struct {
	doc   jsonsrc.Doc
	top   jsonsrc.Value // the root when it is an audit event (has auditID)
	lists listCache
}

// JSON returns the event's parsed JSON.
func (e *Event) JSON() *jsonsrc.Doc { return &e.doc }

// SourceName returns "k8s_audit" (evt.source).
func (e *Event) SourceName() string { return SourceName }

// PluginName returns "k8saudit" (evt.pluginname).
func (e *Event) PluginName() string { return PluginName }

// AppendInfo appends the event's JSON (evt.plugininfo).
func (e *Event) AppendInfo(dst []byte) []byte { return e.doc.Root().AppendJSON(dst) }

// root returns the event's object; missing when the JSON is no audit
// event (it has no auditID), for which no ka.* field has a value.
func (e *Event) root() jsonsrc.Value { return e.top }

func (e *Event) setRoot() {
	e.top = e.doc.Root()
	if !e.top.Get("auditID").Exists() {
		e.top = jsonsrc.Value{}
	}
}

// Decoder makes audit events current in a field.Context. One goroutine
// uses a Decoder; it allocates nothing once its buffers have grown.
type Decoder struct {
	ev  Event
	rec jsonsrc.Record
}

// Decode parses data, one audit event's JSON with its time in nanoseconds
// since the epoch, and makes it c's current event: c.Event is a plugin
// event record holding the JSON (for evt.num, evt.time, …) and c.Plugin
// the parsed event. The Decoder keeps its own copy: data may be reused
// once Decode returns. On error c is left unchanged.
func (d *Decoder) Decode(c *field.Context, data []byte, ts uint64) error {
	if err := d.rec.Load(&recordSpec, &d.ev.doc, data, ts); err != nil {
		return err
	}
	d.ev.setRoot()
	d.ev.lists.reset()
	d.rec.Observe(c, &d.ev)
	return nil
}
