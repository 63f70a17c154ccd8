package okta

import (
	"errors"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The names and versions this source declares: its source name in rules,
// and the upstream plugins it stands in for (the okta plugin and the JSON
// plugin), which required_plugin_versions is checked against.
const (
	SourceName    = "okta"
	PluginName    = "okta"
	PluginVersion = "0.12.0"
	// PluginID is the okta plugin's registered id, carried by the plugin
	// event records of this source.
	PluginID = 7
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
// json.* and jevt.*, and okta.*.
func Registry() *field.Registry { return jsonsrc.Registry(Fields()...) }

// ErrNotOkta is wrapped by the errors about JSON that is no Okta event.
var ErrNotOkta = errors.New("not an Okta System Log event")

// recordSpec describes the events of the source to their [jsonsrc.Record].
var recordSpec = jsonsrc.RecordSpec{PluginID: PluginID, Name: "okta event", ErrNot: ErrNotOkta}

// Event is the current Okta event as the fields see it: its JSON, parsed
// once, and the MFA counts that concern it.
type Event struct {
	doc jsonsrc.Doc
	org string
	mfa mfaView
}

// JSON returns the event's parsed JSON.
func (e *Event) JSON() *jsonsrc.Doc { return &e.doc }

// SourceName returns "okta" (evt.source).
func (e *Event) SourceName() string { return SourceName }

// PluginName returns "okta" (evt.pluginname).
func (e *Event) PluginName() string { return PluginName }

// AppendInfo appends the event's JSON (evt.plugininfo).
func (e *Event) AppendInfo(dst []byte) []byte { return e.doc.Root().AppendJSON(dst) }

// root returns the event's object.
func (e *Event) root() jsonsrc.Value { return e.doc.Root() }

// The defaults of the MFA cache: the okta plugin's cache_expiration and
// cache_usermaxsize defaults, and the number of (user, kind) keys its
// cache holds.
const (
	DefaultCacheExpiration  = 84600 * time.Second
	DefaultCacheUserMaxSize = 200
	DefaultCacheMaxUsers    = 10000
)

// Decoder makes Okta events current in a field.Context, and counts the
// MFA failures and denied pushes of each user as the events go by. One
// goroutine uses a Decoder; the zero value is ready, with the defaults,
// and the cache settings are read at its first MFA event. It allocates
// nothing once its buffers have grown, but for the first MFA event of a
// user.
type Decoder struct {
	// Organization is the value of okta.org.
	Organization string
	// CacheExpiration is how long, in event time, a user's MFA counts
	// are kept after their last MFA event; DefaultCacheExpiration when 0.
	CacheExpiration time.Duration
	// CacheUserMaxSize bounds the MFA event times kept per user and
	// kind; DefaultCacheUserMaxSize when 0.
	CacheUserMaxSize int
	// CacheMaxUsers bounds the users (per kind of MFA event) whose counts
	// are kept; the least recently seen is forgotten first.
	// DefaultCacheMaxUsers when 0.
	CacheMaxUsers int

	ev  Event
	rec jsonsrc.Record
	mfa mfaCache
	key []byte
}

// Decode parses data, one Okta event's JSON with its time (published) in
// nanoseconds since the epoch, and makes it c's current event: c.Event is
// a plugin event record holding the JSON (for evt.num, evt.time, …) and
// c.Plugin the parsed event. An MFA failure or denied push is counted for
// its actor at time ts. The Decoder keeps its own copy: data may be
// reused once Decode returns. On error c is left unchanged.
func (d *Decoder) Decode(c *field.Context, data []byte, ts uint64) error {
	if err := d.rec.Load(&recordSpec, &d.ev.doc, data, ts); err != nil {
		return err
	}
	d.ev.org = d.Organization
	d.ev.mfa = d.count(d.ev.root(), ts)
	d.rec.Observe(c, &d.ev)
	return nil
}

// count records an MFA event in the cache and returns what the
// okta.mfa.* fields of the event read.
func (d *Decoder) count(root jsonsrc.Value, ts uint64) mfaView {
	k := mfaKindOf(root)
	if k == mfaNone {
		return mfaView{}
	}
	d.mfa.configure(d.CacheMaxUsers, d.CacheUserMaxSize, d.CacheExpiration)
	d.key = append(d.key[:0], byte(k))
	d.key = root.Get("actor").Get("id").AppendText(d.key)
	return mfaView{kind: k, now: ts, times: d.mfa.add(d.key, ts)}
}
