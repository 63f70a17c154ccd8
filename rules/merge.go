package rules

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A definition of a name that exists replaces it (as Falco does) and keeps
// its place in the order; appends and overrides change it in place.

func (l *Loader) defineList(it *item, name string, items []Value) {
	delete(l.broken, "list:"+name)
	seq := l.next()
	if prev := l.spec.lists[name]; prev != nil {
		*prev = List{Name: name, Items: items, Pos: it.pos(), Order: Order{Index: prev.Index, Visibility: seq}}
		return
	}
	li := &List{Name: name, Items: items, Pos: it.pos(), Order: Order{Index: seq, Visibility: seq}}
	l.spec.lists[name] = li
	l.spec.Lists = append(l.spec.Lists, li)
}

func (l *Loader) appendList(it *item, name string, items []Value) {
	prev := l.spec.lists[name]
	if prev == nil {
		if !l.broken["list:"+name] {
			it.errorf(it.node, "cannot append to an undefined list; define the list before appending to it")
		}
		return
	}
	prev.Items = append(prev.Items, items...)
	prev.Updates = append(prev.Updates, it.pos())
	prev.Visibility = l.next()
}

func (l *Loader) defineMacro(it *item, name string, cond Text) {
	delete(l.broken, "macro:"+name)
	seq := l.next()
	if prev := l.spec.macros[name]; prev != nil {
		*prev = Macro{Name: name, Condition: cond, Pos: it.pos(), Order: Order{Index: prev.Index, Visibility: seq}}
		return
	}
	m := &Macro{Name: name, Condition: cond, Pos: it.pos(), Order: Order{Index: seq, Visibility: seq}}
	l.spec.macros[name] = m
	l.spec.Macros = append(l.spec.Macros, m)
}

func (l *Loader) appendMacro(it *item, name string, cond Text) {
	prev := l.spec.macros[name]
	if prev == nil {
		if !l.broken["macro:"+name] {
			it.errorf(it.node, "cannot append to an undefined macro; define the macro before appending to it")
		}
		return
	}
	prev.Condition = appendText(prev.Condition, cond)
	prev.Updates = append(prev.Updates, it.pos())
	prev.Visibility = l.next()
}

// prevRule finds the rule an item changes, checking that an explicit
// source agrees with the rule's.
func (l *Loader) prevRule(it *item, name, source, action string) *Rule {
	prev := l.spec.rules[name]
	if prev == nil {
		if !l.broken["rule:"+name] {
			it.errorf(it.node, "cannot %s an undefined rule; define the rule first", action)
		}
		return nil
	}
	if source != "" && prev.Source != source {
		it.errorf(it.at("source"), "redefined with a different source ('%s', was '%s')", source, prev.Source)
		return nil
	}
	return prev
}

func (l *Loader) defineRule(it *item, r *Rule, source string) {
	name := r.Name
	seq := l.next()
	if prev := l.spec.rules[name]; prev != nil {
		if source == "" {
			source = SyscallSource
		}
		if prev.Source != source {
			it.errorf(it.at("source"), "redefined with a different source ('%s', was '%s')", source, prev.Source)
			return
		}
		r.Order = Order{Index: prev.Index, Visibility: seq}
		*prev = *r
		return
	}
	delete(l.broken, "rule:"+name)
	r.Order = Order{Index: seq, Visibility: seq}
	l.spec.rules[name] = r
	l.spec.Rules = append(l.spec.Rules, r)
}

