package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/diag"
	"github.com/kestrel-sec/kestrel/pipeline"
)

// RuleTestOptions configure [RunRuleTests].
type RuleTestOptions struct {
	Paths    []string // rule test files
	Settings []string // -o key=value, as `kestrel run` takes them
	// Case, when set, is a regular expression: only the cases whose name
	// it matches run.
	Case    string
	Verbose bool // print every alert of every case
	JSON    bool // a JSON report instead of text
	// Timeout bounds each case's action when its file gives none; 0: 30s.
	Timeout time.Duration
	// FailSkipped counts a skipped case as failed (for CI, where every
	// case must run); a case its file marks skipped (skip: reason) is
	// not counted, since no host can run it.
	FailSkipped bool
}

// DefaultCaseTimeout bounds each case's action unless told otherwise.
const DefaultCaseTimeout = 30 * time.Second

// ErrRuleTestsFailed is returned when a rule test case failed; the report
// says which and why.
var ErrRuleTestsFailed = errors.New("rule tests failed")

// ErrTestFileInvalid is returned, also matching [ErrUsage], when a rule
// test file is malformed; its located errors have been printed.
var ErrTestFileInvalid = errors.New("invalid rule test file")

// RunRuleTests runs the cases of rule test files and reports each one:
// capture cases are judged as a replay, run and container cases under
// one live agent per file. It returns an error matching
// [ErrTestFileInvalid] (and [ErrUsage]) when a file is malformed, one
// matching [ErrRuleTestsFailed] when a case failed, nil when all passed.
func RunRuleTests(ctx context.Context, o RuleTestOptions, stdout, stderr io.Writer) error {
	t, err := newTester(o, stdout, stderr)
	if err != nil {
		return err
	}
	var invalid []TestFileError
	for _, path := range o.Paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		invalid = append(invalid, t.file(ctx, path)...)
	}
	return t.finish(invalid)
}

// tester runs rule test files.
type tester struct {
	o      RuleTestOptions
	cfg    *config.Config
	match  *regexp.Regexp // nil: every case
	stdout io.Writer
	stderr io.Writer
	text   *textReport // nil with JSON
	tally  tally
	json   jsonReport
}

func newTester(o RuleTestOptions, stdout, stderr io.Writer) (*tester, error) {
	if len(o.Paths) == 0 {
		return nil, Usagef("rules test: give at least one test file")
	}
	t := &tester{o: o, stdout: stdout, stderr: stderr, json: jsonReport{Cases: []jsonResult{}}}
	if o.Case != "" {
		re, err := regexp.Compile(o.Case)
		if err != nil {
			return nil, Usagef("--case: %v", err)
		}
		t.match = re
	}
	cfg, ds := config.LoadWithOverrides("", o.Settings)
	if ds.HasErrors() {
		for _, d := range ds.Errors() {
			fmt.Fprintf(stderr, "%s\n\n", d.String())
		}
		return nil, configErr(ds)
	}
	t.cfg = cfg
	if !o.JSON {
		t.text = &textReport{w: stdout, verbose: o.Verbose}
	}
	return t, nil
}

// finish writes the summary (or the JSON report) and returns the result.
func (t *tester) finish(invalid []TestFileError) error {
	if t.text != nil {
		t.tally.summary(t.stdout)
	} else {
		t.json.Passed, t.json.Failed, t.json.Skipped = t.tally.passed, t.tally.failed, t.tally.skipped
		if err := writeJSON(t.stdout, t.json); err != nil {
			return err
		}
	}
	ran := t.tally.passed + t.tally.failed + t.tally.skipped
	switch {
	case len(invalid) > 0:
		return &usageError{msg: diag.Err(invalid, ErrTestFileInvalid).Error(), err: ErrTestFileInvalid}
	case t.tally.failed > 0:
		return fmt.Errorf("%d of %d cases failed: %w", t.tally.failed, t.tally.failed+t.tally.passed, ErrRuleTestsFailed)
	case ran == 0 && t.match != nil:
		return Usagef("--case %q: no case of %s matches", t.o.Case, strings.Join(t.o.Paths, ", "))
	case t.tally.skipped > t.tally.declared && t.o.FailSkipped:
		return fmt.Errorf("%d cases skipped (--fail-skipped): %w", t.tally.skipped-t.tally.declared, ErrRuleTestsFailed)
	}
	return nil
}

// file runs the selected cases of one test file; it returns the file's
// errors when it is malformed, having printed them.
func (t *tester) file(ctx context.Context, path string) []TestFileError {
	f, errs := readRuleTests(path)
	if len(errs) == 0 {
		errs = t.checkRules(f)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(t.stderr, "%s\n\n", e.String())
		}
		return errs
	}
	run := &fileRun{t: t, f: f}
	defer run.close()
	for _, c := range f.Cases {
		if t.match != nil && !t.match.MatchString(c.Name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil
		}
		t.report(run.runCase(ctx, c))
	}
	return nil
}

// checkRules reports the rules f names that its rules files do not
// define. Rules files with errors are left to the cases to report.
func (t *tester) checkRules(f *ruleTestFile) []TestFileError {
	spec, _, ds := loadRules(f.RulesFiles, engine.DefaultOptions())
	if ds.HasErrors() || spec == nil {
		return nil
	}
	defined := map[string]bool{}
	for _, r := range spec.Rules {
		defined[r.Name] = true
	}
	return checkRuleNames(f, defined)
}

