package app

import (
	"context"
	"log/slog"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/cloudtrail"
	"github.com/kestrel-sec/kestrel/source/github"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
	"github.com/kestrel-sec/kestrel/source/k8saudit"
	"github.com/kestrel-sec/kestrel/source/okta"
)

// eventDecoder makes one event of a source current in a field.Context.
type eventDecoder interface {
	Decode(c *field.Context, data []byte, ts uint64) error
}

// sourceKind is one built-in source other than syscall: its rules'
// fields, its events' decoder, and how replay recognises and reads its
// files.
type sourceKind struct {
	name string
	// pluginID is the registered id of the upstream plugin the source
	// stands in for, which its events carry in captures (PLUGINEVENT_E).
	pluginID uint32
	// rules names the upstream rules file of the source, for messages.
	rules   string
	def     func() engine.SourceDef
	decoder func() eventDecoder
	// detect reports whether the start of a file holds this source's
	// events; nil for the source taken when no other recognises JSON.
	detect func(head []byte) bool
	// read reads a file or directory of events for replay.
	read func(ctx context.Context, path string, stats *jsonsrc.Stats, log *slog.Logger, emit func(data []byte, ts uint64)) error
}

// sourceKinds returns the built-in sources other than syscall, the ones
// recognised from a file's content first.
func sourceKinds() []sourceKind {
	return []sourceKind{
		{
			name: cloudtrail.SourceName, pluginID: cloudtrail.PluginID, rules: "aws_cloudtrail_rules.yaml", def: cloudtrail.Def,
			decoder: func() eventDecoder { return &cloudtrail.Decoder{} },
			detect:  cloudtrail.Detect,
			read: func(ctx context.Context, path string, stats *jsonsrc.Stats, log *slog.Logger, emit func([]byte, uint64)) error {
				r := &cloudtrail.FileReader{Stats: stats, Log: log, Emit: emit}
				return r.Read(ctx, path)
			},
		},
		{
			name: github.SourceName, pluginID: github.PluginID, rules: "github.yaml", def: github.Def,
			decoder: func() eventDecoder { return &github.Decoder{} },
			detect:  github.Detect,
			read: func(ctx context.Context, path string, stats *jsonsrc.Stats, log *slog.Logger, emit func([]byte, uint64)) error {
				r := &github.FileReader{Stats: stats, Log: log, Emit: emit}
				return r.Read(ctx, path)
			},
		},
		{
			name: okta.SourceName, pluginID: okta.PluginID, rules: "okta_rules.yaml", def: okta.Def,
			decoder: func() eventDecoder { return okta.Config{}.NewDecoder() },
			detect:  okta.Detect,
			read: func(ctx context.Context, path string, stats *jsonsrc.Stats, log *slog.Logger, emit func([]byte, uint64)) error {
				r := &okta.FileReader{Stats: stats, Log: log, Emit: emit}
				return r.Read(ctx, path)
			},
		},
		{
			name: k8saudit.SourceName, pluginID: k8saudit.PluginID, rules: "k8s_audit_rules.yaml", def: k8saudit.Def,
			decoder: func() eventDecoder { return &k8saudit.Decoder{} },
			read: func(ctx context.Context, path string, stats *jsonsrc.Stats, log *slog.Logger, emit func([]byte, uint64)) error {
				r := &k8saudit.FileReader{Stats: stats, Log: log, Emit: emit}
				return r.Read(ctx, path, false)
			},
		},
	}
}

// sourceKindNamed returns the built-in source called name.
func sourceKindNamed(name string) (sourceKind, bool) {
	for _, k := range sourceKinds() {
		if k.name == name {
			return k, true
		}
	}
	return sourceKind{}, false
}

// builtinSources are the sources other than syscall whose rules the
// engine compiles: every built-in one, so that their rules files load
// whether or not the source runs.
func builtinSources() []engine.SourceDef {
	kinds := sourceKinds()
	out := make([]engine.SourceDef, len(kinds))
	for i, k := range kinds {
		out[i] = k.def()
	}
	return out
}
