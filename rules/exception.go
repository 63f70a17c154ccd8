package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// rawException is an exception as written, before it is checked against
// the rule it joins: when appending, fields and comps may be absent.
type rawException struct {
	name   string
	node   *yaml.Node
	fields *entry
	comps  *entry
	values []*yaml.Node
	hasVal bool
	// via is the alias the exception, or its values, were written as.
	via *yaml.Node
}

// entry is a scalar or a sequence of scalars.
type entry struct {
	node   *yaml.Node
	isList bool
	item   string
	items  []string
	pos    []Pos // where each item is, for fields
}

func (it *item) readExceptions(appending bool) ([]rawException, bool) {
	defer it.in("exceptions")()
	kv, ok := it.keys["exceptions"]
	if !ok || isNull(kv.val) {
		return nil, ok
	}
	if kv.val.Kind != yaml.SequenceNode {
		it.errorf(kv.val, "value of 'exceptions' must be a sequence, not %s", kindName(kv.val))
		return nil, false
	}
	var out []rawException
	seen := map[string]bool{}
	for _, orig := range kv.val.Content {
		n := deref(orig)
		if n.Kind != yaml.MappingNode {
			it.errorf(n, "each exception must be a mapping, not %s", kindName(n))
			continue
		}
		ei := newItem(it.l, it.f, n, it.within(orig))
		ei.label = it.label
		ei.warnUnknownKeys("name", "fields", "comps", "values")
		name, ok := ei.str("name", true)
		if !ok {
			it.failed = true
			continue
		}
		if seen[name] {
			ei.warnf(ei.at("name"), "exception '%s' is defined more than once in this item", name)
		}
		seen[name] = true
		raw := rawException{name: name, node: n, via: ei.via}
		if raw.via == nil {
			raw.via = ei.keys["values"].via
		}
		raw.fields = ei.entry("fields", name)
		if raw.fields == nil && !appending && !ei.failed {
			ei.errorf(n, "exception '%s' has no 'fields' key", name)
		}
		raw.comps = ei.entry("comps", name)
		if v, ok := ei.keys["values"]; ok && !isNull(v.val) {
			if v.val.Kind != yaml.SequenceNode {
				ei.errorf(v.val, "exception '%s': 'values' must be a sequence, not %s", name, kindName(v.val))
			} else {
				raw.hasVal = true
				for _, x := range v.val.Content {
					raw.values = append(raw.values, deref(x))
				}
			}
		} else if appending {
			ei.warnf(n, "exception '%s' is appended with no values", name)
		}
		if ei.failed {
			it.failed = true
			continue
		}
		out = append(out, raw)
	}
	return out, true
}

// entry reads key of an exception as a scalar or a sequence of scalars; it
// returns nil when the key is absent or wrong.
func (ei *item) entry(key, exName string) *entry {
	defer ei.in(key)()
	kv, ok := ei.keys[key]
	if !ok || isNull(kv.val) {
		return nil
	}
	e := &entry{node: kv.val}
	switch kv.val.Kind {
	case yaml.ScalarNode:
		if kv.val.Value == "" {
			ei.errorf(kv.val, "exception '%s': '%s' must be non-empty", exName, key)
			return nil
		}
		e.item = kv.val.Value
		e.pos = []Pos{nodePos(ei.f, kv.val)}
	case yaml.SequenceNode:
		e.isList = true
		for _, x := range kv.val.Content {
			x = deref(x)
			if x.Kind != yaml.ScalarNode || x.Value == "" {
				ei.errorf(x, "exception '%s': each entry of '%s' must be a non-empty string", exName, key)
				return nil
			}
			e.items = append(e.items, x.Value)
			e.pos = append(e.pos, nodePos(ei.f, x))
		}
	default:
		ei.errorf(kv.val, "exception '%s': '%s' must be a string or a sequence of strings", exName, key)
		return nil
	}
	return e
}

// Operators of the filter language that exception comps may use.
var (
	cmpOps = []string{"=", "==", "!=", "<=", ">=", "<", ">", "contains", "icontains", "bcontains",
		"glob", "iglob", "bstartswith", "startswith", "endswith", "in", "intersects", "pmatch",
		"exists", "regex"}
	modOps    = []string{"=", "==", "!=", "contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith", "glob", "iglob", "regex"}
	modifiers = []string{"oneof", "anyof", "allof"}
	listOps   = []string{"in", "intersects", "pmatch"}
)

