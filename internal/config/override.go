package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A -o option is key=value, where key is a path into the configuration
// in Falco's syntax:
//
//	key      = name ('[' index? ']')* ('.' name ('[' index? ']')*)*
//	name     = (any character but '\' '.' '[' | '\' one of . [ ] \)+
//
// "http_output.url=x" sets one value, "rules_files[0]=x" replaces a list
// item and "rules_files[]=x" appends one. A value written {…} or […] is
// read as YAML, so a whole mapping or list can be given; any other value
// is taken as written and converted to the key's type.

// segment is one step of a -o key path.
type segment struct {
	name   string // a mapping key; empty for a list step
	index  int    // the list index; -1 appends
	isList bool
}

// overrideAll applies the -o options that set config_files when early
// is true, the others otherwise.
func (l *loader) overrideAll(root *yaml.Node, opts []string, early bool) {
	for _, o := range opts {
		if strings.HasPrefix(o, "config_files") == early {
			l.override(root, o)
		}
	}
}

// override applies one -o key=value to the tree under root.
func (l *loader) override(root *yaml.Node, opt string) {
	key, val, ok := strings.Cut(opt, "=")
	key = strings.TrimSpace(key)
	src := &origin{option: optionName(key)}
	if !ok {
		l.add(SeverityError, at{src: &origin{option: optionName(opt)}}, "", "want key=value")
		return
	}
	segs, err := parseKeyPath(key)
	if err != nil {
		l.add(SeverityError, at{src: src}, "", err.Error())
		return
	}
	if name, reason, ok := ignoredPrefix(segs); ok {
		l.add(SeverityWarning, at{src: src}, "", fmt.Sprintf("ignoring Falco key %q: %s", name, reason))
		return
	}
	v, err := overrideValue(val)
	if err != nil {
		l.add(SeverityError, at{src: src}, "", err.Error())
		return
	}
	l.origins[v] = src
	mark := func(n *yaml.Node) { l.origins[n] = src }
	seedDefault(root, segs, mark)
	if err := setPath(root, segs, v, mark); err != nil {
		l.add(SeverityError, at{src: src}, "", err.Error())
	}
}

// optionName is how a -o key is shown in positions; an empty one is "".
func optionName(key string) string {
	if key == "" {
		return `""`
	}
	return key
}

