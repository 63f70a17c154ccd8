package rules

// ruleUpdate holds the keys of an item that appends to or replaces parts
// of an earlier rule; nil fields were not given.
type ruleUpdate struct {
	cond, output, desc *Text
	tags               []string
	hasTags            bool
	exceptions         []rawException
	hasExceptions      bool
	priority           *Priority
	capture            *bool
	captureDuration    *uint64
	enabled            *bool
	warnEvttypes       *bool
	skipUnknown        *bool
}

func (u *ruleUpdate) empty() bool {
	return u.cond == nil && u.output == nil && u.desc == nil && !u.hasTags && !u.hasExceptions &&
		u.priority == nil && u.capture == nil && u.captureDuration == nil && u.enabled == nil &&
		u.warnEvttypes == nil && u.skipUnknown == nil
}

func (l *Loader) readRule(it *item) {
	name, ok := it.readName("rule")
	it.warnUnknownKeys(ruleKeys...)
	if !ok {
		return
	}
	source := ""
	if v, ok := it.scalar("source", false, true); ok && v != nil {
		source = v.Value
	}
	appendFlag := it.readAppendFlag("condition")
	ov, ovOK := it.readOverrides(ruleAppendable, ruleReplaceable)
	switch {
	case appendFlag && ov.any():
		it.errorf(it.keys["override"].key, msgOverrideAndAppend)
	case !ovOK:
	case ov.any():
		l.readRuleOverride(it, name, source, ov)
	case appendFlag:
		u := it.readUpdate([]string{"condition", "exceptions"}, true)
		for _, kv := range it.order {
			if contains(ruleReplaceable, kv.name) && kv.name != "condition" && kv.name != "exceptions" {
				it.warnf(kv.key, "key '%s' is ignored with 'append: true'; only 'condition' and 'exceptions' are appended", kv.name)
			}
		}
		if !it.failed {
			l.appendRule(it, name, source, u)
		}
	case !it.has("condition") && !it.has("output") && !it.has("desc") && !it.has("priority"):
		enabled, ok := it.boolean("enabled", true)
		if !ok {
			return
		}
		it.warnf(it.keys["enabled"].key, "a standalone 'enabled' key is deprecated; add 'override: {enabled: replace}'")
		l.enableRule(it, name, source, enabled)
	default:
		l.readRuleDefinition(it, name, source)
	}
}

func (l *Loader) readRuleOverride(it *item, name, source string, ov overrides) {
	var appendKeys, replaceKeys []string
	for _, k := range ruleReplaceable { // a fixed order for stable output
		if n, ok := ov.append[k]; ok {
			if !it.has(k) {
				it.errorf(n, "an append override for '%s' is given but the item has no '%s' key", k, k)
			}
			appendKeys = append(appendKeys, k)
		}
		if n, ok := ov.replace[k]; ok {
			if !it.has(k) {
				it.errorf(n, "a replace override for '%s' is given but the item has no '%s' key", k, k)
			}
			replaceKeys = append(replaceKeys, k)
		}
	}
	for _, kv := range it.order {
		_, a := ov.append[kv.name]
		_, r := ov.replace[kv.name]
		if contains(ruleReplaceable, kv.name) && !a && !r {
			it.errorf(kv.key, "unexpected key '%s': it has no entry under 'override'", kv.name)
		}
	}
	if it.failed {
		return
	}
	app := it.readUpdate(appendKeys, true)
	rep := it.readUpdate(replaceKeys, false)
	if it.failed {
		return
	}
	if len(appendKeys) > 0 {
		l.appendRule(it, name, source, app)
	}
	if len(replaceKeys) > 0 && !it.failed {
		l.replaceRule(it, name, source, rep)
	}
}

// readUpdate reads the given keys of the item.
func (it *item) readUpdate(keys []string, appending bool) *ruleUpdate {
	u := &ruleUpdate{}
	for _, k := range keys {
		if !it.has(k) {
			continue
		}
		switch k {
		case "condition", "output", "desc":
			t, ok := it.text(k, true)
			if !ok {
				continue
			}
			switch k {
			case "condition":
				u.cond = &t
			case "output":
				u.output = &t
			default:
				u.desc = &t
			}
		case "tags":
			u.tags, u.hasTags = it.tags()
		case "exceptions":
			u.exceptions, u.hasExceptions = it.readExceptions(appending)
		case "priority":
			if p, ok := it.priority(); ok {
				u.priority = &p
			}
		case "capture", "enabled", "warn_evttypes", "skip-if-unknown-filter":
			b, ok := it.boolean(k, true)
			if !ok {
				continue
			}
			switch k {
			case "capture":
				u.capture = &b
			case "enabled":
				u.enabled = &b
			case "warn_evttypes":
				u.warnEvttypes = &b
			default:
				u.skipUnknown = &b
			}
		case "capture_duration":
			if n, ok := it.uint(k); ok {
				u.captureDuration = &n
			}
		}
	}
	return u
}

func (it *item) tags() ([]string, bool) {
	vals, ok := it.strings("tags", false)
	if !ok {
		return nil, false
	}
	tags := []string{}
	for _, v := range vals {
		tags = addTag(tags, v.Value)
	}
	return tags, true
}

func addTag(tags []string, t string) []string {
	if contains(tags, t) {
		return tags
	}
	return append(tags, t)
}

func (it *item) priority() (Priority, bool) {
	defer it.in("priority")()
	s, ok := it.str("priority", true)
	if !ok {
		return 0, false
	}
	p, ok := ParsePriority(s)
	if !ok {
		it.errorf(it.at("priority"), "invalid priority '%s'; want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (or INFO), DEBUG", s)
	}
	return p, ok
}

func (l *Loader) readRuleDefinition(it *item, name, source string) {
	r := &Rule{
		Name: name, Source: SyscallSource, Enabled: true, WarnEvttypes: true,
		Pos: it.pos(), Tags: []string{},
	}
	if source != "" {
		r.Source = source
	}
	r.Condition, _ = it.text("condition", true)
	r.Output, _ = it.text("output", true)
	r.Output = trimText(r.Output)
	r.Desc, _ = it.text("desc", true)
	r.Priority, _ = it.priority()
	set := func(key string, dst *bool) {
		if it.has(key) {
			if b, ok := it.boolean(key, false); ok {
				*dst = b
			}
		}
	}
	set("enabled", &r.Enabled)
	set("capture", &r.Capture)
	set("warn_evttypes", &r.WarnEvttypes)
	set("skip-if-unknown-filter", &r.SkipIfUnknownFilter)
	if n, ok := it.uint("capture_duration"); ok {
		r.CaptureDuration = n
	}
	if tags, ok := it.tags(); ok {
		r.Tags = tags
	}
	raws, _ := it.readExceptions(false)
	for _, raw := range raws {
		if ex, ok := it.finishException(raw); ok {
			r.Exceptions = append(r.Exceptions, ex)
		}
	}
	if it.failed {
		l.broken["rule:"+name] = true
		return
	}
	l.defineRule(it, r, source)
}

// trimText removes leading and trailing blanks, as Falco does for outputs.
func trimText(t Text) Text {
	if len(t.Spans) != 1 {
		return t
	}
	v := t.Value
	start := 0
	for start < len(v) && isBlank(v[start]) {
		start++
	}
	end := len(v)
	for end > start && isBlank(v[end-1]) {
		end--
	}
	if start == 0 && end == len(v) {
		return t
	}
	sp := t.Spans[0]
	at := t.PosAt(start)
	sp.Pos, sp.Len = at, end-start
	return Text{Value: v[start:end], Spans: []Span{sp}}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
