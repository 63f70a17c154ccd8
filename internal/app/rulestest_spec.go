package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kestrel-sec/kestrel/internal/snippet"
)

// A rule test file (`kestrel rules test`) holds cases, each an action
// and the alerts the rules must, or must not, raise for it:
//
//	rules_files: [kestrel_rules.yaml]
//	cases:
//	  - name: cat reads /etc/shadow
//	    rule: Read sensitive file untrusted
//	    kind: trigger
//	    run: cat /etc/shadow >/dev/null
//	    expect:
//	      - rule: Read sensitive file untrusted
//	        count: 1
//	        output_fields: {fd.name: /etc/shadow}
//	    expect_not: [Some other rule]
//	  - name: kubectl exec into a pod
//	    rule: Terminal shell in container
//	    kind: trigger
//	    skip: needs an interactive terminal   # not run: reported SKIP with the reason
//
// This file parses it into a [ruleTestFile], keeping the place of every
// value for located errors.

// caseKind says whether a case must raise its rule or stay quiet.
type caseKind uint8

const (
	kindTrigger caseKind = iota // the rule must fire
	kindBenign                  // a look-alike: the rule must not fire
)

func (k caseKind) String() string {
	if k == kindBenign {
		return "benign"
	}
	return "trigger"
}

// testPos is a place in a test file.
type testPos struct {
	Line, Column int
}

// ruleTestFile is a parsed rule test file.
type ruleTestFile struct {
	Path string
	// RulesFiles are the rules files, resolved against the test file's
	// directory; empty: Kestrel's embedded default rules.
	RulesFiles []string
	Cases      []*ruleTestCase
	lines      []string // the file's lines, for located errors found later
}

// ruleTestCase is one case of a test file.
type ruleTestCase struct {
	Name      string
	Pos       testPos // the case's item
	Rule      ruleRef
	Kind      caseKind
	Capture   string         // .scap to replay, resolved
	Run       string         // host shell script
	Container *containerCase // container to run
	// Timeout bounds the case's action (optional key timeout); 0: the
	// runner's default.
	Timeout   time.Duration
	Expect    []expectation
	ExpectNot []ruleRef
	// Skip, when set (optional key skip), is why the case cannot run: it
	// is not run but reported skipped with this reason. Its action may
	// then be left out.
	Skip string
}

// live reports whether the case runs under the live agent.
func (c *ruleTestCase) live() bool { return c.Capture == "" }

// source names what the case runs: capture, run or container.
func (c *ruleTestCase) source() string {
	switch {
	case c.Capture != "":
		return "capture"
	case c.Container != nil:
		return "container"
	case c.Run == "" && c.Skip != "":
		return "none"
	}
	return "run"
}

// containerCase is a case's container.
type containerCase struct {
	Image      string
	Privileged bool
	Run        string
}

// ruleRef is a rule named by a test file, with its place.
type ruleRef struct {
	Name string
	Pos  testPos
}

// expectation is one item of a case's expect.
type expectation struct {
	Rule   ruleRef
	Count  int // exact count; -1: at least one
	Fields []fieldWant
}

// fieldWant is one output field an expected alert must have.
type fieldWant struct {
	Name  string
	Value string
	Null  bool // the field must be null (missing), written ~, null or <NA>
}

// String returns name=value.
func (f fieldWant) String() string {
	if f.Null {
		return f.Name + "=<NA>"
	}
	return f.Name + "=" + f.Value
}

// TestFileError is a located error in a rule test file.
type TestFileError struct {
	File         string
	Line, Column int
	Message      string
	Source       string // the line, for the caret excerpt
}

// Error returns "file:line:col: message".
func (e TestFileError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}

// String renders the error with the source line and a caret.
func (e TestFileError) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: error: %s", e.File, e.Line, e.Column, e.Message)
	if e.Source != "" && e.Line > 0 {
		snippet.Write(&b, e.Line, e.Source, e.Column)
	}
	return b.String()
}

// testParser reads one test file, gathering every error.
type testParser struct {
	path  string
	dir   string
	lines []string
	errs  []TestFileError
}

