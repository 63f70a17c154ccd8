package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// caseStatus is the outcome of a case.
type caseStatus string

const (
	statusPass caseStatus = "pass"
	statusFail caseStatus = "fail"
	statusSkip caseStatus = "skip"
)

// caseResult is what running one case gave.
type caseResult struct {
	File     string
	Case     *ruleTestCase
	Status   caseStatus
	Reason   string // why it was skipped
	Declared bool   // skipped because its file says so (skip: reason)
	Problems []caseProblem
	Alerts   []*caseAlert
	Output   string // what the case's commands printed
	Duration time.Duration
}

// textReport writes the results as they come, for people.
type textReport struct {
	w       io.Writer
	verbose bool
}

// result writes one case's line and, for a failure (every case with
// verbose), its details.
func (r *textReport) result(res *caseResult) {
	c := res.Case
	fmt.Fprintf(r.w, "%-4s  %s: %s  [%s %s, %s] (%.2fs)\n", strings.ToUpper(string(res.Status)), res.File, c.Name,
		c.Kind, quoteRule(c.Rule.Name), c.source(), res.Duration.Seconds())
	switch res.Status {
	case statusSkip:
		fmt.Fprintf(r.w, "      skipped: %s\n", res.Reason)
		return
	case statusFail:
		for _, p := range res.Problems {
			r.problem(p)
		}
		r.output(res)
		return
	}
	if r.verbose {
		r.alerts(res.Alerts)
	}
}

func quoteRule(name string) string { return fmt.Sprintf("%q", name) }

// problem writes one reason a case failed.
func (r *textReport) problem(p caseProblem) {
	switch p.Kind {
	case problemError:
		fmt.Fprintf(r.w, "      error: %s\n", p.Message)
	case problemExtra:
		fmt.Fprintf(r.w, "      extra alert: %q fired %s, want none\n", p.Rule, count(len(p.Alerts), "time"))
		r.list(p.Alerts, func(*caseAlert) []string { return nil })
	case problemMissing:
		fmt.Fprintf(r.w, "      missing alert: %s\n", p.Want.wantText())
		r.instead(p)
	case problemCount:
		fmt.Fprintf(r.w, "      wrong count: %s came %s\n", p.Want.wantText(), count(p.Got, "time"))
		r.instead(p)
	}
}

// instead writes the alerts that came in place of an expected one.
func (r *textReport) instead(p caseProblem) {
	if len(p.Alerts) == 0 {
		fmt.Fprintf(r.w, "        no alert came from the case\n")
		return
	}
	fmt.Fprintf(r.w, "        alerts from the case:\n")
	r.list(p.Alerts, func(a *caseAlert) []string {
		if a.Rule == p.Rule {
			return a.mismatches(p.Want.Fields)
		}
		return nil
	})
}

// listLimit is how many alerts a failure lists without -v.
const listLimit = 10

// list writes alerts, each with why it does not match, up to listLimit
// of them unless verbose.
func (r *textReport) list(as []*caseAlert, why func(*caseAlert) []string) {
	for i, a := range as {
		if i == listLimit && !r.verbose {
			fmt.Fprintf(r.w, "        … and %d more (-v lists them)\n", len(as)-i)
			return
		}
		r.alert(a, why(a))
	}
}

// alert writes an alert with its output fields and, when given, why it
// does not match.
func (r *textReport) alert(a *caseAlert, why []string) {
	fmt.Fprintf(r.w, "        - rule %q: %s\n", a.Rule, a.Output)
	for _, w := range why {
		fmt.Fprintf(r.w, "          %s\n", w)
	}
	fmt.Fprintf(r.w, "          output_fields: %s\n", a.OutputFields)
}

// alerts writes every alert of a case (verbose).
func (r *textReport) alerts(as []*caseAlert) {
	if len(as) == 0 {
		fmt.Fprintf(r.w, "      no alerts\n")
		return
	}
	fmt.Fprintf(r.w, "      %s:\n", count(len(as), "alert"))
	for _, a := range as {
		r.alert(a, nil)
	}
}

// output writes what a failed case's commands printed.
func (r *textReport) output(res *caseResult) {
	if out := strings.TrimSpace(res.Output); out != "" {
		fmt.Fprintf(r.w, "      output of the case's commands:\n")
		for _, l := range strings.Split(out, "\n") {
			fmt.Fprintf(r.w, "        | %s\n", l)
		}
	}
}

