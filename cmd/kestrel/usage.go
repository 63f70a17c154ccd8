package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kestrel-sec/kestrel/internal/app"
)

// usageErrors makes every mistake in how a command is called an error
// matching app.ErrUsage, so that Kestrel exits with status 2 for all of
// them, whichever command: an unknown flag or a flag's bad value, missing
// or extra arguments, an unknown command. Each message says where to look.
func usageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return app.Usagef("%v (see '%s --help')", err, c.CommandPath())
	})
	root.SetHelpCommand(newHelpCmd())
	root.InitDefaultCompletionCmd() // now, so that the walk below covers it
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.HasSubCommands() && c.Run == nil && c.RunE == nil:
			// A group: alone it shows its help; anything after it must
			// be one of its commands.
			c.Args = unknownCommand
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
			c.DisableFlagsInUseLine = true
			c.SuggestionsMinimumDistance = 2
		case c.Args != nil:
			check := c.Args
			c.Args = func(c *cobra.Command, args []string) error {
				if err := check(c, args); err != nil {
					return app.Usagef("%v; usage: %s", err, strings.TrimSuffix(c.UseLine(), " [flags]"))
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// newHelpCmd is 'kestrel help [COMMAND]...': the help of a command, and a
// usage error for a command that does not exist.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]...",
		Short: "Help about any command",
		Long:  "Print the help of a command, as 'kestrel COMMAND... --help' does.",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return app.Usagef("no help for %q: no such command (see 'kestrel --help')", strings.Join(args, " "))
			}
			return cmd.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			if cmd, rest, err := c.Root().Find(args); err == nil && len(rest) == 0 {
				for _, sub := range cmd.Commands() {
					if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
						out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
					}
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// unknownCommand rejects the arguments of a command group, naming the
// commands it has that look alike.
func unknownCommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return app.Usagef("%s (see '%s --help')", msg, c.CommandPath())
}

// formatFlags are the flags of the listing commands that choose their
// format: --format, as in Falco, and the shorthands --json and --markdown.
type formatFlags struct {
	format         string
	json, markdown bool
}

func (f *formatFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.format, "format", "text", "output format: text, markdown or json")
	fl.BoolVar(&f.json, "json", false, "print JSON (--format json)")
	fl.BoolVar(&f.markdown, "markdown", false, "print Markdown tables, for documentation (--format markdown)")
}

// value returns the format the flags choose; giving more than one of
// them is a usage error, as Falco refuses --markdown with --format.
func (f *formatFlags) value(fl *pflag.FlagSet) (app.ListFormat, error) {
	n := 0
	for _, name := range []string{"format", "json", "markdown"} {
		if fl.Changed(name) {
			n++
		}
	}
	switch {
	case n > 1:
		return 0, app.Usagef("--format, --json and --markdown each choose the format: give one of them")
	case f.json:
		return app.ListJSON, nil
	case f.markdown:
		return app.ListMarkdown, nil
	}
	return app.ParseListFormat(f.format)
}
