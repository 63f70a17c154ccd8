package rules

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// item is one top-level mapping being read.
type item struct {
	l      *Loader
	f      *srcFile
	node   *yaml.Node
	label  string // e.g. `rule "x"`
	keys   map[string]keyVal
	order  []keyVal
	failed bool
}

type keyVal struct {
	name     string
	key, val *yaml.Node
}

func newItem(l *Loader, f *srcFile, n *yaml.Node) *item {
	it := &item{l: l, f: f, node: n, keys: map[string]keyVal{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		name := k.Value
		if k.Kind != yaml.ScalarNode {
			it.errorf(k, "item keys must be scalars, not %s", kindName(k))
			continue
		}
		if prev, ok := it.keys[name]; ok {
			it.errorf(k, "duplicate key '%s' (first given at line %d)", name, prev.key.Line)
			continue
		}
		kv := keyVal{name: name, key: k, val: v}
		it.keys[name] = kv
		it.order = append(it.order, kv)
	}
	return it
}

func (it *item) errorf(n *yaml.Node, format string, args ...any) {
	it.failed = true
	it.l.add(it.f, SeverityError, n, it.label, fmt.Sprintf(format, args...))
}

func (it *item) warnf(n *yaml.Node, format string, args ...any) {
	it.l.add(it.f, SeverityWarning, n, it.label, fmt.Sprintf(format, args...))
}

func (it *item) pos() Pos { return nodePos(it.f, it.node) }

func (it *item) has(key string) bool {
	_, ok := it.keys[key]
	return ok
}

// at is the node to point at for key: its value, or the item itself.
func (it *item) at(key string) *yaml.Node {
	if kv, ok := it.keys[key]; ok {
		return kv.val
	}
	return it.node
}

// warnUnknownKeys warns about keys not in known, as Falco does; the keys
// are ignored.
func (it *item) warnUnknownKeys(known ...string) {
	for _, kv := range it.order {
		if !contains(known, kv.name) {
			it.warnf(kv.key, "unknown key '%s'; the key is ignored", kv.name)
		}
	}
}

// scalar returns the value of key as a scalar node. Missing keys are
// reported when required; a null or empty value is reported unless
// canBeEmpty.
func (it *item) scalar(key string, required, canBeEmpty bool) (*yaml.Node, bool) {
	kv, ok := it.keys[key]
	if !ok {
		if required {
			it.errorf(it.node, "missing required key '%s'", key)
		}
		return nil, false
	}
	v := kv.val
	if isNull(v) {
		if !canBeEmpty {
			it.errorf(kv.key, "key '%s' has no value", key)
			return nil, false
		}
		return nil, true
	}
	if v.Kind != yaml.ScalarNode {
		it.errorf(v, "value of '%s' must be a scalar, not %s", key, kindName(v))
		return nil, false
	}
	if v.Value == "" && !canBeEmpty {
		it.errorf(v, "value of '%s' must be non-empty", key)
		return nil, false
	}
	return v, true
}

func (it *item) str(key string, required bool) (string, bool) {
	v, ok := it.scalar(key, required, false)
	if !ok || v == nil {
		return "", ok
	}
	return v.Value, true
}

func (it *item) text(key string, required bool) (Text, bool) {
	v, ok := it.scalar(key, required, false)
	if !ok || v == nil {
		return Text{}, ok
	}
	return it.textOf(v), true
}

// textOf locates the scalar n as a Text.
func (it *item) textOf(n *yaml.Node) Text {
	sp := Span{Len: len(n.Value), lines: it.f.lines, Pos: nodePos(it.f, n)}
	switch {
	case n.Style&yaml.LiteralStyle != 0, n.Style&yaml.FoldedStyle != 0:
		sp.Style = StyleFolded
		if n.Style&yaml.LiteralStyle != 0 {
			sp.Style = StyleLiteral
		}
		for ln := n.Line + 1; ln <= len(it.f.lines); ln++ {
			s := it.f.line(ln)
			if t := strings.TrimLeft(s, " \t"); t != "" {
				sp.Pos = Pos{File: it.f.name, Line: ln, Column: runeColumn(s, len(s)-len(t))}
				break
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		sp.Style = StyleSingleQuoted
		sp.Pos.Column++
	case n.Style&yaml.DoubleQuotedStyle != 0:
		sp.Style = StyleDoubleQuoted
		sp.Pos.Column++
	}
	return Text{Value: n.Value, Spans: []Span{sp}}
}

func (it *item) boolean(key string, required bool) (bool, bool) {
	v, ok := it.scalar(key, required, false)
	if !ok || v == nil {
		return false, false
	}
	b, ok := parseBool(v.Value)
	if !ok {
		it.errorf(v, "value of '%s' must be a boolean (true or false), not '%s'", key, v.Value)
	}
	return b, ok
}

func (it *item) uint(key string) (uint64, bool) {
	v, ok := it.scalar(key, false, false)
	if !ok || v == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(v.Value, 10, 64)
	if err != nil {
		it.errorf(v, "value of '%s' must be a non-negative integer, not '%s'", key, v.Value)
		return 0, false
	}
	return n, true
}

// strings reads a sequence of scalars.
func (it *item) strings(key string, required bool) ([]Value, bool) {
	kv, ok := it.keys[key]
	if !ok {
		if required {
			it.errorf(it.node, "missing required key '%s'", key)
		}
		return nil, false
	}
	if isNull(kv.val) {
		return nil, true
	}
	if kv.val.Kind != yaml.SequenceNode {
		it.errorf(kv.val, "value of '%s' must be a sequence, not %s", key, kindName(kv.val))
		return nil, false
	}
	out := []Value{}
	good := true
	for _, e := range kv.val.Content {
		e = deref(e)
		if e.Kind != yaml.ScalarNode || isNull(e) {
			it.errorf(e, "each entry of '%s' must be a scalar, not %s", key, kindName(e))
			good = false
			continue
		}
		out = append(out, Value{Value: e.Value, Pos: nodePos(it.f, e)})
	}
	return out, good
}

// parseBool accepts the spellings YAML 1.1 readers accept.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}
