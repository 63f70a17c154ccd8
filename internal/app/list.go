package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// ListFormat is how the listing commands (rules list, fields, events)
// print: aligned text, Markdown tables or JSON, Falco's --format words.
type ListFormat uint8

// The list formats.
const (
	ListText ListFormat = iota
	ListMarkdown
	ListJSON
)

// ParseListFormat parses "text", "markdown" or "json", in any letter
// case, as Falco's --format does.
func ParseListFormat(s string) (ListFormat, error) {
	switch strings.ToLower(s) {
	case "text":
		return ListText, nil
	case "markdown":
		return ListMarkdown, nil
	case "json":
		return ListJSON, nil
	}
	return 0, Usagef("--format %s: want text, markdown or json", s)
}

// String returns the word ParseListFormat takes.
func (f ListFormat) String() string {
	switch f {
	case ListMarkdown:
		return "markdown"
	case ListJSON:
		return "json"
	}
	return "text"
}

// mdCell escapes text for a cell of a Markdown table: one line, with the
// column separator escaped.
func mdCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ListFields prints the fields of -p formats, filters and rule outputs:
// as text, one line each (name, type, meaning), like sysdig -l; as
// Markdown, one table per field class, like falco --list --format
// markdown; or as a JSON array of {name, type, arg, desc}. source names
// the event source whose fields are listed: syscall when empty.
func ListFields(f ListFormat, source string, w io.Writer) error {
	defs := field.Default().All()
	if source != "" && source != "syscall" {
		k, ok := sourceKindNamed(source)
		if !ok {
			return Usagef("fields --source %s: want syscall or one of %s", source, strings.Join(sourceNames(), ", "))
		}
		defs = k.def().Fields.All()
	} else {
		source = "syscall"
	}
	switch f {
	case ListJSON:
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
		return writeJSON(w, rows)
	case ListMarkdown:
		class := ""
		for _, d := range defs {
			if c, _, _ := strings.Cut(d.Name, "."); c != class {
				if class != "" {
					fmt.Fprintln(w)
				}
				class = c
				fmt.Fprintf(w, "## Field Class: %s\n\nEvent Sources: %s\n\nName | Type | Description\n:----|:-----|:-----------\n", c, source)
			}
			fmt.Fprintf(w, "`%s` | %s | %s\n", d.Name+argSuffix(d.Arg), event.TypeName(d.Type), mdCell(d.Desc))
		}
		return nil
	}
	for _, d := range defs {
		fmt.Fprintf(w, "%-22s %-9s %s\n", d.Name+argSuffix(d.Arg), event.TypeName(d.Type), d.Desc)
	}
	return nil
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

// ListMissingFields prints the fields of current Falco's syscall source
// that Kestrel does not have, each with the reason.
func ListMissingFields(f ListFormat, w io.Writer) error {
	missing := field.Missing()
	if f == ListJSON {
		type row struct {
			Name   string `json:"name"`
			Reason string `json:"reason"`
		}
		rows := make([]row, 0, len(missing))
		for _, m := range missing {
			rows = append(rows, row{m.Name, m.Reason})
		}
		return writeJSON(w, rows)
	}
	for _, m := range missing {
		fmt.Fprintf(w, "%-22s %s\n", m.Name, m.Reason)
	}
	return nil
}
