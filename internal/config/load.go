package config

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path; see [LoadWithOverrides].
func Load(path string) (*Config, Diagnostics) {
	return LoadWithOverrides(path, nil)
}

// LoadWithOverrides reads the configuration file at path (none when path
// is empty: the defaults), merges the files its config_files names,
// applies the -o key=value overrides and validates the result, in
// Falco's order: -o options that set config_files first, then the
// included files, then the other -o options.
//
// The returned configuration holds every value that could be read, even
// when there are errors; use it only when the diagnostics have none. Its
// Files lists the files read, for watch_config_files.
func LoadWithOverrides(path string, overrides []string) (*Config, Diagnostics) {
	l := newLoader()
	cfg := l.load(path, overrides)
	return cfg, l.diags
}

func newLoader() *loader {
	return &loader{origins: map[*yaml.Node]*origin{}, set: map[string]at{}, bad: map[string]bool{}, getenv: os.Getenv}
}

func (l *loader) load(path string, overrides []string) *Config {
	cfg := Default()
	root := &yaml.Node{Kind: yaml.MappingNode}
	main := &origin{file: path}
	if path != "" {
		if r := l.readFile(path); r != nil {
			root, main = r, l.origins[r]
		}
		cfg.Files = append(cfg.Files, path)
	}
	l.origins[root] = main
	l.overrideAll(root, overrides, true)
	cfg.ConfigFiles = l.includes(root, path, &cfg.Files)
	l.overrideAll(root, overrides, false)
	l.value(valueOf(cfg), at{n: root, src: main})
	l.diags = append(l.diags, cfg.validate(l.locate, l.bad)...)
	return cfg
}

// locate returns where the value at a key path was set.
func (l *loader) locate(path string) (Pos, string, bool) {
	a, ok := l.set[path]
	if !ok {
		return Pos{}, "", false
	}
	p := a.pos()
	return p, a.src.line(p.Line), true
}

// readFile parses one configuration file, expands ${VAR} in its values
// and returns its root mapping, or nil when it cannot be read.
func (l *loader) readFile(path string) *yaml.Node {
	src, err := readLimited(path, maxFileSize)
	if err != nil {
		l.diags = append(l.diags, Diagnostic{Severity: SeverityError, Pos: Pos{File: path}, Message: errText(err)})
		return nil
	}
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	o := &origin{file: path, lines: strings.Split(text, "\n")}
	root := l.parse(o, src)
	if root == nil {
		return nil
	}
	l.origins[root] = o
	l.expandTree(root, o)
	return root
}

// maxFileSize bounds a configuration file: a path that names something
// else by mistake (a device, /proc/kcore) is refused, not read for ever.
const maxFileSize = 16 << 20

// errTooLarge is the error of a file larger than maxFileSize.
var errTooLarge = errors.New("larger than 16 MiB: not a configuration file")

// readLimited reads the file at path, up to limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// parse returns the root mapping of the one YAML document of a file; an
// empty file is an empty mapping.
func (l *loader) parse(o *origin, src []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return &yaml.Node{Kind: yaml.MappingNode}
	} else if err != nil {
		l.yamlError(o, err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		l.add(SeverityError, at{n: &extra, src: o}, "", "a configuration file holds one YAML document")
		return nil
	}
	root := deref(doc.Content[0])
	switch {
	case isNull(root):
		return &yaml.Node{Kind: yaml.MappingNode}
	case root.Kind != yaml.MappingNode:
		l.add(SeverityError, at{n: root, src: o}, "", "the configuration must be a mapping of keys, not "+describe(root))
		return nil
	}
	return root
}

// yamlError reports a syntax error at the line the parser names.
func (l *loader) yamlError(o *origin, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{File: o.file}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, text, _ := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); err == nil {
			line := o.line(n)
			pos.Line, pos.Column = n, len(line)-len(strings.TrimLeft(line, " \t"))+1
			msg = text
		}
	}
	l.diags = append(l.diags, Diagnostic{
		Severity: SeverityError, Pos: pos, Message: "invalid YAML: " + msg, Source: o.line(pos.Line),
	})
}

// includes takes config_files out of root, merges each file it names
// into root, and returns the entries. A path that does not exist is
// skipped, as Falco does; a directory contributes its regular files in
// name order. Relative paths are relative to the working directory.
func (l *loader) includes(root *yaml.Node, main string, files *[]string) []Include {
	kn, vn := takeKey(root, "config_files")
	if kn == nil {
		return nil
	}
	for dup, _ := takeKey(root, "config_files"); dup != nil; dup, _ = takeKey(root, "config_files") {
		l.add(SeverityError, l.enter(dup, "", l.origins[root]), "", `duplicate key "config_files"`)
	}
	var incs []Include
	k := l.enter(kn, "", l.origins[root])
	l.value(valueOf(&incs), l.enter(vn, "config_files", k.src))
	for i, in := range incs {
		if in.Path == "" {
			continue // reported by validation
		}
		a := l.set["config_files["+strconv.Itoa(i)+"]"]
		for _, p := range l.includedFiles(in.Path, a) {
			l.mergeFile(root, p, in.Strategy, main, a, files)
		}
	}
	return incs
}

// includedFiles lists the files one config_files entry names.
func (l *loader) includedFiles(path string, a at) []string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		l.errorf(a, "%s", errText(err))
		return nil
	case fi.Mode().IsRegular():
		return []string{path}
	case !fi.IsDir():
		return nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		l.errorf(a, "%s", errText(err))
		return nil
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// mergeFile merges the top-level keys of the file at path into root with
// the given strategy. Included files may not include others.
func (l *loader) mergeFile(root *yaml.Node, path, strategy, main string, a at, files *[]string) {
	if main != "" && sameFile(path, main) {
		l.errorf(a, "including %q would loop: it is the main configuration file", path)
		return
	}
	inc := l.readFile(path)
	if inc == nil {
		return
	}
	*files = append(*files, path)
	src := l.origins[inc]
	for i := 0; i+1 < len(inc.Content); i += 2 {
		k, v := inc.Content[i], inc.Content[i+1]
		if k.Value == "config_files" {
			l.add(SeverityError, at{n: k, src: src}, "", "config_files in an included file: included files cannot include others")
			continue
		}
		l.origins[k], l.origins[v] = src, src
		mergeKey(root, k, v, strategy, func(n *yaml.Node) { l.origins[n] = src })
	}
}

// mergeKey sets key k to v in root: "append" extends a list and replaces
// anything else, "override" replaces, "add-only" only adds a missing key.
// mark is called on each list item appended.
func mergeKey(root, k, v *yaml.Node, strategy string, mark func(*yaml.Node)) {
	i := findKey(root, k.Value)
	if i < 0 {
		root.Content = append(root.Content, k, v)
		return
	}
	old := deref(root.Content[i+1])
	switch {
	case strategy == StrategyAddOnly:
	case strategy == StrategyAppend && deref(v).Kind == yaml.SequenceNode && old.Kind == yaml.SequenceNode:
		for _, item := range deref(v).Content {
			mark(item)
			old.Content = append(old.Content, item)
		}
	default:
		root.Content[i+1] = v
	}
}

// findKey returns the index in m.Content of the key named name, or -1.
func findKey(m *yaml.Node, name string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return i
		}
	}
	return -1
}

// takeKey removes the key named name from mapping m and returns its key
// and value nodes, or nils.
func takeKey(m *yaml.Node, name string) (k, v *yaml.Node) {
	i := findKey(m, name)
	if i < 0 {
		return nil, nil
	}
	k, v = m.Content[i], m.Content[i+1]
	m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
	return k, v
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
