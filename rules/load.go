package rules

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads rules files and directories in the order given (a
// directory's *.yaml and *.yml files in name order) and returns the
// resolved spec with every error and warning found. The spec holds the
// valid items even when there are errors.
func Load(paths ...string) (*Spec, Diagnostics) {
	l := NewLoader()
	for _, p := range paths {
		l.LoadPath(p)
	}
	return l.Finish()
}

// LoadBytes loads one rules file held in memory; name is used in positions.
func LoadBytes(name string, src []byte) (*Spec, Diagnostics) {
	l := NewLoader()
	l.LoadBytes(name, src)
	return l.Finish()
}

// Loader accumulates rules files into one spec. Files are applied in the
// order they are loaded; [Loader.Finish] resolves references and reports
// unused lists and macros.
type Loader struct {
	spec  *Spec
	diags Diagnostics
	seq   int
	// broken records names whose definition had errors, so later appends
	// to them are skipped instead of reported again.
	broken map[string]bool
	files  map[string]*srcFile
	done   bool
	// aliasShown records the aliases a problem has been reported at.
	aliasShown map[aliasReport]bool
	// seqs holds the values read from anchored sequences, and texts the
	// texts of value slices, so that aliases share them.
	seqs  map[*yaml.Node][]Value
	texts map[*Value][]string
	refs  map[itemsKey]bool
}

// NewLoader returns an empty loader.
func NewLoader() *Loader {
	return &Loader{spec: newSpec(), broken: map[string]bool{}, files: map[string]*srcFile{},
		aliasShown: map[aliasReport]bool{}, seqs: map[*yaml.Node][]Value{}, texts: map[*Value][]string{},
		refs: map[itemsKey]bool{}}
}

// LoadPath loads a file, or every *.yaml and *.yml file of a directory in
// name order.
func (l *Loader) LoadPath(path string) {
	fi, err := os.Stat(path)
	if err != nil {
		l.fileError(path, errText(err))
		return
	}
	if !fi.IsDir() {
		l.LoadFile(path)
		return
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		l.fileError(path, errText(err))
		return
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		l.LoadFile(filepath.Join(path, n))
	}
}

// LoadFile loads one rules file.
func (l *Loader) LoadFile(path string) {
	src, err := os.ReadFile(path)
	if err != nil {
		l.fileError(path, errText(err))
		return
	}
	l.LoadBytes(path, src)
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func (l *Loader) fileError(name, msg string) {
	l.diags = append(l.diags, Diagnostic{Severity: SeverityError, Pos: Pos{File: name}, Message: msg})
}

// srcFile is one file being read.
type srcFile struct {
	name  string
	lines []string
}

// find returns where an alias *name is first written: outside comments
// and quotes, and not followed by more of a name.
func (f *srcFile) find(alias string) Pos {
	for i, line := range f.lines {
		for from := 0; ; {
			j := strings.Index(line[from:], alias)
			if j < 0 {
				break
			}
			j += from
			end := j + len(alias)
			if hash := strings.Index(line, "#"); hash >= 0 && hash < j {
				break
			}
			if end == len(line) || strings.IndexByte(" \t,]}", line[end]) >= 0 {
				return Pos{File: f.name, Line: i + 1, Column: runeColumn(line, j)}
			}
			from = end
		}
	}
	return Pos{File: f.name}
}

func (f *srcFile) line(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	return f.lines[n-1]
}

var (
	yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// yamlErrAnchor is the YAML error of an alias to no anchor, which
	// carries no line: it is located at the alias.
	yamlErrAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// LoadBytes loads one rules file held in memory.
func (l *Loader) LoadBytes(name string, src []byte) {
	l.spec.Files = append(l.spec.Files, name)
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	f := &srcFile{name: name, lines: strings.Split(text, "\n")}
	l.files[name] = f
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			l.yamlError(f, err)
			return
		}
		l.readDoc(f, &doc)
	}
}

func (l *Loader) yamlError(f *srcFile, err error) {
	msg := err.Error()
	pos := Pos{File: f.name}
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		line := f.line(n)
		pos.Line = n
		pos.Column = runeColumn(line, len(line)-len(strings.TrimLeft(line, " \t")))
		msg = m[2]
	} else if m := yamlErrAnchor.FindStringSubmatch(msg); m != nil {
		pos = f.find("*" + m[1])
		msg = strings.TrimPrefix(msg, "yaml: ")
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	l.diags = append(l.diags, Diagnostic{
		Severity: SeverityError, Pos: pos, Message: "invalid YAML: " + msg, Source: f.line(pos.Line),
	})
}

func (l *Loader) readDoc(f *srcFile, doc *yaml.Node) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return
		}
		root = root.Content[0]
	}
	root = deref(root)
	if isNull(root) {
		return
	}
	if root.Kind != yaml.SequenceNode {
		l.add(f, SeverityError, root, "", "rules content must be a YAML sequence of items, not "+kindName(root))
		return
	}
	for _, orig := range root.Content {
		n := deref(orig)
		if isNull(n) {
			continue
		}
		var via *yaml.Node
		if orig.Kind == yaml.AliasNode {
			via = orig
		}
		l.readItem(f, n, via)
	}
}

// add records a diagnostic located at node n.
func (l *Loader) add(f *srcFile, sev Severity, n *yaml.Node, item, msg string) {
	l.addAt(f, sev, nodePos(f, n), item, msg)
}

func (l *Loader) addAt(f *srcFile, sev Severity, p Pos, item, msg string) {
	l.diags = append(l.diags, Diagnostic{Severity: sev, Pos: p, Item: item, Message: msg, Source: f.line(p.Line)})
}

func (l *Loader) next() int {
	l.seq++
	return l.seq
}

// nodePos is where node n starts.
func nodePos(f *srcFile, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: f.name}
	}
	return Pos{File: f.name, Line: n.Line, Column: n.Column}
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

func kindName(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a sequence"
	default:
		return "a scalar"
	}
}
