package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newReplayCmd() *cobra.Command {
	var o app.ReplayOptions
	cmd := &cobra.Command{
		Use:   "replay CAPTURE [-r PATH]...",
		Short: "Run rules on a capture and print the alerts, like falco -e",
		Long: `Apply the events of a .scap capture to the host model, judge them against
Falco rules (Kestrel's default rules when no -r is given) and print an alert
for each match, as Falco prints them. A summary of the events read and the
alerts by priority and rule goes to stderr.

Every event of the capture is judged, the high-volume I/O events (read,
write, send, recv...) included, as Falco judges a capture file: 'kestrel
run' skips those on a live host unless given -A, and -A changes nothing
here.

Rule selection follows Falco's flags: -D disables rules whose name contains
the pattern (or matches it, with * and ?), -T disables rules with a tag, -t
runs only rules with a tag (it cannot be mixed with -D or -T). A -t tag that
no rule has, or a selection that leaves no rule to run, is an error (exit
status 2); a -D or -T that matches no rule is reported as a warning. -o sets
Falco configuration keys: priority, rule_matching, json_output,
json_include_output_property, json_include_tags_property,
time_format_iso_8601. Alerts are written in blocks; -U writes each as it
is found.

A capture may also hold plugin events, the events of Falco's source plugins
(pluginevent records carrying the plugin's id), such as the captures that
'kestrel read --merge' writes. Those of the plugins Kestrel's own sources
stand in for (k8saudit id 1, cloudtrail 2, okta 7, github 8) are judged, in
file order with the system calls, by the rules of their source (give its
rules with -r, e.g. k8s_audit_rules.yaml); system call rules never see them.
The summary counts the plugin events of other plugins, and those of a source
none of whose rules runs. A replay of such a capture may give only the
rules of these sources.

CAPTURE may also be a file (or directory) of the events of one of those
sources instead of a capture: Kubernetes audit events, CloudTrail logs, Okta
System Log or GitHub webhook events, told from the content or by --source.`,
		Example: `  kestrel replay incident.scap
  kestrel replay incident.scap -r /etc/falco/falco_rules.yaml --json
  kestrel replay incident.scap -t container -o priority=notice
  kestrel replay incident.scap -o rule_matching=all -D 'Read sensitive*'
  kestrel replay audit.log -r k8s_audit_rules.yaml --source k8s_audit
  kestrel replay AWSLogs/ -r aws_cloudtrail_rules.yaml
  kestrel replay both.scap -r falco_rules.yaml -r k8s_audit_rules.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Path = args[0]
			return app.Replay(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	addRuleFlags(f, &o)
	f.BoolVarP(&o.AllEvents, "all-events", "A", false, "no effect: a replay judges every event (accepted, as falco accepts it with a capture)")
	f.BoolVarP(&o.Unbuffered, "unbuffered", "U", false, "write each alert out as it is found")
	f.StringVar(&o.Source, "source", "", "event source of the file: syscall (a capture), k8s_audit (audit events, one JSON object or EventList a line), aws_cloudtrail (CloudTrail log files, .json or .json.gz), okta (System Log events) or github (webhook events, one a line); told from the content when not given")
	f.BoolVar(&o.StageTimes, "stage-times", false, "report the share of time per stage on stderr")
	_ = f.MarkHidden("stage-times")
	return cmd
}

// addRuleFlags adds the rule selection flags replay and run share, with
// Falco's names and meanings.
func addRuleFlags(f *pflag.FlagSet, o *app.ReplayOptions) {
	f.StringArrayVarP(&o.Rules, "rules", "r", nil, "rules file or directory (repeatable); Kestrel's embedded default rules when none")
	f.BoolVar(&o.JSON, "json", false, "print alerts as JSON (as -o json_output=true)")
	f.StringArrayVarP(&o.Disable, "disable", "D", nil, "disable rules whose name contains this, or matches it with * and ? (repeatable)")
	f.StringArrayVarP(&o.EnableTags, "tag", "t", nil, "run only rules with this tag (repeatable)")
	f.StringArrayVarP(&o.DisableTags, "disable-tag", "T", nil, "disable rules with this tag (repeatable)")
	f.StringArrayVarP(&o.Settings, "option", "o", nil, "set a configuration key, key=value (repeatable)")
	f.StringVar(&o.Hostname, "hostname", "", "host name alerts carry (default: this machine's)")
}
