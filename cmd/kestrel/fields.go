package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

func newFieldsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fields",
		Short: "List the fields of -p formats, filters and rule outputs (like sysdig -l)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defs := field.Default().All()
			out := cmd.OutOrStdout()
			if asJSON {
				type row struct {
					Name string `json:"name"`
					Type string `json:"type"`
					Arg  string `json:"arg"`
					Desc string `json:"desc"`
				}
				rows := make([]row, 0, len(defs))
				for _, d := range defs {
					rows = append(rows, row{d.Name, event.TypeName(d.Type), argName(d.Arg), d.Desc})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			for _, d := range defs {
				fmt.Fprintf(out, "%-22s %-9s %s\n", d.Name+argSuffix(d.Arg), event.TypeName(d.Type), d.Desc)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func argName(m field.ArgMode) string {
	switch m {
	case field.ArgRequired:
		return "required"
	case field.ArgOptional:
		return "optional"
	}
	return "none"
}

func argSuffix(m field.ArgMode) string {
	switch m {
	case field.ArgRequired:
		return "[ARG]"
	case field.ArgOptional:
		return "[(ARG)]"
	}
	return ""
}
