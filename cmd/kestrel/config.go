package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check Kestrel's configuration file; print its schema or an example",
		Long: `Kestrel's configuration file has the keys of Falco's falco.yaml wherever the
meaning is the same, so that a Falco configuration mostly carries over: keys
that do not apply to Kestrel (engine, plugins, …) are accepted with a warning
each. 'kestrel run' reads -c FILE, else ` + app.DefaultConfigFile + ` when it
exists, else the built-in defaults.`,
	}
	cmd.AddCommand(newConfigValidateCmd(), newConfigSchemaCmd(), newConfigExampleCmd())
	return cmd
}

func newConfigValidateCmd() *cobra.Command {
	var o app.ConfigValidateOptions
	cmd := &cobra.Command{
		Use:   "validate FILE... [-o KEY=VALUE]...",
		Short: "Check configuration files; print every error and warning",
		Long: `Load each configuration file as 'kestrel run' would (with the files its
config_files names, ${VAR} expanded and the -o settings applied) and print
every error and warning with its file, line, column and a caret: a key
Kestrel does not know, a value of the wrong type, a word not among those a
key takes. The rules files the configuration names are loaded and checked
too, and so is the rules selection: a priority or a rules list that leaves
no rule to run is an error. The exit status is 1 when there are errors, 2
when the only errors are in the -o settings.`,
		Example: `  kestrel config validate /etc/kestrel/kestrel.yaml
  kestrel config validate /etc/falco/falco.yaml   # a Falco configuration`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return app.ValidateConfig(o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Settings, "option", "o", nil, "set a configuration key, key=value (repeatable)")
	return cmd
}

func newConfigSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the configuration file",
		Long: `Print a JSON Schema (2020-12) of Kestrel's configuration file, for editors
and CI checks of configuration files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(app.ConfigSchema())
			return err
		},
	}
}

func newConfigExampleCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "example",
		Short:   "Print a commented configuration file with every key and its default",
		Args:    cobra.NoArgs,
		Example: `  kestrel config example | sudo tee /etc/kestrel/kestrel.yaml`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(app.ConfigExample())
			return err
		},
	}
}