// isModOp reports whether op is a string operator with a list modifier,
// e.g. "startswith oneof".
func isModOp(op string) bool {
	f := strings.Fields(op)
	return len(f) == 2 && contains(modOps, f[0]) && contains(modifiers, f[1])
}

// finishException checks a complete exception and converts it.
func (it *item) finishException(raw rawException) (Exception, bool) {
	if raw.via != nil && it.cur == nil && it.via == nil {
		it.cur = raw.via
		defer func() { it.cur = nil }()
	}
	ex := Exception{Name: raw.name, Pos: nodePos(it.f, raw.node)}
	prefix := fmt.Sprintf("exception '%s': ", raw.name)
	fail := func(n *yaml.Node, format string, args ...any) (Exception, bool) {
		it.errorf(n, prefix+format, args...)
		return ex, false
	}
	if raw.fields == nil {
		return fail(raw.node, "no 'fields' key")
	}
	ex.FieldPos = raw.fields.pos
	if !raw.fields.isList {
		ex.Single = true
		ex.Fields = []string{raw.fields.item}
		comp := "in"
		if raw.comps != nil {
			if raw.comps.isList {
				return fail(raw.comps.node, "fields and comps must both be strings or both be sequences")
			}
			comp = strings.TrimSpace(raw.comps.item)
			if !contains(listOps, comp) && !isModOp(comp) {
				return fail(raw.comps.node, "comps '%s' cannot be used with a single field; use in, pmatch, intersects or an operator with a modifier (e.g. startswith oneof)", comp)
			}
		}
		ex.Comps = []string{comp}
		for _, v := range raw.values {
			if v.Kind != yaml.ScalarNode {
				return fail(v, "with a single field each value must be a string, not %s", kindName(v))
			}
			ex.Values = append(ex.Values, ExceptionValue{Pos: nodePos(it.f, v), Items: []ExceptionItem{{Value: v.Value}}})
		}
		return ex, true
	}
	ex.Fields = raw.fields.items
	switch {
	case raw.comps == nil:
		for range ex.Fields {
			ex.Comps = append(ex.Comps, "=")
		}
	case !raw.comps.isList:
		return fail(raw.comps.node, "fields and comps must both be strings or both be sequences")
	case len(raw.comps.items) != len(ex.Fields):
		return fail(raw.comps.node, "fields and comps must have the same length (%d fields, %d comps)", len(ex.Fields), len(raw.comps.items))
	default:
		for i, c := range raw.comps.items {
			c = strings.TrimSpace(c)
			if !contains(cmpOps, c) && !isModOp(c) {
				return fail(raw.comps.node.Content[i], "'%s' is not a supported comparison operator", c)
			}
			ex.Comps = append(ex.Comps, c)
		}
	}
	for _, v := range raw.values {
		ev, ok := it.tupleValue(v, len(ex.Fields), prefix)
		if !ok {
			return ex, false
		}
		ex.Values = append(ex.Values, ev)
	}
	return ex, true
}

// tupleValue reads one value of a tuple-form exception.
func (it *item) tupleValue(v *yaml.Node, nfields int, prefix string) (ExceptionValue, bool) {
	ev := ExceptionValue{Pos: nodePos(it.f, v)}
	if v.Kind != yaml.SequenceNode {
		it.errorf(v, prefix+"each value must be a sequence of %d items, one per field, not %s", nfields, kindName(v))
		return ev, false
	}
	if len(v.Content) != nfields {
		it.errorf(v, prefix+"value has %d items but there are %d fields", len(v.Content), nfields)
		return ev, false
	}
	for _, x := range v.Content {
		x = deref(x)
		switch x.Kind {
		case yaml.ScalarNode:
			ev.Items = append(ev.Items, ExceptionItem{Value: x.Value})
		case yaml.SequenceNode:
			item := ExceptionItem{IsList: true, List: []string{}}
			for _, y := range x.Content {
				y = deref(y)
				if y.Kind != yaml.ScalarNode {
					it.errorf(y, prefix+"a list inside a value must hold strings, not %s", kindName(y))
					return ev, false
				}
				item.List = append(item.List, y.Value)
			}
			ev.Items = append(ev.Items, item)
		default:
			it.errorf(x, prefix+"a value item must be a string or a list of strings, not %s", kindName(x))
			return ev, false
		}
	}
	return ev, true
}
