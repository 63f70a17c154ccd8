package app

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/defaultrules"
	"github.com/kestrel-sec/kestrel/rules"
)

// ErrRulesInvalid is returned when rules files have errors; the errors
// have been printed.
var ErrRulesInvalid = rules.ErrInvalid

// loadRules loads rules files, or Kestrel's embedded default rules when
// paths is empty, and compiles them.
func loadRules(paths []string, o engine.Options) (*rules.Spec, *engine.Engine, rules.Diagnostics) {
	var spec *rules.Spec
	var ds rules.Diagnostics
	if len(paths) == 0 {
		spec, ds = rules.LoadBytes(defaultrules.Name, defaultrules.YAML())
	} else {
		spec, ds = rules.Load(paths...)
	}
	if o.Sources == nil {
		o.Sources = builtinSources()
	}
	eng, cds := engine.Compile(spec, o)
	return spec, eng, append(ds, cds...)
}

// ValidateOptions configure [ValidateRules].
type ValidateOptions struct {
	Paths []string
	JSON  bool
}

// ValidateRules loads and compiles rules files and prints every error and
// warning with its place and a caret. It returns an error matching
// [ErrRulesInvalid] when there are errors.
func ValidateRules(o ValidateOptions, stdout io.Writer) error {
	if len(o.Paths) == 0 {
		return Usagef("rules validate: give at least one rules file or directory")
	}
	_, _, ds := loadRules(o.Paths, engine.DefaultOptions())
	if o.JSON {
		if err := writeDiagJSON(stdout, o.Paths, ds); err != nil {
			return err
		}
	} else {
		for _, d := range ds {
			fmt.Fprintf(stdout, "%s\n\n", d.String())
		}
		fmt.Fprintf(stdout, "%s: %s, %s\n", strings.Join(o.Paths, ", "), count(len(ds.Errors()), "error"), count(len(ds.Warnings()), "warning"))
	}
	return ds.Err()
}

type diagJSON struct {
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Item     string `json:"item,omitempty"`
	Message  string `json:"message"`
	Source   string `json:"source,omitempty"`
}

func writeDiagJSON(w io.Writer, paths []string, ds rules.Diagnostics) error {
	out := struct {
		Files    []string   `json:"files"`
		Valid    bool       `json:"valid"`
		Errors   []diagJSON `json:"errors"`
		Warnings []diagJSON `json:"warnings"`
	}{Files: paths, Valid: !ds.HasErrors(), Errors: []diagJSON{}, Warnings: []diagJSON{}}
	for _, d := range ds {
		j := diagJSON{d.Severity.String(), d.Pos.File, d.Pos.Line, d.Pos.Column, d.Item, d.Message, d.Source}
		if d.Severity == rules.SeverityError {
			out.Errors = append(out.Errors, j)
		} else {
			out.Warnings = append(out.Warnings, j)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// ListOptions configure [ListRules].
type ListOptions struct {
	Paths  []string   // rules files; the embedded defaults when empty
	Format ListFormat // text, Markdown or JSON
}

// RuleInfo is one line of [ListRules].
type RuleInfo struct {
	Name     string   `json:"name"`
	Priority string   `json:"priority"`
	Source   string   `json:"source"`
	Tags     []string `json:"tags"`
	Enabled  bool     `json:"enabled"`
	Desc     string   `json:"desc"`
}

// ListRules prints the rules of rules files with their priority, source,
// tags and the enabled state the files give them: aligned text, a
// Markdown table (with each rule's description, for documentation) or a
// JSON array. Errors in the files are printed on stderr and returned.
func ListRules(o ListOptions, stdout, stderr io.Writer) error {
	spec, _, ds := loadRules(o.Paths, engine.DefaultOptions())
	for _, d := range ds.Errors() {
		fmt.Fprintf(stderr, "%s\n\n", d.String())
	}
	infos := make([]RuleInfo, 0, len(spec.Rules))
	for _, r := range spec.Rules {
		infos = append(infos, RuleInfo{r.Name, r.Priority.String(), r.Source, r.Tags, r.Enabled, strings.TrimSpace(r.Desc.Value)})
	}
	switch o.Format {
	case ListJSON:
		if err := writeJSON(stdout, infos); err != nil {
			return err
		}
	case ListMarkdown:
		fmt.Fprintf(stdout, "Rule | Priority | Source | Enabled | Tags | Description\n:----|:---------|:-------|:--------|:-----|:-----------\n")
		for _, r := range infos {
			tags := make([]string, len(r.Tags))
			for i, t := range r.Tags {
				tags[i] = "`" + mdCell(t) + "`"
			}
			enabled := "no"
			if r.Enabled {
				enabled = "yes"
			}
			fmt.Fprintf(stdout, "%s | %s | %s | %s | %s | %s\n", mdCell(r.Name), r.Priority, mdCell(r.Source), enabled, strings.Join(tags, ", "), mdCell(r.Desc))
		}
	default:
		width := 4
		for _, r := range infos {
			width = max(width, len(r.Name))
		}
		fmt.Fprintf(stdout, "%-*s  %-13s  %-7s  %-8s  %s\n", width, "RULE", "PRIORITY", "SOURCE", "ENABLED", "TAGS")
		for _, r := range infos {
			fmt.Fprintf(stdout, "%-*s  %-13s  %-7s  %-8t  %s\n", width, r.Name, r.Priority, r.Source, r.Enabled, strings.Join(r.Tags, ","))
		}
	}
	return ds.Err()
}

// hostnameOrEmpty returns the machine's host name, as Falco puts in
// alerts: $FALCO_HOSTNAME when set, as in Falco.
func hostnameOrEmpty() string {
	// Falco's variable: in a pod, the node's name rather than the pod's.
	if h := os.Getenv("FALCO_HOSTNAME"); h != "" {
		return h
	}
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// count returns "1 error", "2 errors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
