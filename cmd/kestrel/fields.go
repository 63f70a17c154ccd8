package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newFieldsCmd() *cobra.Command {
	var format formatFlags
	var missing bool
	var source string
	cmd := &cobra.Command{
		Use:   "fields [--format text|markdown|json] [--source NAME]",
		Short: "List the fields of -p formats, filters and rule outputs (like sysdig -l)",
		Long: `List every field that -p formats, filters and rule conditions and outputs
can use, with its type and meaning: one line each, as sysdig -l prints them
(a field taking an argument shows [ARG], or [(ARG)] when the argument may be
left out: proc.aname[2], evt.arg.fd).

--format markdown prints one table per field class, as falco --list
--format markdown does; --format json (or --json) an array of objects
{name, type, arg, desc} for tools. 'kestrel events' lists the event types
and their parameters.

--source lists the fields of another event source: k8s_audit (ka.*),
aws_cloudtrail (ct.*, s3.*, ec2.*), okta (okta.*) or github (github.*),
each with the generic evt.* fields and the JSON plugin's json.* and jevt.*.

--missing lists instead the fields of Falco's syscall source that Kestrel
does not have, each with the reason.`,
		Example: `  kestrel fields | grep '^fd\.'
  kestrel fields --format markdown > fields.md
  kestrel fields --json | jq -r '.[] | select(.type == "IPADDR") | .name'
  kestrel fields --source k8s_audit | grep '^ka.req'
  kestrel fields --missing`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := format.value(cmd.Flags())
			if err != nil {
				return err
			}
			if missing {
				return app.ListMissingFields(f, cmd.OutOrStdout())
			}
			return app.ListFields(f, source, cmd.OutOrStdout())
		},
	}
	format.add(cmd.Flags())
	cmd.Flags().StringVar(&source, "source", "syscall", "the event source whose fields are listed: syscall, k8s_audit, aws_cloudtrail, okta or github")
	cmd.Flags().BoolVar(&missing, "missing", false, "list the fields of Falco's syscall source that Kestrel lacks, with the reason")
	return cmd
}

func newEventsCmd() *cobra.Command {
	var format formatFlags
	cmd := &cobra.Command{
		Use:   "events [--format text|markdown|json]",
		Short: "List the event types and their parameters, like falco --list-events",
		Long: `List the event types Kestrel knows, with their direction (> enter, < exit)
and their parameters' types and names, grouped as falco --list-events groups
them: syscall events, tracepoint events, plugin events and metaevents. The
names a flags parameter takes follow it. These are the names evt.type
compares with and the parameters evt.arg.NAME reads.

With --format markdown the tables also say whether 'kestrel run' judges the
event by default: the high-volume I/O events (read, write...) it skips
unless -A is given are "No". --format json (or --json) prints the same for
tools.`,
		Example: `  kestrel events | grep -w openat
  kestrel events --format markdown > events.md
  kestrel events --json | jq '."Syscall events"[] | select(.available | not) | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := format.value(cmd.Flags())
			if err != nil {
				return err
			}
			return app.ListEvents(f, cmd.OutOrStdout())
		},
	}
	format.add(cmd.Flags())
	return cmd
}
