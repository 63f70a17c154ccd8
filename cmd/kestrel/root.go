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
Falco and Stratoshark, and prints them the way sysdig does.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newReadCmd(), newFieldsCmd(), newRulesCmd(), newReplayCmd(), newCaptureCmd())
	return root
}
