package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newRunCmd() *cobra.Command {
	var o app.RunOptions
	var live liveFlags
	cmd := &cobra.Command{
		Use:   "run [-r PATH]...",
		Short: "Watch this host live and print alerts from Falco rules, like falco",
		Long: `Watch every system call of this host through an eBPF probe, keep the model of
its processes, files and connections, and judge each event against Falco
rules: Kestrel's embedded default rules, or the files and directories given
with -r (falcosecurity/rules files load unmodified). Each match prints an
alert as Falco prints it (text, or JSON with --json or -o json_output=true).

Only the syscalls the rules and the host model need leave the kernel. On
Ctrl-C (SIGINT) or SIGTERM, or after -M seconds, it prints the number of
events judged, the alerts by priority and rule, and every event the probe
lost. It needs root and a kernel with BTF (/sys/kernel/btf/vmlinux).

Rule selection follows Falco's flags, as in 'kestrel replay': -D, -t, -T, -A
and -o key=value.` + ringHelp,
		Example: `  # live detection with the embedded default rules
  sudo kestrel run

  # the falcosecurity/rules files, JSON alerts for a log pipeline
  sudo kestrel run -r /etc/falco/falco_rules.yaml --json

  # only rules tagged container, for one minute
  sudo kestrel run -t container -M 60`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.LiveOptions, err = live.values(); err != nil {
				return err
			}
			stop, err := live.profile()
			if err != nil {
				return err
			}
			defer stop()
			return app.Run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	addRuleFlags(f, &o.ReplayOptions)
	live.add(f, "run")
	return cmd
}