func (l *Loader) appendRule(it *item, name, source string, u *ruleUpdate) {
	prev := l.prevRule(it, name, source, "append to")
	if prev == nil {
		return
	}
	if u.empty() {
		it.errorf(it.node, "an append to a rule must have a 'condition' or 'exceptions' key")
		return
	}
	exs := append([]Exception(nil), prev.Exceptions...)
	for _, raw := range u.exceptions {
		i := exceptionIndex(exs, raw.name)
		if i < 0 {
			if raw.fields == nil {
				it.errorf(raw.node, "exception '%s' is new to rule '%s', so it needs a 'fields' key", raw.name, name)
				return
			}
			if len(raw.values) == 0 {
				it.errorf(raw.node, "exception '%s' is new to rule '%s', so it needs a 'values' key with at least one value", raw.name, name)
				return
			}
			ex, ok := it.finishException(raw)
			if !ok {
				return
			}
			exs = append(exs, ex)
			continue
		}
		if raw.fields != nil {
			it.errorf(raw.fields.node, "exception '%s' exists; only its values can be appended, not fields", raw.name)
			return
		}
		if raw.comps != nil {
			it.errorf(raw.comps.node, "exception '%s' exists; only its values can be appended, not comps", raw.name)
			return
		}
		// Check the values against the existing fields.
		full := raw
		full.fields = exEntry(exs[i].Fields, exs[i].Single, raw.node)
		full.comps = exEntry(exs[i].Comps, exs[i].Single, raw.node)
		ex, ok := it.finishException(full)
		if !ok {
			return
		}
		exs[i].Values = append(exs[i].Values, ex.Values...)
	}
	if u.cond != nil && u.cond.Value != "" {
		prev.Condition = appendText(prev.Condition, *u.cond)
	}
	if u.output != nil && u.output.Value != "" {
		prev.Output = appendText(prev.Output, *u.output)
	}
	if u.desc != nil && u.desc.Value != "" {
		prev.Desc = appendText(prev.Desc, *u.desc)
	}
	for _, t := range u.tags {
		prev.Tags = addTag(prev.Tags, t)
	}
	prev.Exceptions = exs
	prev.Updates = append(prev.Updates, it.pos())
	prev.Visibility = l.next()
}

func exceptionIndex(exs []Exception, name string) int {
	for i, ex := range exs {
		if ex.Name == name {
			return i
		}
	}
	return -1
}

func exEntry(list []string, single bool, n *yaml.Node) *entry {
	if single {
		return &entry{node: n, item: list[0]}
	}
	return &entry{node: n, isList: true, items: list}
}

func (l *Loader) replaceRule(it *item, name, source string, u *ruleUpdate) {
	prev := l.prevRule(it, name, source, "override")
	if prev == nil {
		return
	}
	var exs []Exception
	if u.hasExceptions {
		for _, raw := range u.exceptions {
			ex, ok := it.finishException(raw)
			if !ok {
				return
			}
			exs = append(exs, ex)
		}
		prev.Exceptions = exs
	}
	if u.cond != nil {
		prev.Condition = *u.cond
	}
	if u.output != nil {
		prev.Output = *u.output
	}
	if u.desc != nil {
		prev.Desc = *u.desc
	}
	if u.hasTags {
		prev.Tags = u.tags
	}
	setIf(&prev.Priority, u.priority)
	setIf(&prev.Capture, u.capture)
	setIf(&prev.CaptureDuration, u.captureDuration)
	setIf(&prev.Enabled, u.enabled)
	setIf(&prev.WarnEvttypes, u.warnEvttypes)
	setIf(&prev.SkipIfUnknownFilter, u.skipUnknown)
	prev.Updates = append(prev.Updates, it.pos())
	prev.Visibility = l.next()
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (l *Loader) enableRule(it *item, name, source string, enabled bool) {
	prev := l.prevRule(it, name, source, "enable or disable")
	if prev == nil {
		return
	}
	prev.Enabled = enabled
	prev.Updates = append(prev.Updates, it.pos())
}

// parseEngineVersion reads a required_engine_version as Falco does: a
// bare number N is the minor version (8 means 0.8.0); otherwise the text
// must start with three dot-separated numbers, as sscanf("%u.%u.%u")
// reads them, and what follows is ignored ("0.57.0-rc1" is 0.57.0). It
// returns x.y.z.
func parseEngineVersion(s string) (string, bool) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return fmt.Sprintf("0.%d.0", n), true
	}
	v, ok := semverParts(s)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]), true
}

// semverParts reads the three numbers a version starts with.
func semverParts(s string) ([3]uint64, bool) {
	var out [3]uint64
	rest := s
	for i := range out {
		if i > 0 {
			if !strings.HasPrefix(rest, ".") {
				return out, false
			}
			rest = rest[1:]
		}
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			return out, false
		}
		v, err := strconv.ParseUint(rest[:n], 10, 32)
		if err != nil {
			return out, false
		}
		out[i], rest = v, rest[n:]
	}
	return out, true
}

func validSemver(s string) bool {
	_, ok := semverParts(s)
	return ok
}

// versionAtLeast reports whether have satisfies want: the same major
// version and not older.
func versionAtLeast(have, want string) bool {
	h, ok1 := semverParts(have)
	w, ok2 := semverParts(want)
	if !ok1 || !ok2 || h[0] != w[0] {
		return false
	}
	return !versionLess(have, want)
}

// versionLess orders versions by their numbers.
func versionLess(a, b string) bool {
	x, _ := semverParts(a)
	y, _ := semverParts(b)
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}
