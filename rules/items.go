package rules

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Falco's patterns for names: a macro name is an identifier, a list name a
// bare string of the filter language.
var (
	identRE   = regexp.MustCompile(`^[a-zA-Z]+[a-zA-Z0-9_]*$`)
	barestrRE = regexp.MustCompile(`^[^()"'\s=,]+$`)
)

// Keys Falco knows for each item kind.
var (
	listKeys  = []string{"list", "items", "append", "override"}
	macroKeys = []string{"macro", "condition", "append", "override"}
	ruleKeys  = []string{"rule", "condition", "output", "desc", "priority", "source", "enabled",
		"capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter", "tags",
		"exceptions", "override", "append"}
	ruleAppendable  = []string{"condition", "output", "desc", "tags", "exceptions"}
	ruleReplaceable = []string{"condition", "output", "desc", "priority", "capture",
		"capture_duration", "tags", "exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter"}
)

const (
	msgAppendDeprecated  = "'append' is deprecated; add an 'append' entry under 'override' instead (e.g. 'override: {%s: append}')"
	msgOverrideAndAppend = "'override' and 'append: true' cannot be used together; use only 'override'"
)

func (l *Loader) readItem(f *srcFile, n, via *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		at := n
		if via != nil {
			at = via
		}
		l.add(f, SeverityError, at, "", "each item must be a mapping, not "+kindName(n))
		return
	}
	it := newItem(l, f, n, via)
	switch {
	case it.has("required_engine_version"):
		it.label = "required_engine_version"
		l.readEngineVersion(it)
	case it.has("required_plugin_versions"):
		it.label = "required_plugin_versions"
		l.readPluginVersions(it)
	case it.has("list"):
		l.readList(it)
	case it.has("macro"):
		l.readMacro(it)
	case it.has("rule"):
		l.readRule(it)
	default:
		var keys []string
		for _, kv := range it.order {
			keys = append(keys, kv.name)
		}
		it.warnf(n, "unknown item with keys %s; the item is ignored (known items: rule, macro, list, required_engine_version, required_plugin_versions)", quoteList(keys))
	}
}

func (l *Loader) readEngineVersion(it *item) {
	it.warnUnknownKeys("required_engine_version")
	v, ok := it.scalar("required_engine_version", true, false)
	if !ok {
		return
	}
	ver, ok := parseEngineVersion(v.Value)
	if !ok {
		it.errorf(v, "cannot parse engine version '%s'; want a minor version number or x.y.z", v.Value)
		return
	}
	if !versionAtLeast(EngineVersion, ver) {
		it.errorf(v, "rules require engine version %s, but Kestrel implements engine version %s", ver, EngineVersion)
		return
	}
	req := l.spec.RequiredEngineVersion
	if req == nil || versionLess(req.Version, ver) {
		l.spec.RequiredEngineVersion = &EngineRequirement{Version: ver, Pos: nodePos(it.f, v)}
	}
}

func (l *Loader) readPluginVersions(it *item) {
	it.warnUnknownKeys("required_plugin_versions")
	kv := it.keys["required_plugin_versions"]
	if kv.val.Kind != yaml.SequenceNode {
		it.errorf(kv.val, "value of 'required_plugin_versions' must be a sequence, not %s", kindName(kv.val))
		return
	}
	defer it.in("required_plugin_versions")()
	for _, orig := range kv.val.Content {
		e := deref(orig)
		if e.Kind != yaml.MappingNode {
			it.errorf(e, "each plugin requirement must be a mapping, not %s", kindName(e))
			continue
		}
		pi := newItem(l, it.f, e, it.within(orig))
		pi.label = it.label
		pi.warnUnknownKeys("name", "version", "alternatives")
		name, _ := pi.str("name", true)
		version, _ := pi.str("version", true)
		req := PluginRequirement{Name: name, Version: version, Pos: nodePos(it.f, e)}
		seen := map[string]bool{name: true}
		if alt, ok := pi.keys["alternatives"]; ok {
			if alt.val.Kind != yaml.SequenceNode {
				pi.errorf(alt.val, "value of 'alternatives' must be a sequence, not %s", kindName(alt.val))
			} else {
				for _, origAlt := range alt.val.Content {
					a := deref(origAlt)
					if a.Kind != yaml.MappingNode {
						pi.errorf(a, "each alternative must be a mapping, not %s", kindName(a))
						continue
					}
					ai := newItem(l, it.f, a, pi.within(origAlt))
					ai.label = it.label
					ai.warnUnknownKeys("name", "version")
					an, _ := ai.str("name", true)
					av, _ := ai.str("version", true)
					if ai.failed {
						pi.failed = true
						continue
					}
					if !validSemver(av) {
						pi.errorf(ai.at("version"), "invalid version '%s' for plugin '%s'; want x.y.z", av, an)
					}
					if seen[an] {
						pi.errorf(ai.at("name"), "more than one version requirement for plugin '%s'", an)
					}
					seen[an] = true
					req.Alternatives = append(req.Alternatives, PluginVersion{Name: an, Version: av})
				}
			}
		}
		if !pi.failed && !validSemver(version) {
			pi.errorf(pi.at("version"), "invalid version '%s' for plugin '%s'; want x.y.z", version, name)
		}
		if !pi.failed {
			l.spec.RequiredPlugins = append(l.spec.RequiredPlugins, req)
		}
	}
}

