package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/alert"
)

func ruleTestData(name string) string { return filepath.Join("testdata", "rulestest", name) }

// TestParseRuleTestsErrors checks that every mistake in a test file is
// reported at its line and column.
func TestParseRuleTestsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"not a mapping", "- a\n", []string{"t.yaml:1:1: the test file: want a mapping"}},
		{"syntax", "cases: [\n", []string{"t.yaml:1:1: did not find expected node content"}},
		{"unknown top key", "rule_files: [a]\ncases: []\n", []string{
			`t.yaml:1:1: unknown key "rule_files" in the test file (want rules_files, cases)`,
			"t.yaml:2:8: cases: want a list of cases"}},
		{"missing keys", "cases:\n  - name: a\n    run: 'true'\n", []string{
			`t.yaml:2:5: case "a": no rule`, `t.yaml:2:5: case "a": no kind`}},
		{"two actions", "cases:\n  - name: a\n    rule: R\n    kind: trigger\n    run: 'true'\n    container: {image: i, run: 'true'}\n", []string{
			`t.yaml:2:5: case "a": want exactly one of capture, run and container (got 2)`}},
		{"bad kind and count", "cases:\n  - name: a\n    rule: R\n    kind: trig\n    run: x\n    expect:\n      - rule: R\n        count: many\n", []string{
			`t.yaml:4:11: kind: "trig" is neither trigger nor benign`,
			`t.yaml:8:16: count: "many" is not a number of alerts`}},
		{"duplicate name", "cases:\n  - {name: a, rule: R, kind: trigger, run: x}\n  - {name: a, rule: R, kind: trigger, run: x}\n", []string{
			`t.yaml:3:5: case "a": the name is already used at line 2`}},
		{"unknown case key", "cases:\n  - {name: a, rule: R, kind: trigger, run: x, expected: []}\n", []string{
			`t.yaml:2:47: unknown key "expected" in a case (want name, rule, kind, capture, run, container, expect, expect_not, timeout, skip)`}},
		{"skip with two actions", "cases:\n  - {name: a, rule: R, kind: trigger, skip: why, run: x, capture: c.scap}\n", []string{
			"t.yaml:2:67: capture: stat c.scap: no such file or directory",
			`t.yaml:2:5: case "a": want at most one of capture, run and container (got 2)`}},
		{"empty skip", "cases:\n  - {name: a, rule: R, kind: trigger, skip: ' '}\n", []string{
			"t.yaml:2:45: skip: must not be empty"}},
		{"benign expects its rule", "cases:\n  - name: a\n    rule: R\n    kind: benign\n    run: x\n    expect: [{rule: R}]\n", []string{
			`t.yaml:6:21: case "a": a benign case cannot expect its own rule`}},
		{"trigger forbids its rule", "cases:\n  - name: a\n    rule: R\n    kind: trigger\n    run: x\n    expect_not: [R]\n", []string{
			`t.yaml:6:18: case "a": a trigger case cannot list its own rule in expect_not`}},
		{"missing capture", "cases:\n  - {name: a, rule: R, kind: trigger, capture: nope.scap}\n", []string{
			"t.yaml:2:48: capture: stat nope.scap: no such file or directory"}},
		{"container keys", "cases:\n  - name: a\n    rule: R\n    kind: trigger\n    container: {image: i, privileged: maybe}\n", []string{
			`t.yaml:5:39: container.privileged: "maybe" is not true or false`,
			"t.yaml:5:16: container: no run"}},
		{"bad timeout and fields", "cases:\n  - name: a\n    rule: R\n    kind: trigger\n    run: x\n    timeout: soon\n    expect: [{rule: R, output_fields: {a: [1]}}]\n", []string{
			`t.yaml:6:14: timeout: "soon" is not a positive duration such as 30s`,
			"t.yaml:7:43: output field a: want a single value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := parseRuleTests("t.yaml", []byte(tc.text))
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestParseRuleTestsCaret checks the rendered form of an error.
func TestParseRuleTestsCaret(t *testing.T) {
	_, errs := parseRuleTests("t.yaml", []byte("cases:\n  - name: a\n    rule: R\n    kind: maybe\n    run: x\n"))
	want := "t.yaml:4:11: error: kind: \"maybe\" is neither trigger nor benign\n 4 |     kind: maybe\n   |           ^"
	if len(errs) != 1 || errs[0].String() != want {
		t.Errorf("got %v, want:\n%s", errs, want)
	}
}

// TestParseRuleTestsImplied checks what a case's kind implies and the
// values read.
func TestParseRuleTestsImplied(t *testing.T) {
	text := `rules_files: container_rules.yaml
cases:
  - name: t
    rule: R
    kind: trigger
    run: "true"
    timeout: 5s
  - name: b
    rule: R
    kind: benign
    container: {image: img, privileged: true, run: id}
    expect:
      - rule: S
        count: 0
        output_fields: {a: 1, b: ~, c: <NA>, d: x y}
`
	f, errs := parseRuleTests(ruleTestData("t.yaml"), []byte(text))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(f.RulesFiles) != 1 || f.RulesFiles[0] != ruleTestData("container_rules.yaml") {
		t.Errorf("rules files %v", f.RulesFiles)
	}
	tr, b := f.Cases[0], f.Cases[1]
	if len(tr.Expect) != 1 || tr.Expect[0].Rule.Name != "R" || tr.Expect[0].Count != -1 || tr.Timeout.Seconds() != 5 || tr.source() != "run" {
		t.Errorf("trigger case %+v", tr)
	}
	if len(b.ExpectNot) != 1 || b.ExpectNot[0].Name != "R" || b.Container == nil || !b.Container.Privileged || b.source() != "container" {
		t.Errorf("benign case %+v", b)
	}
	fs := b.Expect[0].Fields
	if len(fs) != 4 || fs[0].String() != "a=1" || !fs[1].Null || !fs[2].Null || fs[3].String() != "d=x y" || b.Expect[0].Count != 0 {
		t.Errorf("fields %v, count %d", fs, b.Expect[0].Count)
	}
}

// TestRuleTestsUnknownRule checks that a rule the rules files lack is a
// located error of the test file, and malformed files exit with usage.
func TestRuleTestsUnknownRule(t *testing.T) {
	dir := t.TempDir()
	rules, _ := filepath.Abs(ruleTestData("container_rules.yaml"))
	path := writeFile(t, dir, "t.yaml", "rules_files: ["+rules+"]\ncases:\n  - {name: a, rule: Shell in a container, kind: trigger, run: x, expect_not: [No such rule]}\n")
	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{path}}, &out, &errOut)
	if !errors.Is(err, ErrTestFileInvalid) || !errors.Is(err, ErrUsage) {
		t.Fatalf("error %v, want an invalid test file", err)
	}
	want := path + `:3:79: error: no rule "No such rule" in the rules files`
	if !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr:\n%s\nwant %s", errOut.String(), want)
	}
}

