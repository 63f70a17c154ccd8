package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newRulesExplainCmd() *cobra.Command {
	var o app.RunOptions
	cmd := &cobra.Command{
		Use:   "explain [-c FILE] [-r PATH]... [-o KEY=VALUE]...",
		Short: "Show what the rules let the kernel drop before it sends events",
		Long: `Load the configuration and the rules as 'kestrel run' would, and show what
the probe is told: the system calls it reports, and the kernel filter built
from the rules. For each selected rule that runs on opens it says which opens
the rule may match, in what the kernel can decide (the open's result, whether
it is for writing, its path's prefix or file name); the kernel sends an open
only when some rule may match it, or when it opens a directory (the host
model needs those). A rule whose condition the kernel cannot decide (a
substring of the path, the process's name...) lets every open through; so
does a rule that reads, on another system call, the fd an open would have
created. 'kestrel run' applies the filter unless kernel_filter.enabled is
false.`,
		Example: `  kestrel rules explain
  kestrel rules explain -r /etc/falco/falco_rules.yaml
  kestrel rules explain -c /etc/kestrel/kestrel.yaml -o kernel_filter.enabled=false`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.Explain(o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.ConfigFile, "config", "c", "", "configuration file (default "+app.DefaultConfigFile+" when it exists)")
	f.StringArrayVarP(&o.Rules, "rules", "r", nil, "rules file or directory (repeatable); replaces the configuration's")
	f.StringArrayVarP(&o.Settings, "option", "o", nil, "set a configuration key, key=value (repeatable)")
	return cmd
}
