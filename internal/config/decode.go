package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// origin is where YAML nodes came from: a file, or a -o option.
type origin struct {
	file   string
	lines  []string
	option string // the -o key; empty for a file
}

func (o *origin) pos(n *yaml.Node) Pos {
	if o.option != "" {
		return Pos{Option: o.option}
	}
	if n == nil {
		return Pos{File: o.file}
	}
	return Pos{File: o.file, Line: n.Line, Column: n.Column}
}

func (o *origin) line(n int) string {
	if n < 1 || n > len(o.lines) {
		return ""
	}
	return o.lines[n-1]
}

// at is a node being decoded: the node, the dotted key path that leads
// to it (with [i] for list items) and where it came from.
type at struct {
	n    *yaml.Node
	path string
	src  *origin
}

func (a at) pos() Pos { return a.src.pos(a.n) }

// loader reads configuration YAML into a [Config], gathering diagnostics.
type loader struct {
	diags Diagnostics
	// origins maps the nodes that start a new source (a file's root and
	// top-level entries, the nodes -o created) to it; other nodes
	// inherit the source of their parent.
	origins map[*yaml.Node]*origin
	// set records, for each key path decoded, the node that set it, so
	// that validation can point at it.
	set map[string]at
	// bad records the key paths whose value could not be decoded, so
	// that validation does not report them again.
	bad map[string]bool
	// getenv reads an environment variable for ${VAR} expansion.
	getenv func(string) string
}

// nodeDecoder is implemented by types whose YAML form is not a mapping
// of their fields.
type nodeDecoder interface {
	decodeNode(l *loader, a at)
}

// scalarForm is implemented by types that may also be written as one
// scalar, such as a config_files entry given as a bare path.
type scalarForm interface {
	fromScalar(s string)
}

// defaulter is implemented by list items whose zero value is not their
// default.
type defaulter interface {
	setDefaults()
}

func (l *loader) enter(n *yaml.Node, path string, src *origin) at {
	if o, ok := l.origins[n]; ok {
		src = o
	}
	n = deref(n)
	if o, ok := l.origins[n]; ok {
		src = o
	}
	return at{n: n, path: path, src: src}
}

func (l *loader) add(sev Severity, a at, key, msg string) {
	p := a.pos()
	l.diags = append(l.diags, Diagnostic{Severity: sev, Pos: p, Key: key, Message: msg, Source: a.src.line(p.Line)})
}

// errorf records an error about the value at a.
func (l *loader) errorf(a at, format string, args ...any) {
	l.bad[a.path] = true
	l.add(SeverityError, a, a.path, fmt.Sprintf(format, args...))
}

// value decodes the node at a into v, which must be addressable.
func (l *loader) value(v reflect.Value, a at) {
	l.set[a.path] = a
	if isNull(a.n) {
		if k := v.Kind(); k == reflect.Slice || k == reflect.Map {
			v.SetZero()
		}
		return
	}
	if sf, ok := v.Addr().Interface().(scalarForm); ok && a.n.Kind == yaml.ScalarNode {
		sf.fromScalar(a.n.Value)
		return
	}
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		nd.decodeNode(l, a)
		return
	}
	switch {
	case isSpecial(v.Type()):
		l.special(v, a)
	case v.Kind() == reflect.Struct:
		l.structure(v, a)
	case v.Kind() == reflect.Slice:
		l.list(v, a)
	case v.Kind() == reflect.Map:
		l.stringMap(v, a)
	default:
		l.scalar(v, a)
	}
}

func isSpecial(t reflect.Type) bool {
	switch t {
	case reflect.TypeFor[Duration](), reflect.TypeFor[rules.Priority](), reflect.TypeFor[engine.Matching]():
		return true
	}
	return false
}

// special decodes the scalar types with a syntax of their own.
func (l *loader) special(v reflect.Value, a at) {
	if a.n.Kind != yaml.ScalarNode {
		l.errorf(a, "want %s, got %s", wantName(v.Type()), describe(a.n))
		return
	}
	s := a.n.Value
	switch x := v.Addr().Interface().(type) {
	case *Duration:
		d, err := ParseDuration(s)
		if err != nil {
			l.errorf(a, "%v", err)
			return
		}
		*x = d
	case *rules.Priority:
		p, ok := rules.ParsePriority(s)
		if !ok {
			l.errorf(a, "%s", badPriority(s))
			return
		}
		*x = p
	case *engine.Matching:
		m, err := engine.ParseMatching(s)
		if err != nil {
			l.errorf(a, "%s", badMatching(s))
			return
		}
		*x = m
	}
}

func badPriority(s string) string {
	return fmt.Sprintf("unknown priority %q (want emergency, alert, critical, error, warning, notice, informational or debug)", s)
}

func badMatching(s string) string {
	return fmt.Sprintf("unknown rule matching %q (want first or all)", s)
}

