package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newRulesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check, list, explain and test Falco rules files",
	}
	cmd.AddCommand(newRulesValidateCmd(), newRulesListCmd(), newRulesExplainCmd(), newRulesTestCmd())
	return cmd
}

func newRulesValidateCmd() *cobra.Command {
	var o app.ValidateOptions
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Load and compile rules files; print every error and warning",
		Long: `Load rules files and directories in the order given, compile every rule,
and print each error and warning with its file, line, column and a caret
under the offending text. The exit status is 1 when there are errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return app.ValidateRules(o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the result as JSON")
	return cmd
}

func newRulesListCmd() *cobra.Command {
	var o app.ListOptions
	var format formatFlags
	cmd := &cobra.Command{
		Use:   "list [-r PATH]... [--format text|markdown|json]",
		Short: "List rules with their priority, source, tags and enabled state",
		Long: `List the rules of rules files (Kestrel's default rules when no -r is
given) with their priority, source, tags and the enabled state the files
give them: the rules that 'kestrel run' and 'kestrel replay' run, before
-D, -T, -t and the configuration's rules selection apply.

--format markdown prints a table with each rule's description, to document
a rule set, as falco -L describes the rules; --format json (or --json) an
array of objects {name, priority, source, tags, enabled, desc} for tools.`,
		Example: `  kestrel rules list
  kestrel rules list -r /etc/falco/falco_rules.yaml --format markdown > rules.md
  kestrel rules list --json | jq -r '.[] | select(.enabled) | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Format, err = format.value(cmd.Flags()); err != nil {
				return err
			}
			return app.ListRules(o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Paths, "rules", "r", nil, "rules file or directory (repeatable)")
	format.add(cmd.Flags())
	return cmd
}
