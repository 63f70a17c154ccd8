package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kestrel-sec/kestrel/alert"
)

// caseAlert is an alert that came from a case, with its output fields
// as printed in JSON.
type caseAlert struct {
	alert.Alert
	fields map[string]fieldValue
}

// fieldValue is one output field's value: its printed text, or null.
type fieldValue struct {
	text string
	null bool
}

// newCaseAlert decodes a's output fields.
func newCaseAlert(a alert.Alert) *caseAlert {
	c := &caseAlert{Alert: a, fields: map[string]fieldValue{}}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(a.OutputFields, &raw); err != nil {
		return c
	}
	for k, v := range raw {
		c.fields[k] = printedValue(v)
	}
	return c
}

// printedValue returns a JSON value as a test file writes it: a string's
// text, a number's or boolean's literal, or null.
func printedValue(v json.RawMessage) fieldValue {
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return fieldValue{null: true}
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return fieldValue{text: s}
	}
	return fieldValue{text: string(v)}
}

// mismatches returns, for each wanted field the alert does not have,
// why.
func (a *caseAlert) mismatches(want []fieldWant) []string {
	var out []string
	for _, w := range want {
		got, ok := a.fields[w.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s is not among the alert's output fields", w.Name))
		case w.Null && !got.null:
			out = append(out, fmt.Sprintf("%s is %q, want <NA>", w.Name, got.text))
		case !w.Null && got.null:
			out = append(out, fmt.Sprintf("%s is <NA>, want %q", w.Name, w.Value))
		case !w.Null && got.text != w.Value:
			out = append(out, fmt.Sprintf("%s is %q, want %q", w.Name, got.text, w.Value))
		}
	}
	return out
}

// problemKind says how a case failed.
type problemKind string

const (
	problemMissing problemKind = "missing" // an expected alert did not come
	problemCount   problemKind = "count"   // it came a different number of times
	problemExtra   problemKind = "extra"   // an alert of an expect_not rule came
	problemError   problemKind = "error"   // the case could not be judged
)

// caseProblem is one reason a case failed.
type caseProblem struct {
	Kind    problemKind
	Rule    string
	Want    *expectation // for missing and count
	Got     int          // alerts matching Want
	Message string       // for error
	// Alerts are, for extra, the alerts of the rule; for missing and
	// count, those that came instead (the rule's other alerts, else every
	// alert of the case), or the surplus.
	Alerts []*caseAlert
}

// judge compares the alerts of a case with what it expects.
func judge(c *ruleTestCase, alerts []*caseAlert) []caseProblem {
	var out []caseProblem
	for i := range c.Expect {
		if p, bad := judgeExpect(&c.Expect[i], alerts); bad {
			out = append(out, p)
		}
	}
	for _, r := range c.ExpectNot {
		if got := ofRule(alerts, r.Name); len(got) > 0 {
			out = append(out, caseProblem{Kind: problemExtra, Rule: r.Name, Alerts: got})
		}
	}
	return out
}

// judgeExpect checks one expectation.
func judgeExpect(e *expectation, alerts []*caseAlert) (caseProblem, bool) {
	rule := ofRule(alerts, e.Rule.Name)
	var match, other []*caseAlert
	for _, a := range rule {
		if len(a.mismatches(e.Fields)) == 0 {
			match = append(match, a)
		} else {
			other = append(other, a)
		}
	}
	p := caseProblem{Kind: problemCount, Rule: e.Rule.Name, Want: e, Got: len(match)}
	switch {
	case e.Count < 0 && len(match) > 0, e.Count == len(match):
		return p, false
	case e.Count > 0 && len(match) > e.Count, e.Count == 0:
		p.Alerts = match
		return p, true
	}
	p.Alerts = rule
	if len(match) == 0 {
		p.Kind, p.Alerts = problemMissing, other
	}
	if len(p.Alerts) == 0 {
		p.Alerts = alerts
	}
	return p, true
}

// ofRule returns the alerts of one rule.
func ofRule(alerts []*caseAlert, rule string) []*caseAlert {
	var out []*caseAlert
	for _, a := range alerts {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

// wantText describes an expectation: "Rule (exactly 1, with f=v)".
func (e *expectation) wantText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q", e.Rule.Name)
	if e.Count < 0 {
		b.WriteString(" (at least once")
	} else {
		fmt.Fprintf(&b, " (exactly %d", e.Count)
	}
	if len(e.Fields) > 0 {
		fs := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			fs[i] = f.String()
		}
		b.WriteString(", with " + strings.Join(fs, " "))
	}
	b.WriteString(")")
	return b.String()
}
