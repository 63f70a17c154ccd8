package engine

import (
	"testing"

	"github.com/kestrel-sec/kestrel/rules"
)

// TestExceptionModifiersAndTransformers checks exceptions whose fields
// are transformers (lists included) and whose comps carry a modifier: a
// modifier's values go in parentheses, as in Falco, so that a value may
// name a list.
func TestExceptionModifiersAndTransformers(t *testing.T) {
	reg := testFields(t)
	src := testLists + `
- rule: r
  desc: d
  condition: proc.name exists
  output: o
  priority: INFO
  warn_evttypes: false
  exceptions:
    - name: tuple
      fields: [tolower(proc.name), fd.name]
      comps: [startswith oneof, =]
      values:
        - [two, /tmp/x]
        - [x, /nope]
    - name: single
      fields: 'join(",", (proc.name, fd.name))'
      comps: startswith anyof
      values: [dog, "my cat"]
    - name: getopt
      fields:
        - 'getopt((proc.name), "z")'
      comps: [intersects]
      values: [["?"]]
`
	eng, ds := compileSrc(t, reg, src)
	if ds.HasErrors() {
		t.Fatal(ds.String())
	}
	want := `(proc.name exists)` +
		` and not (( tolower(proc.name) startswith oneof (two) and  fd.name = /tmp/x) or ( tolower(proc.name) startswith oneof (x) and  fd.name = /nope))` +
		` and not (join(",", (proc.name, fd.name)) startswith anyof (dog, "my cat"))` +
		` and not (( getopt((proc.name), "z") intersects (?)))`
	if got := eng.Rules()[0].Condition; got != want {
		t.Errorf("condition:\n got %s\nwant %s", got, want)
	}
	// A starts with a (of list two), ab with a but not b: excepted. -q is
	// an unknown option ("?"); dog and "my cat" start the join.
	for name, want := range map[string]string{
		"A": "", "B": "", "ab": "", "cat": "r", "-z": "r", "-q": "", "dog": "", "my cat": "", "abc": "",
	} {
		if got := matching(eng, name); got != want {
			t.Errorf("proc.name = %q: matching %q, want %q", name, got, want)
		}
	}
}

// TestExceptionListOps checks which comps Falco gives a parenthesised
// value: the list operators and the operators with a modifier as
// libsinsp reads them, one blank between.
func TestExceptionListOps(t *testing.T) {
	for op, want := range map[string]bool{
		"in": true, "intersects": true, "pmatch": true, "=": false, "startswith": false,
		"= oneof": true, "== anyof": true, "!= allof": true, "startswith oneof": true, "bcontains anyof": true,
		"regex allof": true, "glob oneof": true, "startswith  oneof": false, "in oneof": false,
		">= oneof": false, "startswith ONEOF": false, "exists anyof": false,
	} {
		if got := isListOp(op); got != want {
			t.Errorf("isListOp(%q) = %v, want %v", op, got, want)
		}
	}
	it := rules.ExceptionItem{Value: "a b"}
	if got := tupleItem(it, "contains allof"); got != "(a b)" {
		t.Errorf("tupleItem = %q", got)
	}
	if got := tupleItem(it, "contains"); got != `"a b"` {
		t.Errorf("tupleItem = %q", got)
	}
}

// TestExceptionFieldTransformerErrors checks that an exception field
// that is a transformer is checked where it is written.
func TestExceptionFieldTransformerErrors(t *testing.T) {
	reg := testFields(t)
	src := "- rule: r\n  desc: d\n  condition: proc.name exists\n  output: o\n  priority: INFO\n  warn_evttypes: false\n" +
		"  exceptions:\n    - name: bad\n      fields: 'join(\",\", proc.name)'\n      comps: in\n"
	_, ds := compileSrc(t, reg, src)
	want := `t.yaml:9:15: error: rule "r": exception "bad": join() second argument must be a list
 9 |       fields: 'join(",", proc.name)'
   |               ^`
	if got := ds.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
