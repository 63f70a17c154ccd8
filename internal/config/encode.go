package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// nodeEncoder is implemented by types whose YAML form is not a mapping of
// their fields; it is the inverse of their decodeNode or fromScalar.
type nodeEncoder interface {
	encodeNode() *yaml.Node
}

// encoder turns configuration values into YAML nodes in the form [Load]
// reads. When comment is set, the key of each field outside lists gets
// the comment it returns for the field's key path.
type encoder struct {
	comment func(path string) string
}

// node encodes v; inside lists (item) fields at their zero value are left
// out.
func (e *encoder) node(v reflect.Value, path string, item bool) *yaml.Node {
	if ne, ok := v.Interface().(nodeEncoder); ok {
		return ne.encodeNode()
	}
	switch x := v.Interface().(type) {
	case Duration:
		return strNode(x.String())
	case rules.Priority:
		return strNode(strings.ToLower(x.String()))
	case engine.Matching:
		return strNode(x.String())
	}
	switch v.Kind() {
	case reflect.Struct:
		return e.structure(v, path, item)
	case reflect.Slice:
		return e.list(v, path)
	case reflect.Map:
		return stringMapNode(v)
	}
	return scalarNode(v)
}

func (e *encoder) structure(v reflect.Value, path string, item bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if item && fv.IsZero() {
			continue
		}
		p := join(path, f.name)
		k := strNode(f.name)
		if e.comment != nil && !item {
			k.HeadComment = e.comment(p)
		}
		n.Content = append(n.Content, k, e.node(fv, p, item))
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

func (e *encoder) list(v reflect.Value, path string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range v.Len() {
		n.Content = append(n.Content, e.node(v.Index(i), path, true))
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

func stringMapNode(v reflect.Value) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	keys := make([]string, 0, v.Len())
	for _, k := range v.MapKeys() {
		keys = append(keys, k.String())
	}
	slices.Sort(keys)
	for _, k := range keys {
		n.Content = append(n.Content, strNode(k), strNode(v.MapIndex(reflect.ValueOf(k)).String()))
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

func scalarNode(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Float32, reflect.Float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v.Float(), 'g', -1, 64)}
	case reflect.String:
		return strNode(v.String())
	}
	panic("config: no encoder for " + v.Type().String())
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// mapNode builds a mapping from alternating key names and value nodes.
func mapNode(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, strNode(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

// plain returns v as the plain Go values (maps, slices, strings, numbers,
// booleans) of its YAML form, for JSON.
func plain(v reflect.Value) any {
	var out any
	if err := (&encoder{}).node(v, "", false).Decode(&out); err != nil {
		panic("config: encoded value does not decode: " + err.Error())
	}
	return out
}