// report records and prints one result.
func (t *tester) report(res *caseResult) {
	t.tally.add(res)
	if t.text != nil {
		t.text.result(res)
	} else {
		t.json.Cases = append(t.json.Cases, toJSONResult(res))
	}
}

// fileRun holds what the cases of one file share: the engines, compiled
// once each, and the live agent, started for the first live case.
type fileRun struct {
	t        *tester
	f        *ruleTestFile
	replay   *engine.Engine // for captures: every event judged
	live     *liveTester
	liveErr  error // why the live agent could not start
	liveSkip bool  // liveErr means skip, not fail
}

// close stops the live agent, if any.
func (r *fileRun) close() {
	if r.live != nil {
		if err := r.live.close(); err != nil {
			fmt.Fprintf(r.t.stderr, "kestrel: %s: stopping the live agent: %v\n", r.f.Path, err)
		}
	}
}

// runCase runs one case and judges it.
func (r *fileRun) runCase(ctx context.Context, c *ruleTestCase) *caseResult {
	res := &caseResult{File: r.f.Path, Case: c}
	if c.Skip != "" {
		res.Status, res.Reason, res.Declared = statusSkip, c.Skip, true
		return res
	}
	start := time.Now()
	var alerts []*caseAlert
	var err error
	if c.live() {
		alerts, err = r.runLive(ctx, c, res)
	} else {
		alerts, err = r.runCapture(ctx, c)
	}
	res.Duration = time.Since(start)
	res.Alerts = alerts
	switch {
	case res.Status == statusSkip:
	case err != nil:
		res.Status = statusFail
		res.Problems = []caseProblem{{Kind: problemError, Message: err.Error()}}
	default:
		res.Problems = judge(c, alerts)
		res.Status = statusPass
		if len(res.Problems) > 0 {
			res.Status = statusFail
		}
	}
	return res
}

// engine compiles the file's rules with the configuration's selection;
// allEvents judges the high-volume I/O events too (captures).
func (r *fileRun) engine(allEvents bool) (*engine.Engine, error) {
	eo, err := engineOptions(r.t.cfg, RunOptions{})
	if err != nil {
		return nil, err
	}
	eo.AllEvents = eo.AllEvents || allEvents
	_, eng, ds := loadRules(r.f.RulesFiles, eo)
	if ds.HasErrors() {
		for _, d := range ds.Errors() {
			fmt.Fprintf(r.t.stderr, "%s\n\n", d.String())
		}
		return nil, fmt.Errorf("the rules do not load: %w", ds.Err())
	}
	if _, err := checkSelection(eng, eo); err != nil {
		return nil, err
	}
	return eng, nil
}

// runCapture judges a capture like `kestrel replay`: every alert belongs
// to the case.
func (r *fileRun) runCapture(ctx context.Context, c *ruleTestCase) ([]*caseAlert, error) {
	if r.replay == nil {
		eng, err := r.engine(true)
		if err != nil {
			return nil, err
		}
		r.replay = eng
	}
	return captureAlerts(ctx, r.replay, c.Capture)
}

// captureAlerts runs eng over the capture at path and returns its alerts.
func captureAlerts(ctx context.Context, eng *engine.Engine, path string) ([]*caseAlert, error) {
	src, err := scapfile.Open(ctx, path, scapfile.Options{})
	if err != nil {
		return nil, err
	}
	p := pipeline.New(src, src.Initial(), pipeline.Options{})
	defer p.Close()
	var out []*caseAlert
	p.Add(pipeline.NewRules(eng, p.Context(), func(a *alert.Alert) error {
		out = append(out, newCaseAlert(*a))
		return nil
	}))
	if err := p.Run(ctx, 0); err != nil {
		return out, fmt.Errorf("replay %s: %w", path, err)
	}
	return out, p.Close()
}

// runLive runs a run or container case under the file's live agent,
// starting it for the first one; a host that cannot run it marks res
// skipped.
func (r *fileRun) runLive(ctx context.Context, c *ruleTestCase, res *caseResult) ([]*caseAlert, error) {
	if r.live == nil && r.liveErr == nil {
		r.startLive(ctx)
	}
	if r.liveErr != nil {
		if r.liveSkip {
			res.Status, res.Reason = statusSkip, r.liveErr.Error()
			return nil, nil
		}
		return nil, r.liveErr
	}
	if c.Container != nil {
		if reason := podmanMissing(); reason != "" {
			res.Status, res.Reason = statusSkip, reason
			return nil, nil
		}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = orDuration(r.t.o.Timeout, DefaultCaseTimeout)
	}
	return r.live.run(ctx, c, timeout, res)
}

// startLive loads the probe and starts the agent the live cases share.
func (r *fileRun) startLive(ctx context.Context) {
	if err := liveCheck(); err != nil {
		r.liveErr, r.liveSkip = err, true
		return
	}
	eng, err := r.engine(false)
	if err != nil {
		r.liveErr = err
		return
	}
	if r.live, err = startLiveTester(ctx, r.t.cfg, eng, r.f, r.t.stderr); err != nil {
		// A verifier log runs to thousands of lines: in full once here,
		// its first line in each case's report.
		fmt.Fprintf(r.t.stderr, "kestrel: %s: the live agent did not start: %v\n", r.f.Path, err)
		first, _, _ := strings.Cut(err.Error(), "\n")
		r.liveErr = fmt.Errorf("the live agent did not start: %s", first)
	}
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
