package config

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// durationPattern is the JSON Schema pattern of a [Duration].
const durationPattern = `^\s*([0-9]+\s*y)?\s*([0-9]+\s*w)?\s*([0-9]+\s*d)?\s*([0-9]+\s*h)?\s*([0-9]+\s*m)?\s*([0-9]+\s*s)?\s*([0-9]+\s*ms)?\s*$`

// Schema returns a JSON Schema (draft 2020-12) of the configuration file.
// It is built from [Config], its struct tags, the key descriptions and
// [Default], so it cannot differ from what [Load] accepts. Falco keys that
// Kestrel ignores are listed as deprecated properties of any value.
func Schema() []byte {
	g := newSchemaGen()
	s := g.object(reflect.ValueOf(Default()).Elem(), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["title"] = "Kestrel configuration"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic("config: schema does not marshal: " + err.Error())
	}
	return append(b, '\n')
}

type schemaGen struct {
	used    map[string]bool // description keys used
	missing []string        // key paths without a description
}

func newSchemaGen() *schemaGen { return &schemaGen{used: map[string]bool{}} }

// schemaer is implemented by types whose schema is not that of a mapping
// of their fields.
type schemaer interface {
	jsonSchema(g *schemaGen, path string) map[string]any
}

// describe sets the description of the key at path.
func (g *schemaGen) describe(s map[string]any, path string) map[string]any {
	path = metaPath(path)
	d, ok := descriptions[path]
	if !ok {
		g.missing = append(g.missing, path)
	}
	g.used[path] = true
	s["description"] = d
	return s
}

// object returns the schema of the struct val, whose field values are the
// defaults.
func (g *schemaGen) object(val reflect.Value, path string) map[string]any {
	props := map[string]any{}
	for _, f := range fieldsOf(val.Type()) {
		p := join(path, f.name)
		fv := val.Field(f.index)
		var fs map[string]any
		if fv.Kind() == reflect.Struct && !isSpecial(f.typ) {
			fs = g.object(fv, p)
		} else {
			fs = g.forType(f.typ, f.tag, p)
			fs["default"] = plain(fv)
		}
		props[f.name] = g.describe(fs, p)
		if f.alias != "" {
			props[f.alias] = g.alias(fs, p)
		}
	}
	for k, reason := range ignoredKeys {
		if i := strings.LastIndexByte(k, '.'); k[:max(i, 0)] == path {
			props[k[i+1:]] = map[string]any{"description": "Falco key that Kestrel ignores: " + reason + ".", "deprecated": true}
		}
	}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}

// alias returns the schema of an older name of the key at path.
func (g *schemaGen) alias(s map[string]any, path string) map[string]any {
	a := map[string]any{"deprecated": true, "description": "Older name of " + path + "."}
	for k, v := range s {
		if k != "default" && k != "description" {
			a[k] = v
		}
	}
	return a
}

// forType returns the schema of a value of type t, without a default.
func (g *schemaGen) forType(t reflect.Type, tag reflect.StructTag, path string) map[string]any {
	if s, ok := reflect.New(t).Interface().(schemaer); ok {
		return s.jsonSchema(g, path)
	}
	switch t {
	case reflect.TypeFor[Duration]():
		return map[string]any{"type": "string", "pattern": durationPattern}
	case reflect.TypeFor[rules.Priority]():
		return map[string]any{"type": "string", "enum": priorityWords()}
	case reflect.TypeFor[engine.Matching]():
		return map[string]any{"type": "string", "enum": []string{"first", "all"}}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return bounds(map[string]any{"type": "integer"}, tag)
	case reflect.Float32, reflect.Float64:
		return bounds(map[string]any{"type": "number"}, tag)
	case reflect.String:
		return enumOf(map[string]any{"type": "string"}, tag)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.item(t.Elem(), tag, path)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	}
	panic("config: no schema for " + t.String())
}

// item returns the schema of a list item.
func (g *schemaGen) item(t reflect.Type, tag reflect.StructTag, path string) map[string]any {
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(reflect.TypeFor[schemaer]()) {
		return g.forType(t, tag, path)
	}
	v := reflect.New(t)
	if d, ok := v.Interface().(defaulter); ok {
		d.setDefaults()
	}
	return g.object(v.Elem(), path)
}

func bounds(s map[string]any, tag reflect.StructTag) map[string]any {
	if lo, ok := tag.Lookup("min"); ok {
		s["minimum"] = json.Number(lo)
	}
	if hi, ok := tag.Lookup("max"); ok {
		s["maximum"] = json.Number(hi)
	}
	return s
}

func enumOf(s map[string]any, tag reflect.StructTag) map[string]any {
	if e := tag.Get("enum"); e != "" {
		s["enum"] = strings.Split(e, ",")
	}
	return s
}

// priorityWords are the priority names as the file may write them.
func priorityWords() []string {
	var out []string
	for p := rules.PriorityEmergency; p <= rules.PriorityDebug; p++ {
		out = append(out, strings.ToLower(p.String()), p.String(), strings.ToUpper(p.String()))
	}
	return append(out, "info", "Info", "INFO")
}

func (*Include) jsonSchema(g *schemaGen, path string) map[string]any {
	obj := g.object(reflect.ValueOf(&Include{Strategy: StrategyAppend}).Elem(), path)
	obj["required"] = []string{"path"}
	return map[string]any{"anyOf": []any{map[string]any{"type": "string"}, obj}}
}

func (*RuleSelection) jsonSchema(g *schemaGen, path string) map[string]any {
	target := g.object(reflect.ValueOf(&ruleTarget{}).Elem(), path)
	target["minProperties"] = 1
	props := map[string]any{}
	for _, op := range []string{"enable", "disable"} {
		t := map[string]any{}
		for k, v := range target {
			t[k] = v
		}
		props[op] = g.describe(t, path+"."+op)
	}
	return map[string]any{
		"type": "object", "additionalProperties": false, "properties": props,
		"minProperties": 1, "maxProperties": 1,
	}
}

func (*ExtraField) jsonSchema(*schemaGen, string) map[string]any {
	pair := map[string]any{
		"type": "object", "minProperties": 1, "maxProperties": 1,
		"additionalProperties": map[string]any{"type": "string"},
	}
	return map[string]any{"anyOf": []any{map[string]any{"type": "string"}, pair}}
}

// keyPaths lists the key path of every field of [Config], list items
// included, with list indexes dropped.
func keyPaths() []string {
	var out []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for _, f := range fieldsOf(t) {
			p := join(path, f.name)
			out = append(out, p)
			ft := f.typ
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !isSpecial(ft) {
				walk(ft, p)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}
