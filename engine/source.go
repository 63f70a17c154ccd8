package engine

import (
	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/rules"
)

// SourceDef describes an event source other than syscall that the engine
// compiles rules for.
type SourceDef struct {
	// Name is the source as rules name it in their source key
	// (k8s_audit).
	Name string
	// Fields are the fields of the source's events.
	Fields *field.Registry
	// Plugins are the upstream plugins the source stands in for, with
	// their versions, against which required_plugin_versions is checked.
	Plugins []rules.PluginVersion
}

// Source runs the rules of one source other than syscall. Every rule of
// the source is tested against every event of it, in definition order:
// such events have no event types to index by.
type Source struct {
	name     string
	all      []*Rule // every compiled rule of the source
	selected []*Rule
	e        *Engine
	buf      []byte // alerts are rendered here: one goroutine judges a source's events
}

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// Rules returns every compiled rule of the source, selected or not.
func (s *Source) Rules() []*Rule { return s.all }

// Selected returns the rules of the source that run.
func (s *Source) Selected() []*Rule { return s.selected }

// Process tests the context's current event, an event of this source,
// against the source's selected rules and appends an alert to dst for
// each match (only the first with rule_matching first). It allocates
// nothing when no rule matches.
func (s *Source) Process(c *field.Context, dst []alert.Alert) []alert.Alert {
	for _, r := range s.selected {
		if !r.Program.Match(c) {
			continue
		}
		dst = append(dst, s.e.newAlert(r, c, &s.buf))
		if s.e.opts.Matching == MatchFirst {
			break
		}
	}
	return dst
}

// Source returns the rules of the source called name; nil when the engine
// was not given that source.
func (e *Engine) Source(name string) *Source {
	for _, s := range e.sources {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Sources returns the sources other than syscall, in the order of the
// options.
func (e *Engine) Sources() []*Source { return e.sources }

// sourceBuild is what compiling the rules of one source needs.
type sourceBuild struct {
	src  *Source
	o    Options
	fo   filter.Options
	ms   *macros
	used map[string]bool
}

// newSourceBuild prepares the compilation of a source's rules: its own
// field registry, filter cache and compiled macros. The macros' text
// problems were reported with the syscall source's, so they are not
// reported again.
func newSourceBuild(def SourceDef, spec *rules.Spec, o Options, ls *lists) *sourceBuild {
	o.Fields = def.Fields
	fo := filter.Options{Fields: def.Fields, List: ls.lookup, Cache: filter.NewCache()}
	ms := newMacros(spec, fo, ls, &diags{})
	fo.Macro = ms.lookup
	return &sourceBuild{src: &Source{name: def.Name}, o: o, fo: fo, ms: ms, used: map[string]bool{}}
}

// DefaultSyscallPlugins are the plugins the syscall source stands in
// for: Falco's container plugin, whose container.* fields the syscall
// field registry has.
func DefaultSyscallPlugins() []rules.PluginVersion {
	return []rules.PluginVersion{{Name: "container", Version: "0.7.1"}}
}

// declaredPlugins lists the plugins every source of the options declares.
func declaredPlugins(o Options) []rules.PluginVersion {
	out := o.SyscallPlugins
	if out == nil {
		out = DefaultSyscallPlugins()
	}
	out = append([]rules.PluginVersion(nil), out...)
	for _, s := range o.Sources {
		out = append(out, s.Plugins...)
	}
	return out
}

// finish selects the source's rules under the options.
func (b *sourceBuild) finish(e *Engine) *Source {
	s := b.src
	s.e = e
	for _, r := range s.all {
		r.Selected = e.opts.selected(r.Spec)
		if r.Selected {
			s.selected = append(s.selected, r)
		}
	}
	return s
}