// tally counts results.
type tally struct {
	passed, failed, skipped int
	declared                int      // of the skipped: those their file marks skipped
	skipReasons             []string // distinct, in order
}

func (t *tally) add(res *caseResult) {
	switch res.Status {
	case statusPass:
		t.passed++
	case statusFail:
		t.failed++
	case statusSkip:
		t.skipped++
		if res.Declared {
			t.declared++
		}
		if !contains(t.skipReasons, res.Reason) {
			t.skipReasons = append(t.skipReasons, res.Reason)
		}
	}
}

// summary writes the closing line.
func (t *tally) summary(w io.Writer) {
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped)
	for _, r := range t.skipReasons {
		fmt.Fprintf(w, "skipped: %s\n", r)
	}
}

// The JSON report.

type jsonReport struct {
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Skipped int          `json:"skipped"`
	Cases   []jsonResult `json:"cases"`
}

type jsonResult struct {
	File       string        `json:"file"`
	Line       int           `json:"line"`
	Name       string        `json:"name"`
	Rule       string        `json:"rule"`
	Kind       string        `json:"kind"`
	Source     string        `json:"source"`
	Status     string        `json:"status"`
	Reason     string        `json:"reason,omitempty"`
	Declared   bool          `json:"declared_skip,omitempty"` // skipped because the file says so
	DurationMS int64         `json:"duration_ms"`
	Problems   []jsonProblem `json:"problems,omitempty"`
	Alerts     []jsonAlert   `json:"alerts"`
	Output     string        `json:"output,omitempty"`
}

type jsonProblem struct {
	Kind         string            `json:"kind"`
	Rule         string            `json:"rule,omitempty"`
	Message      string            `json:"message"`
	WantCount    *int              `json:"want_count,omitempty"`
	WantFields   map[string]string `json:"want_fields,omitempty"`
	Got          int               `json:"got"`
	Alerts       []jsonAlert       `json:"alerts,omitempty"`
	Mismatches   [][]string        `json:"mismatches,omitempty"`
	ExpectedLine int               `json:"expected_line,omitempty"`
}

type jsonAlert struct {
	Rule         string          `json:"rule"`
	Priority     string          `json:"priority"`
	Output       string          `json:"output"`
	OutputFields json.RawMessage `json:"output_fields"`
}

func toJSONAlerts(as []*caseAlert) []jsonAlert {
	out := make([]jsonAlert, len(as))
	for i, a := range as {
		f := a.OutputFields
		if len(f) == 0 {
			f = json.RawMessage("{}")
		}
		out[i] = jsonAlert{a.Rule, a.Priority.String(), a.Output, f}
	}
	return out
}

func toJSONResult(res *caseResult) jsonResult {
	c := res.Case
	j := jsonResult{File: res.File, Line: c.Pos.Line, Name: c.Name, Rule: c.Rule.Name, Kind: c.Kind.String(), Source: c.source(),
		Status: string(res.Status), Reason: res.Reason, Declared: res.Declared, DurationMS: res.Duration.Milliseconds(),
		Alerts: toJSONAlerts(res.Alerts), Output: res.Output}
	for _, p := range res.Problems {
		j.Problems = append(j.Problems, toJSONProblem(p))
	}
	return j
}

func toJSONProblem(p caseProblem) jsonProblem {
	j := jsonProblem{Kind: string(p.Kind), Rule: p.Rule, Got: p.Got, Alerts: toJSONAlerts(p.Alerts), Message: p.Message}
	switch p.Kind {
	case problemExtra:
		j.Got = len(p.Alerts)
		j.Message = fmt.Sprintf("%q fired %s, want none", p.Rule, count(len(p.Alerts), "time"))
	case problemMissing, problemCount:
		j.Message = fmt.Sprintf("want %s, got %d", p.Want.wantText(), p.Got)
		j.ExpectedLine = p.Want.Rule.Pos.Line
		if p.Want.Count >= 0 {
			n := p.Want.Count
			j.WantCount = &n
		}
		if len(p.Want.Fields) > 0 {
			j.WantFields = map[string]string{}
			for _, f := range p.Want.Fields {
				j.WantFields[f.Name] = f.Value
			}
		}
		for _, a := range p.Alerts {
			var why []string
			if a.Rule == p.Rule {
				why = a.mismatches(p.Want.Fields)
			}
			j.Mismatches = append(j.Mismatches, why)
		}
	}
	return j
}