// TestRuleTestsCapture runs capture cases that pass.
func TestRuleTestsCapture(t *testing.T) {
	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{ruleTestData("capture.tests.yaml")}}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"PASS  testdata/rulestest/capture.tests.yaml: nginx starts a shell  [trigger \"Shell under a web server\", capture]",
		"3 passed, 0 failed, 0 skipped\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report:\n%s\nwant %q", out.String(), want)
		}
	}
}

// TestRuleTestsCaptureFailures runs cases that fail, each for a reason
// the report must name.
func TestRuleTestsCaptureFailures(t *testing.T) {
	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{ruleTestData("broken.tests.yaml")}}, &out, &errOut)
	if !errors.Is(err, ErrRuleTestsFailed) || errors.Is(err, ErrUsage) {
		t.Fatalf("error %v, want failed cases", err)
	}
	for _, want := range []string{
		"FAIL  testdata/rulestest/broken.tests.yaml: wrong parent  [trigger \"Shell under a web server\", capture]",
		`      missing alert: "Shell under a web server" (at least once, with proc.pname=httpd)`,
		`        - rule "Shell under a web server": 10:00:00.000024520: Warning web server started a shell (parent=nginx container_id=a4ec4fc401fc)`,
		`          proc.pname is "nginx", want "httpd"`,
		`          output_fields: {"container.id":"a4ec4fc401fc","evt.time":1795514400000024520,"proc.pname":"nginx"}`,
		`      extra alert: "Shell in a container" fired 6 times, want none`,
		`        - rule "Shell in a container": 10:00:00.000040894: Notice shell in a container (parent=postgres cmdline=sh -c id container_id=3e32d8451273)`,
		`      wrong count: "Shell under a web server" (exactly 2) came 1 time`,
		"0 passed, 3 failed, 0 skipped\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report does not say %q:\n%s", want, out.String())
		}
	}
}

// TestRuleTestsJSON checks the JSON report and --case.
func TestRuleTestsJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	o := RuleTestOptions{Paths: []string{ruleTestData("capture.tests.yaml"), ruleTestData("broken.tests.yaml")}, JSON: true, Case: "parent|nginx"}
	err := RunRuleTests(context.Background(), o, &out, &errOut)
	if !errors.Is(err, ErrRuleTestsFailed) {
		t.Fatalf("error %v", err)
	}
	var r jsonReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if r.Passed != 1 || r.Failed != 1 || r.Skipped != 0 || len(r.Cases) != 2 {
		t.Fatalf("report %+v", r)
	}
	f := r.Cases[1]
	if f.Name != "wrong parent" || f.Status != "fail" || len(f.Problems) != 1 || f.Line != 4 {
		t.Fatalf("failed case %+v", f)
	}
	p := f.Problems[0]
	if p.Kind != "missing" || p.Rule != "Shell under a web server" || p.WantFields["proc.pname"] != "httpd" || p.ExpectedLine != 9 ||
		len(p.Alerts) != 1 || len(p.Mismatches) != 1 || p.Mismatches[0][0] != `proc.pname is "nginx", want "httpd"` {
		t.Errorf("problem %+v", p)
	}
}

