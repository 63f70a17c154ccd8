package rules

import (
	"fmt"
	"slices"
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
	// via is the alias the item was reached through, and cur the alias
	// of the key being read: problems inside aliased content are
	// reported at the alias, once, rather than at the anchored text.
	via, cur *yaml.Node
}

type keyVal struct {
	name     string
	key, val *yaml.Node
	via      *yaml.Node // the alias the value was written as
}

// newItem reads the mapping n, reached through the alias via (nil when
// written in place).
func newItem(l *Loader, f *srcFile, n, via *yaml.Node) *item {
	it := &item{l: l, f: f, node: n, keys: map[string]keyVal{}, via: via}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var vvia *yaml.Node
		if n.Content[i+1].Kind == yaml.AliasNode {
			vvia = n.Content[i+1]
		}
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
		kv := keyVal{name: name, key: k, val: v, via: vvia}
		it.keys[name] = kv
		it.order = append(it.order, kv)
	}
	return it
}

func (it *item) errorf(n *yaml.Node, format string, args ...any) {
	it.failed = true
	if n, ok := it.loc(n, SeverityError); ok {
		it.l.add(it.f, SeverityError, n, it.label, fmt.Sprintf(format, args...))
	}
}

func (it *item) warnf(n *yaml.Node, format string, args ...any) {
	if n, ok := it.loc(n, SeverityWarning); ok {
		it.l.add(it.f, SeverityWarning, n, it.label, fmt.Sprintf(format, args...))
	}
}

// loc returns the node a problem at n is reported at: the alias when n
// was reached through one. ok is false for a second problem behind the
// same alias, which is not reported again.
func (it *item) loc(n *yaml.Node, sev Severity) (*yaml.Node, bool) {
	via := it.cur
	if via == nil {
		via = it.via
	}
	if via == nil {
		return n, true
	}
	k := aliasReport{via, sev}
	if it.l.aliasShown[k] {
		return nil, false
	}
	it.l.aliasShown[k] = true
	return via, true
}

// aliasReport is an alias and the severity of the problem reported there.
type aliasReport struct {
	via *yaml.Node
	sev Severity
}

// in makes the problems found until the returned function is called be
// reported at the alias key's value was written as, if any.
func (it *item) in(key string) func() {
	kv, ok := it.keys[key]
	if !ok || kv.via == nil || it.cur != nil || it.via != nil {
		return func() {}
	}
	it.cur = kv.via
	return func() { it.cur = nil }
}

// within is the alias a sub-item read from node n (written as orig)
// inherits: the current one, or orig when it is an alias.
func (it *item) within(orig *yaml.Node) *yaml.Node {
	switch {
	case it.cur != nil:
		return it.cur
	case it.via != nil:
		return it.via
	case orig.Kind == yaml.AliasNode:
		return orig
	}
	return nil
}

func (it *item) pos() Pos { return nodePos(it.f, it.node) }

func (it *item) has(key string) bool {
	_, ok := it.keys[key]
	return ok
}

// at is the node to point at for key: its value (the alias when it was
// written as one), or the item itself.
func (it *item) at(key string) *yaml.Node {
	if kv, ok := it.keys[key]; ok {
		if kv.via != nil {
			return kv.via
		}
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
	defer it.in(key)()
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
	defer it.in(key)()
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
	defer it.in(key)()
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
	defer it.in(key)()
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
	// A sequence written once and named by aliases is read once: the
	// lists that share it share its values.
	if vs, ok := it.l.seqs[kv.val]; ok {
		return vs, true
	}
	out := []Value{}
	good := true
	for _, orig := range kv.val.Content {
		e := deref(orig)
		if e.Kind != yaml.ScalarNode || isNull(e) {
			it.errorf(orig, "each entry of '%s' must be a scalar, not %s", key, kindName(e))
			good = false
			continue
		}
		out = append(out, Value{Value: e.Value, Pos: nodePos(it.f, e)})
	}
	out = slices.Clip(out)
	if good && (kv.val.Anchor != "" || kv.via != nil) {
		it.l.seqs[kv.val] = out
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