// readName reads the item's name key and sets its label.
func (it *item) readName(kind string) (string, bool) {
	it.label = kind
	name, ok := it.str(kind, true)
	if !ok {
		return "", false
	}
	it.label = fmt.Sprintf("%s %q", kind, name)
	return name, true
}

// overrides is the parsed "override" key: key name → key node.
type overrides struct {
	append, replace map[string]*yaml.Node
}

func (o overrides) any() bool { return len(o.append)+len(o.replace) > 0 }

func (it *item) readOverrides(appendable, replaceable []string) (overrides, bool) {
	o := overrides{append: map[string]*yaml.Node{}, replace: map[string]*yaml.Node{}}
	kv, ok := it.keys["override"]
	if !ok || isNull(kv.val) {
		return o, true
	}
	if kv.val.Kind != yaml.MappingNode {
		it.errorf(kv.val, "value of 'override' must be a mapping of keys to 'append' or 'replace', not %s", kindName(kv.val))
		return o, false
	}
	good := true
	defer it.in("override")()
	oi := newItem(it.l, it.f, kv.val, it.within(kv.val))
	oi.label = it.label
	if oi.failed {
		it.failed, good = true, false
	}
	for _, e := range oi.order {
		key := e.name
		canAppend, canReplace := contains(appendable, key), contains(replaceable, key)
		op := ""
		if e.val.Kind == yaml.ScalarNode {
			op = e.val.Value
		}
		switch {
		case op != "append" && op != "replace":
			var allowed []string
			if canAppend {
				allowed = append(allowed, "append")
			}
			if canReplace {
				allowed = append(allowed, "replace")
			}
			if len(allowed) == 0 {
				it.errorf(e.key, "key '%s' cannot be overridden", key)
			} else {
				it.errorf(e.val, "invalid override operation '%s' for key '%s'; allowed: %s", op, key, strings.Join(allowed, ", "))
			}
			good = false
		case !canAppend && !canReplace:
			it.errorf(e.key, "key '%s' cannot be overridden (overridable keys: %s)", key, strings.Join(replaceable, ", "))
			good = false
		case op == "append" && !canAppend:
			it.errorf(e.val, "key '%s' cannot be appended to; use 'replace' instead", key)
			good = false
		case op == "replace" && !canReplace:
			it.errorf(e.val, "key '%s' cannot be replaced", key)
			good = false
		case op == "append":
			o.append[key] = e.key
		default:
			o.replace[key] = e.key
		}
	}
	return o, good
}

// readAppendFlag reads the legacy "append" key and warns that it is
// deprecated.
func (it *item) readAppendFlag(example string) bool {
	if !it.has("append") {
		return false
	}
	b, ok := it.boolean("append", false)
	if ok && b {
		it.warnf(it.keys["append"].key, msgAppendDeprecated, example)
	}
	return ok && b
}

func (l *Loader) readList(it *item) {
	name, ok := it.readName("list")
	it.warnUnknownKeys(listKeys...)
	if !ok {
		return
	}
	if !barestrRE.MatchString(name) {
		it.warnf(it.at("list"), "invalid list name; list names should match the regular expression ([^()\"'[:space:]=,]+)")
	}
	items, _ := it.strings("items", true)
	appendFlag := it.readAppendFlag("items")
	ov, _ := it.readOverrides([]string{"items"}, []string{"items"})
	if appendFlag && ov.any() {
		it.errorf(it.keys["override"].key, msgOverrideAndAppend)
	}
	if it.failed {
		if !appendFlag && !ov.any() {
			l.broken["list:"+name] = true
		}
		return
	}
	if _, ok := ov.append["items"]; appendFlag || ok {
		l.appendList(it, name, items)
		return
	}
	l.defineList(it, name, items)
}

func (l *Loader) readMacro(it *item) {
	name, ok := it.readName("macro")
	it.warnUnknownKeys(macroKeys...)
	if !ok {
		return
	}
	if !identRE.MatchString(name) {
		it.warnf(it.at("macro"), "invalid macro name; macro names should match the regular expression ([a-zA-Z]+[a-zA-Z0-9_]*)")
	}
	cond, _ := it.text("condition", true)
	appendFlag := it.readAppendFlag("condition")
	ov, _ := it.readOverrides([]string{"condition"}, []string{"condition"})
	if appendFlag && ov.any() {
		it.errorf(it.keys["override"].key, msgOverrideAndAppend)
	}
	if it.failed {
		if !appendFlag && !ov.any() {
			l.broken["macro:"+name] = true
		}
		return
	}
	if _, ok := ov.append["condition"]; appendFlag || ok {
		l.appendMacro(it, name, cond)
		return
	}
	l.defineMacro(it, name, cond)
}