// TestRuleTestsSkip checks cases their file marks skipped: not run,
// reported SKIP with the reason and counted as skipped, with or without
// an action, and not failed by --fail-skipped, unlike a case skipped
// because the host cannot run it.
func TestRuleTestsSkip(t *testing.T) {
	dir := t.TempDir()
	rules, _ := filepath.Abs(ruleTestData("container_rules.yaml"))
	capture, _ := filepath.Abs(ruleTestData("../../../../testdata/captures/containers.scap"))
	marker := filepath.Join(dir, "ran")
	path := writeFile(t, dir, "t.yaml", `rules_files: [`+rules+`]
cases:
  - name: needs a cluster
    rule: Shell in a container
    kind: trigger
    skip: needs a Kubernetes API server
  - name: would run
    rule: Shell under a web server
    kind: trigger
    run: touch `+marker+`
    skip: needs an interactive terminal
  - name: runs
    rule: Shell in a container
    kind: trigger
    capture: `+capture+`
`)
	f, errs := readRuleTests(path)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c := f.Cases[0]; c.Skip != "needs a Kubernetes API server" || c.source() != "none" || f.Cases[1].source() != "run" || f.Cases[2].Skip != "" {
		t.Errorf("cases %+v %+v", c, f.Cases[1])
	}
	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{path}, FailSkipped: true}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		"SKIP  " + path + `: needs a cluster  [trigger "Shell in a container", none] (0.00s)` + "\n      skipped: needs a Kubernetes API server\n",
		"SKIP  " + path + `: would run  [trigger "Shell under a web server", run] (0.00s)` + "\n      skipped: needs an interactive terminal\n",
		"PASS  " + path + ": runs",
		"1 passed, 0 failed, 2 skipped\nskipped: needs a Kubernetes API server\nskipped: needs an interactive terminal\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report:\n%s\nwant %q", out.String(), want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the skipped case's script ran")
	}
	out.Reset()
	if err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{path}, JSON: true}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Skipped != 2 || r.Passed != 1 || r.Cases[0].Status != "skip" || r.Cases[0].Reason != "needs a Kubernetes API server" || !r.Cases[0].Declared || r.Cases[2].Declared {
		t.Errorf("report %+v", r)
	}
	// A live case the host cannot run still fails --fail-skipped.
	tally := tally{}
	tally.add(&caseResult{Status: statusSkip, Reason: "no BTF"})
	tally.add(&caseResult{Status: statusSkip, Reason: "declared", Declared: true})
	tt := &tester{o: RuleTestOptions{FailSkipped: true}, stdout: &bytes.Buffer{}, text: &textReport{w: &bytes.Buffer{}}, tally: tally}
	if err := tt.finish(nil); !errors.Is(err, ErrRuleTestsFailed) || !strings.Contains(err.Error(), "1 cases skipped") {
		t.Errorf("--fail-skipped with a host skip: %v", err)
	}
}

// TestJudge checks the judgement of alerts against expectations.
func TestJudge(t *testing.T) {
	a := func(rule, fields string) *caseAlert {
		return newCaseAlert(alertWith(rule, fields))
	}
	alerts := []*caseAlert{a("A", `{"n":1,"s":"x","z":null}`), a("A", `{"n":2,"s":"y","z":"v"}`), a("B", `{}`)}
	for _, tc := range []struct {
		name string
		c    ruleTestCase
		want []problemKind
	}{
		{"at least one", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "A"}, Count: -1}}}, nil},
		{"exact", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "A"}, Count: 2}}}, nil},
		{"fields", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "A"}, Count: 1, Fields: []fieldWant{{Name: "n", Value: "1"}, {Name: "z", Null: true}}}}}, nil},
		{"field mismatch", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "A"}, Count: -1, Fields: []fieldWant{{Name: "s", Value: "w"}}}}}, []problemKind{problemMissing}},
		{"unknown field", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "A"}, Count: -1, Fields: []fieldWant{{Name: "q", Value: "w"}}}}}, []problemKind{problemMissing}},
		{"too many", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "A"}, Count: 1}}}, []problemKind{problemCount}},
		{"none wanted", ruleTestCase{Expect: []expectation{{Rule: ruleRef{Name: "B"}, Count: 0}}}, []problemKind{problemCount}},
		{"extra", ruleTestCase{ExpectNot: []ruleRef{{Name: "B"}, {Name: "C"}}}, []problemKind{problemExtra}},
	} {
		var got []problemKind
		for _, p := range judge(&tc.c, alerts) {
			got = append(got, p.Kind)
		}
		if strings.Join(kindsText(got), ",") != strings.Join(kindsText(tc.want), ",") {
			t.Errorf("%s: problems %v, want %v", tc.name, got, tc.want)
		}
	}
}

func kindsText(ks []problemKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// alertWith returns an alert of rule with output fields.
func alertWith(rule, fields string) alert.Alert {
	return alert.Alert{Rule: rule, Output: rule + " fired", OutputFields: json.RawMessage(fields)}
}