// parseRuleTests reads a rule test file's text; path names it in errors
// and relative paths in it are resolved against its directory.
func parseRuleTests(path string, text []byte) (*ruleTestFile, []TestFileError) {
	p := &testParser{path: path, dir: filepath.Dir(path), lines: strings.Split(string(text), "\n")}
	f := &ruleTestFile{Path: path, lines: p.lines}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		p.yamlError(err)
		return f, p.errs
	}
	if len(doc.Content) == 0 {
		p.errorf(testPos{1, 1}, "empty test file: want rules_files and cases")
		return f, p.errs
	}
	p.file(f, doc.Content[0])
	return f, p.errs
}

// readRuleTests reads and parses a rule test file.
func readRuleTests(path string) (*ruleTestFile, []TestFileError) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, []TestFileError{{File: path, Message: err.Error()}}
	}
	return parseRuleTests(path, text)
}

func (p *testParser) errorf(at testPos, format string, args ...any) {
	e := TestFileError{File: p.path, Line: at.Line, Column: at.Column, Message: fmt.Sprintf(format, args...)}
	if at.Line > 0 && at.Line <= len(p.lines) {
		e.Source = strings.TrimRight(p.lines[at.Line-1], "\r")
	}
	p.errs = append(p.errs, e)
}

// yamlError locates a YAML syntax error by the line its message names.
func (p *testParser) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, tail
			}
		}
	}
	p.errorf(testPos{line, 1}, "%s", msg)
}

func posOf(n *yaml.Node) testPos { return testPos{n.Line, n.Column} }

// resolve follows an alias.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// keyValue is one entry of a mapping.
type keyValue struct {
	key   string
	kpos  testPos
	value *yaml.Node
}

// mapping returns the entries of a mapping node, reporting unknown and
// repeated keys; known lists the keys allowed.
func (p *testParser) mapping(n *yaml.Node, what string, known ...string) ([]keyValue, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(posOf(n), "%s: want a mapping", what)
		return nil, false
	}
	seen := map[string]bool{}
	var out []keyValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		switch {
		case !contains(known, k.Value):
			p.errorf(posOf(k), "unknown key %q in %s (want %s)", k.Value, what, strings.Join(known, ", "))
		case seen[k.Value]:
			p.errorf(posOf(k), "key %q given twice in %s", k.Value, what)
		default:
			seen[k.Value] = true
			out = append(out, keyValue{k.Value, posOf(k), v})
		}
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// scalar returns a scalar's text; a non-scalar or null is an error.
func (p *testParser) scalar(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(posOf(n), "%s: want a single value", key)
		return "", false
	}
	return n.Value, true
}

// text returns a non-empty string value.
func (p *testParser) text(n *yaml.Node, key string) string {
	s, ok := p.scalar(n, key)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(posOf(n), "%s: must not be empty", key)
	}
	return s
}

// boolean returns a true/false value.
func (p *testParser) boolean(n *yaml.Node, key string) bool {
	s, ok := p.scalar(n, key)
	if !ok {
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errorf(posOf(n), "%s: %q is not true or false", key, s)
	}
	return b
}

// ruleRefs reads a list of rule names; a single name is a list of one.
func (p *testParser) ruleRefs(n *yaml.Node, key string) []ruleRef {
	var out []ruleRef
	for _, it := range p.items(n, key) {
		out = append(out, ruleRef{p.text(it, key), posOf(it)})
	}
	return out
}

// filePath resolves a file named by the test file and checks that it
// exists.
func (p *testParser) filePath(n *yaml.Node, key string) string {
	s := p.text(n, key)
	if s == "" {
		return ""
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(p.dir, s)
	}
	if _, err := os.Stat(s); err != nil {
		p.errorf(posOf(n), "%s: %v", key, err)
	}
	return s
}

// file reads the top-level mapping.
func (p *testParser) file(f *ruleTestFile, n *yaml.Node) {
	kvs, ok := p.mapping(n, "the test file", "rules_files", "cases")
	if !ok {
		return
	}
	var cases *yaml.Node
	for _, kv := range kvs {
		switch kv.key {
		case "rules_files":
			for _, it := range p.items(kv.value, "rules_files") {
				f.RulesFiles = append(f.RulesFiles, p.filePath(it, "rules_files"))
			}
		case "cases":
			cases = kv.value
		}
	}
	if cases == nil {
		p.errorf(posOf(n), "the test file has no cases")
		return
	}
	p.cases(f, cases)
}

