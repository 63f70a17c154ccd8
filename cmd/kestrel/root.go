package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "kestrel",
		Short: "Runtime security and system-call forensics for Linux",
		Long: `Kestrel watches system calls, keeps a model of the host and judges events
against Falco rules. It reads and writes the .scap capture files of sysdig,
Falco and Stratoshark, and prints them the way sysdig does.

Detection (what falco does):
  run        watch this host live and send alerts (needs root and BTF)
  replay     the same on a recorded capture, like falco -e
  rules      validate and list rules files

Forensics (what sysdig does):
  capture    print or record this host's system calls live
  read       print, filter or cut a capture file
  fields     the fields that -p formats, filters and rule outputs use
  events     the event types and their parameters

Filters and rule conditions share one language, Falco's: fields compared
with values, joined by and, or, not and parentheses, e.g.
  'proc.name = curl and evt.type in (connect, sendto) and fd.sip != 127.0.0.1'

Exit status: 0 on success, 1 on an error (invalid rules or configuration,
a capture that cannot be read...), 2 when a command is called wrongly (an
unknown command or flag, a flag's bad value, a missing argument, a filter
or -p format that does not parse, a rule selection that selects nothing).`,
		Example: `  sudo kestrel run                          # live detection, embedded default rules
  sudo kestrel run -r falco_rules.yaml --json
  kestrel replay incident.scap -r falco_rules.yaml
  kestrel read incident.scap 'proc.name = curl' -p '%evt.time %evt.type %fd.name'
  sudo kestrel capture -M 60 -w trace.scap.gz -z`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newReplayCmd(), newRulesCmd(), newConfigCmd(), newCaptureCmd(), newReadCmd(), newFieldsCmd(), newEventsCmd())
	usageErrors(root)
	return root
}
