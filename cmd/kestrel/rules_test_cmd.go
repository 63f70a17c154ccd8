package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

// rulesTestHelp teaches the test file format.
const rulesTestHelp = `Run the cases of rule test files: each case is an action (a capture to
replay, a shell script to run on this host, or a command to run in a podman
container) and the alerts the rules must, or must not, raise for it.

A test file (YAML):

  # kestrel_rules.tests.yaml
  rules_files: [kestrel_rules.yaml]   # relative to this file; omitted: Kestrel's embedded default rules
  cases:
    - name: cat reads /etc/shadow             # unique in the file
      rule: Read sensitive file untrusted     # the rule the case is about (for the report)
      kind: trigger                           # trigger | benign (a look-alike that must stay quiet)
      # exactly one of capture / run / container:
      capture: testdata/shadow.scap           # a .scap, judged like 'kestrel replay'
      run: |                                  # a /bin/sh script run as root on this host while Kestrel watches live
        cat /etc/shadow >/dev/null
      container:                              # a podman container, watched live
        image: localhost/kestrel-busybox:test
        privileged: false
        run: cat /etc/shadow                  # /bin/sh -c in the container
      expect:                                 # alerts that must come from the case
        - rule: Read sensitive file untrusted
          count: 1                            # exact count; omitted: at least one
          output_fields: {fd.name: /etc/shadow, proc.name: cat}   # each must equal (as printed in JSON output_fields)
      expect_not: [Read sensitive file untrusted]   # rules that must not fire for the case
      timeout: 30s                            # optional: bound on the case's action (default --timeout)
      # skip: "needs a Kubernetes API server"  # optional: not run here, reported SKIP with the reason

A trigger case without expect expects its rule at least once; a benign case
adds its rule to expect_not. An output field written <NA> or null must be
missing (null in JSON). Every rule a file names must be in its rules files.

Capture cases: every alert of the capture belongs to the case; every event
is judged, as 'kestrel replay' does. Run and container cases run one after
another under one live agent per file (the probe loaded once, the defaults
of 'kestrel run' with the -o settings, no output but the runner's): a run
script starts in the test file's directory, in a session of its own, and
its alerts are those whose process is the script's shell or a descendant
(or in its session); what it leaves running is killed. A container case's
alerts are those from inside its container (container.id). After each case
the runner waits until the agent has processed the case's events. Live
cases need root (or the probe's capabilities) and BTF, container cases
podman; elsewhere they are skipped, with the reason.

The report gives PASS, FAIL or SKIP per case; a failure names each missing
alert (rule, count and fields wanted, and the alerts that came instead with
their output fields) and each extra one (its output and fields); then
"N passed, M failed, K skipped". --json writes the report as one JSON
object for CI tools. Exit status: 0 when every case passed, 1 when one
failed (or was skipped, with --fail-skipped), 2 when a test file is
malformed (its errors located file:line:column).`

func newRulesTestCmd() *cobra.Command {
	var o app.RuleTestOptions
	cmd := &cobra.Command{
		Use:   "test PATH...",
		Short: "Run rule test files: actions and the alerts they must (not) raise",
		Long:  rulesTestHelp,
		Example: `  kestrel rules test internal/defaultrules/kestrel_rules.tests.yaml
  sudo kestrel rules test --case 'shadow' -v rules.tests.yaml
  sudo kestrel rules test --json --fail-skipped *.tests.yaml > report.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return app.RunRuleTests(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Settings, "option", "o", nil, "set a configuration key of 'kestrel run', key=value (repeatable)")
	f.StringVar(&o.Case, "case", "", "run only the cases whose name matches this regular expression")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "print every alert of every case")
	f.BoolVar(&o.JSON, "json", false, "write the report as JSON")
	f.DurationVar(&o.Timeout, "timeout", app.DefaultCaseTimeout, "bound on each case's action when its file gives none")
	f.BoolVar(&o.FailSkipped, "fail-skipped", false, "count skipped cases as failed (exit status 1)")
	return cmd
}