// items returns the items of a list; a single value is a list of one.
func (p *testParser) items(n *yaml.Node, key string) []*yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{n}
	case yaml.SequenceNode:
		out := make([]*yaml.Node, len(n.Content))
		for i, it := range n.Content {
			out[i] = resolve(it)
		}
		return out
	}
	p.errorf(posOf(n), "%s: want a list", key)
	return nil
}

// cases reads the list of cases; names must be unique.
func (p *testParser) cases(f *ruleTestFile, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(posOf(n), "cases: want a list of cases")
		return
	}
	names := map[string]testPos{}
	for _, it := range n.Content {
		c := p.testCase(resolve(it))
		if c == nil {
			continue
		}
		if at, dup := names[c.Name]; dup && c.Name != "" {
			p.errorf(c.Pos, "case %q: the name is already used at line %d", c.Name, at.Line)
		}
		names[c.Name] = c.Pos
		f.Cases = append(f.Cases, c)
	}
}

// caseKeys are the keys of a case.
var caseKeys = []string{"name", "rule", "kind", "capture", "run", "container", "expect", "expect_not", "timeout", "skip"}

// testCase reads one case.
func (p *testParser) testCase(n *yaml.Node) *ruleTestCase {
	kvs, ok := p.mapping(n, "a case", caseKeys...)
	if !ok {
		return nil
	}
	c := &ruleTestCase{Pos: posOf(n)}
	have := map[string]bool{}
	var actions []string
	for _, kv := range kvs {
		have[kv.key] = true
		p.caseKey(c, kv)
		if kv.key == "capture" || kv.key == "run" || kv.key == "container" {
			actions = append(actions, kv.key)
		}
	}
	for _, k := range []string{"name", "rule", "kind"} {
		if !have[k] {
			p.errorf(c.Pos, "case %s: no %s", c.label(), k)
		}
	}
	switch {
	case c.Skip != "" && len(actions) > 1:
		p.errorf(c.Pos, "case %s: want at most one of capture, run and container (got %d)", c.label(), len(actions))
	case c.Skip == "" && len(actions) != 1:
		p.errorf(c.Pos, "case %s: want exactly one of capture, run and container (got %d)", c.label(), len(actions))
	}
	p.implied(c)
	return c
}

func (c *ruleTestCase) label() string {
	if c.Name == "" {
		return fmt.Sprintf("at line %d", c.Pos.Line)
	}
	return strconv.Quote(c.Name)
}

// caseKey reads one key of a case.
func (p *testParser) caseKey(c *ruleTestCase, kv keyValue) {
	switch kv.key {
	case "name":
		c.Name = p.text(kv.value, "name")
	case "rule":
		c.Rule = ruleRef{p.text(kv.value, "rule"), posOf(kv.value)}
	case "kind":
		switch s, _ := p.scalar(kv.value, "kind"); s {
		case "trigger":
			c.Kind = kindTrigger
		case "benign":
			c.Kind = kindBenign
		default:
			p.errorf(posOf(kv.value), "kind: %q is neither trigger nor benign", s)
		}
	case "capture":
		c.Capture = p.filePath(kv.value, "capture")
	case "run":
		c.Run = p.text(kv.value, "run")
	case "container":
		c.Container = p.container(kv.value)
	case "expect":
		c.Expect = p.expectations(kv.value)
	case "expect_not":
		c.ExpectNot = p.ruleRefs(kv.value, "expect_not")
	case "timeout":
		c.Timeout = p.duration(kv.value, "timeout")
	case "skip":
		c.Skip = p.text(kv.value, "skip")
	}
}

// duration reads a positive duration such as 30s.
func (p *testParser) duration(n *yaml.Node, key string) time.Duration {
	s, ok := p.scalar(n, key)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.errorf(posOf(n), "%s: %q is not a positive duration such as 30s", key, s)
		return 0
	}
	return d
}

// container reads a case's container.
func (p *testParser) container(n *yaml.Node) *containerCase {
	kvs, ok := p.mapping(n, "container", "image", "privileged", "run")
	if !ok {
		return nil
	}
	c := &containerCase{}
	have := map[string]bool{}
	for _, kv := range kvs {
		have[kv.key] = true
		switch kv.key {
		case "image":
			c.Image = p.text(kv.value, "container.image")
		case "privileged":
			c.Privileged = p.boolean(kv.value, "container.privileged")
		case "run":
			c.Run = p.text(kv.value, "container.run")
		}
	}
	for _, k := range []string{"image", "run"} {
		if !have[k] {
			p.errorf(posOf(n), "container: no %s", k)
		}
	}
	return c
}