// overrideValue returns the node a -o value stands for.
func overrideValue(val string) (*yaml.Node, error) {
	t := strings.TrimSpace(val)
	if !(strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") || strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val}, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(t), &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML value: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return doc.Content[0], nil
}

// parseKeyPath splits a -o key into its steps.
func parseKeyPath(key string) ([]segment, error) {
	var segs []segment
	i := 0
	for {
		name, n, err := keyName(key, i)
		if err != nil {
			return nil, err
		}
		segs = append(segs, segment{name: name})
		i = n
		for i < len(key) && key[i] == '[' {
			s, n, err := keyIndex(key, i)
			if err != nil {
				return nil, err
			}
			segs, i = append(segs, s), n
		}
		switch {
		case i == len(key):
			return segs, nil
		case key[i] != '.':
			return nil, fmt.Errorf("invalid key: want '.' or '[' at position %d", i+1)
		}
		i++
	}
}

// keyName reads a name of a key path starting at i and returns it with
// the index after it.
func keyName(key string, i int) (string, int, error) {
	var b strings.Builder
	for ; i < len(key); i++ {
		c := key[i]
		if c == '.' || c == '[' {
			break
		}
		if c == '\\' {
			if i+1 == len(key) || !strings.ContainsRune(`.[]\`, rune(key[i+1])) {
				return "", 0, fmt.Errorf("invalid key: bad escape at position %d", i+1)
			}
			i++
			c = key[i]
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return "", 0, fmt.Errorf("invalid key: empty name at position %d", i+1)
	}
	return b.String(), i, nil
}

// keyIndex reads "[n]" or "[]" at i.
func keyIndex(key string, i int) (segment, int, error) {
	end := strings.IndexByte(key[i:], ']')
	if end < 0 {
		return segment{}, 0, fmt.Errorf("invalid key: '[' at position %d is not closed", i+1)
	}
	text := key[i+1 : i+end]
	if text == "" {
		return segment{isList: true, index: -1}, i + end + 1, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 {
		return segment{}, 0, fmt.Errorf("invalid key: want a list index, got %q", text)
	}
	return segment{isList: true, index: n}, i + end + 1, nil
}

// ignoredPrefix reports whether the key path leads into a Falco key that
// Kestrel ignores, and returns that key and the reason.
func ignoredPrefix(segs []segment) (name, reason string, ok bool) {
	for _, s := range segs {
		if s.isList {
			return "", "", false
		}
		name = join(name, s.name)
		if reason, ok := ignoredKeys[name]; ok {
			return name, reason, true
		}
	}
	return "", "", false
}

// seedDefault copies into the tree the default value of the first key of
// the path that the tree lacks, when the path goes on into a list, so
// that "-o syscall_event_drops.actions[]=exit" extends the default list
// as it would extend a list written in the file.
func seedDefault(root *yaml.Node, segs []segment, mark func(*yaml.Node)) {
	if !slices.ContainsFunc(segs, func(s segment) bool { return s.isList }) {
		return
	}
	cur, v := root, reflect.ValueOf(Default()).Elem()
	for _, s := range segs {
		if s.isList || cur.Kind != yaml.MappingNode || v.Kind() != reflect.Struct || isSpecial(v.Type()) {
			return
		}
		f, ok := findField(fieldsOf(v.Type()), s.name)
		if !ok {
			return
		}
		v = v.Field(f.index)
		i := findKey(cur, s.name)
		if i < 0 {
			k, n := strNode(s.name), (&encoder{}).node(v, "", false)
			mark(k)
			mark(n)
			cur.Content = append(cur.Content, k, n)
			return
		}
		cur = deref(cur.Content[i+1])
	}
}

// setPath sets the value at the key path under root to v, creating the
// mappings and lists on the way. mark is called on every node created or
// turned into another kind, so that it is located at the option. Nothing
// changes when the path cannot be set.
func setPath(root *yaml.Node, segs []segment, v *yaml.Node, mark func(*yaml.Node)) error {
	if err := checkPath(root, segs); err != nil {
		return err
	}
	cur := root
	for i, s := range segs {
		var slot **yaml.Node
		if s.isList {
			slot = listSlot(cur, s, mark)
		} else {
			slot = mapSlot(cur, s.name, mark)
		}
		if i == len(segs)-1 {
			*slot = v
			break
		}
		if *slot == nil || isNull(*slot) {
			*slot = &yaml.Node{Kind: yaml.MappingNode}
			mark(*slot)
		}
		cur = deref(*slot)
	}
	return nil
}

// checkPath reports why the key path cannot be set under root: a list
// step into something that is not a list, or an index out of range.
// Missing keys are fine, and so is a key step into a value that is not a
// mapping, which setPath replaces.
func checkPath(root *yaml.Node, segs []segment) error {
	cur := root // nil once the path leaves the existing nodes
	for i, s := range segs {
		if !s.isList {
			cur = child(cur, s.name)
			continue
		}
		n, err := listLen(cur)
		if err == nil && s.index >= n {
			err = fmt.Errorf("index %d is out of range: the list has %d items", s.index, n)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", pathText(segs[:i]), err)
		}
		if s.index < 0 {
			cur = nil
		} else {
			cur = deref(cur.Content[s.index])
		}
	}
	return nil
}

// child returns the value of key name in mapping n, or nil.
func child(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	i := findKey(n, name)
	if i < 0 {
		return nil
	}
	return deref(n.Content[i+1])
}

// listLen returns the length of the list n stands for: 0 when n is
// missing, null or an empty mapping.
func listLen(n *yaml.Node) (int, error) {
	switch {
	case n == nil || isNull(n) || n.Kind == yaml.MappingNode && len(n.Content) == 0:
		return 0, nil
	case n.Kind == yaml.SequenceNode:
		return len(n.Content), nil
	}
	return 0, errors.New("not a list")
}

// mapSlot returns the value slot of key name in n, adding the key if
// needed; n becomes a mapping if it was anything else.
func mapSlot(n *yaml.Node, name string, mark func(*yaml.Node)) **yaml.Node {
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode}
		mark(n)
	}
	if i := findKey(n, name); i >= 0 {
		return &n.Content[i+1]
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
	mark(k)
	n.Content = append(n.Content, k, nil)
	return &n.Content[len(n.Content)-1]
}

// listSlot returns the slot of item s.index of list n, or of a new item
// at its end when s.index is -1; a null or empty n becomes a list.
// checkPath has checked the index.
func listSlot(n *yaml.Node, s segment, mark func(*yaml.Node)) **yaml.Node {
	if n.Kind != yaml.SequenceNode {
		*n = yaml.Node{Kind: yaml.SequenceNode}
		mark(n)
	}
	if s.index < 0 {
		n.Content = append(n.Content, nil)
		return &n.Content[len(n.Content)-1]
	}
	return &n.Content[s.index]
}

// pathText writes key path steps back as text.
func pathText(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case !s.isList && b.Len() > 0:
			b.WriteString("." + s.name)
		case !s.isList:
			b.WriteString(s.name)
		case s.index < 0:
			b.WriteString("[]")
		default:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		}
	}
	return b.String()
}