// scalar decodes a string, boolean or number. An empty value, such as an
// unset ${VAR}, leaves a boolean or number at its default, as in Falco.
func (l *loader) scalar(v reflect.Value, a at) {
	if a.n.Kind != yaml.ScalarNode {
		l.errorf(a, "want %s, got %s", wantName(v.Type()), describe(a.n))
		return
	}
	s := a.n.Value
	if s == "" && v.Kind() != reflect.String {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, ok := parseBool(s)
		if !ok {
			l.errorf(a, "want true or false, got %q", s)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := parseInt(s, v.Type().Bits())
		if err != nil {
			l.errorf(a, "want an integer, got %q", s)
			return
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			l.errorf(a, "want a number, got %q", s)
			return
		}
		v.SetFloat(f)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// parseBool accepts the words YAML 1.1 and Falco take for booleans.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

func parseInt(s string, bits int) (int64, error) {
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		n, err = strconv.ParseInt(s, 0, bits)
	}
	return n, err
}

// structure decodes a mapping into the fields of a struct.
func (l *loader) structure(v reflect.Value, a at) {
	if a.n.Kind != yaml.MappingNode {
		l.errorf(a, "want a mapping, got %s", describe(a.n))
		return
	}
	fs := fieldsOf(v.Type())
	seen := map[string]string{} // field name -> key as written
	for i := 0; i+1 < len(a.n.Content); i += 2 {
		k := l.enter(a.n.Content[i], a.path, a.src)
		if k.n.Kind != yaml.ScalarNode {
			l.errorf(k, "want a key name, got %s", describe(k.n))
			continue
		}
		f, ok := findField(fs, k.n.Value)
		if !ok {
			l.unknownKey(k, a.path, k.n.Value, fieldNames(fs))
			continue
		}
		if !l.firstKey(k, a.path, f, seen) {
			continue
		}
		l.value(v.Field(f.index), l.enter(a.n.Content[i+1], join(a.path, f.name), k.src))
	}
}

// firstKey reports whether the key at k is the first one setting field
// f, and warns when it uses the field's older name.
func (l *loader) firstKey(k at, section string, f field, seen map[string]string) bool {
	name := k.n.Value
	if prev, dup := seen[f.name]; dup {
		if prev == name {
			l.add(SeverityError, k, "", "duplicate key "+strconv.Quote(join(section, name)))
		} else {
			l.add(SeverityError, k, "", fmt.Sprintf("both %q and %q are set; keep only %q",
				join(section, prev), join(section, name), join(section, f.name)))
		}
		return false
	}
	seen[f.name] = name
	if name == f.alias {
		l.add(SeverityWarning, k, "", fmt.Sprintf("%q is deprecated; use %q", join(section, name), join(section, f.name)))
	}
	return true
}

// unknownKey reports a key that is not a field: a warning when it is a
// Falco key that does not apply to Kestrel, an error otherwise.
func (l *loader) unknownKey(k at, section, name string, known []string) {
	full := join(section, name)
	if reason, ok := ignoredKeys[metaPath(full)]; ok {
		l.add(SeverityWarning, k, "", fmt.Sprintf("ignoring Falco key %q: %s", full, reason))
		return
	}
	msg := "unknown key " + strconv.Quote(name)
	if section != "" {
		msg += " in " + section
	}
	if s := suggest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	l.add(SeverityError, k, "", msg)
}

// list decodes a sequence. A lone scalar where a list of strings (or of
// items that may be written as a scalar) is expected is read as a list of
// one, as Falco does.
func (l *loader) list(v reflect.Value, a at) {
	items := a.n.Content
	switch {
	case a.n.Kind == yaml.ScalarNode && acceptsScalar(v.Type().Elem()):
		items = []*yaml.Node{a.n}
	case a.n.Kind != yaml.SequenceNode:
		l.errorf(a, "want a list, got %s", describe(a.n))
		return
	}
	if len(items) == 0 {
		v.SetZero()
		return
	}
	out := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, n := range items {
		e := out.Index(i)
		if d, ok := e.Addr().Interface().(defaulter); ok {
			d.setDefaults()
		}
		l.value(e, l.enter(n, fmt.Sprintf("%s[%d]", a.path, i), a.src))
	}
	v.Set(out)
}

func acceptsScalar(t reflect.Type) bool {
	return t.Kind() == reflect.String || reflect.PointerTo(t).Implements(reflect.TypeFor[scalarForm]())
}

// stringMap decodes a mapping of names to strings.
func (l *loader) stringMap(v reflect.Value, a at) {
	if a.n.Kind != yaml.MappingNode {
		l.errorf(a, "want a mapping, got %s", describe(a.n))
		return
	}
	if len(a.n.Content) == 0 {
		v.SetZero()
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(a.n.Content)/2)
	for i := 0; i+1 < len(a.n.Content); i += 2 {
		k := l.enter(a.n.Content[i], a.path, a.src)
		if k.n.Kind != yaml.ScalarNode {
			l.errorf(k, "want a name, got %s", describe(k.n))
			continue
		}
		key := reflect.ValueOf(k.n.Value)
		if m.MapIndex(key).IsValid() {
			l.add(SeverityError, k, "", "duplicate key "+strconv.Quote(join(a.path, k.n.Value)))
			continue
		}
		var s string
		l.value(reflect.ValueOf(&s).Elem(), l.enter(a.n.Content[i+1], join(a.path, k.n.Value), k.src))
		m.SetMapIndex(key, reflect.ValueOf(s))
	}
	v.Set(m)
}

// field is one struct field that has a key.
type field struct {
	name  string // the key
	alias string // an older key, or ""
	index int
	tag   reflect.StructTag
	typ   reflect.Type
}

func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name := sf.Tag.Get("yaml")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		fs = append(fs, field{name: name, alias: sf.Tag.Get("alias"), index: i, tag: sf.Tag, typ: sf.Type})
	}
	return fs
}

func findField(fs []field, name string) (field, bool) {
	for _, f := range fs {
		if f.name == name || f.alias != "" && f.alias == name {
			return f, true
		}
	}
	return field{}, false
}

func fieldNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

func join(section, name string) string {
	if section == "" {
		return name
	}
	return section + "." + name
}

// metaPath drops the list indexes of a key path: "rules[2].enable" is
// "rules.enable".
func metaPath(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// suggest returns the known key closest to name when it is at most two
// edits away.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func wantName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "a duration"
	case reflect.TypeFor[rules.Priority]():
		return "a priority"
	case reflect.TypeFor[engine.Matching]():
		return "first or all"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "a scalar"
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func valueOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