// expectations reads a case's expect list.
func (p *testParser) expectations(n *yaml.Node) []expectation {
	if n.Kind != yaml.SequenceNode {
		p.errorf(posOf(n), "expect: want a list of {rule, count, output_fields}")
		return nil
	}
	var out []expectation
	for _, it := range n.Content {
		if e, ok := p.expectation(resolve(it)); ok {
			out = append(out, e)
		}
	}
	return out
}

// expectation reads one expected alert.
func (p *testParser) expectation(n *yaml.Node) (expectation, bool) {
	e := expectation{Count: -1}
	kvs, ok := p.mapping(n, "an expected alert", "rule", "count", "output_fields")
	if !ok {
		return e, false
	}
	for _, kv := range kvs {
		switch kv.key {
		case "rule":
			e.Rule = ruleRef{p.text(kv.value, "rule"), posOf(kv.value)}
		case "count":
			e.Count = p.count(kv.value)
		case "output_fields":
			e.Fields = p.fields(kv.value)
		}
	}
	if e.Rule.Name == "" {
		p.errorf(posOf(n), "expected alert: no rule")
		return e, false
	}
	return e, true
}

// count reads a non-negative count.
func (p *testParser) count(n *yaml.Node) int {
	s, ok := p.scalar(n, "count")
	if !ok {
		return -1
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		p.errorf(posOf(n), "count: %q is not a number of alerts", s)
		return -1
	}
	return v
}

// fields reads output_fields: field name to the value as printed.
func (p *testParser) fields(n *yaml.Node) []fieldWant {
	if n.Kind != yaml.MappingNode {
		p.errorf(posOf(n), "output_fields: want a mapping of field names to values")
		return nil
	}
	var out []fieldWant
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if seen[k.Value] {
			p.errorf(posOf(k), "output field %q given twice", k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			p.errorf(posOf(v), "output field %s: want a single value", k.Value)
			continue
		}
		null := v.Tag == "!!null" || v.Value == "<NA>"
		out = append(out, fieldWant{Name: k.Value, Value: v.Value, Null: null})
	}
	return out
}

// implied completes a case with what its kind implies, and reports a case
// that contradicts it: a trigger without expect expects its rule at
// least once; a benign case never expects its rule, which must not fire.
func (p *testParser) implied(c *ruleTestCase) {
	if c.Rule.Name == "" {
		return
	}
	switch c.Kind {
	case kindTrigger:
		for _, r := range c.ExpectNot {
			if r.Name == c.Rule.Name {
				p.errorf(r.Pos, "case %s: a trigger case cannot list its own rule in expect_not", c.label())
			}
		}
		if len(c.Expect) == 0 {
			c.Expect = []expectation{{Rule: c.Rule, Count: -1}}
		}
	case kindBenign:
		for _, e := range c.Expect {
			if e.Rule.Name == c.Rule.Name && e.Count != 0 {
				p.errorf(e.Rule.Pos, "case %s: a benign case cannot expect its own rule", c.label())
			}
		}
		listed := false
		for _, r := range c.ExpectNot {
			listed = listed || r.Name == c.Rule.Name
		}
		if !listed {
			c.ExpectNot = append(c.ExpectNot, c.Rule)
		}
	}
}

// checkRuleNames reports the rules a test file names that the rules
// files do not define.
func checkRuleNames(f *ruleTestFile, defined map[string]bool) []TestFileError {
	p := &testParser{path: f.Path, lines: f.lines}
	check := func(r ruleRef) {
		if r.Name != "" && !defined[r.Name] {
			p.errorf(r.Pos, "no rule %q in the rules files", r.Name)
		}
	}
	for _, c := range f.Cases {
		check(c.Rule)
		for _, e := range c.Expect {
			if e.Rule.Pos != c.Rule.Pos {
				check(e.Rule)
			}
		}
		for _, r := range c.ExpectNot {
			if r.Pos != c.Rule.Pos {
				check(r)
			}
		}
	}
	return p.errs
}
