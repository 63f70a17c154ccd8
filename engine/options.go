package engine

import (
	"fmt"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
)

// Matching says which rules fire for one event.
type Matching uint8

// The rule matching modes of Falco's rule_matching setting.
const (
	MatchFirst Matching = iota // the first matching rule, in definition order
	MatchAll                   // every matching rule
)

// ParseMatching parses "first" or "all".
func ParseMatching(s string) (Matching, error) {
	switch strings.ToLower(s) {
	case "first":
		return MatchFirst, nil
	case "all":
		return MatchAll, nil
	}
	return 0, fmt.Errorf("rule_matching %q: want first or all", s)
}

// String returns "first" or "all".
func (m Matching) String() string {
	if m == MatchAll {
		return "all"
	}
	return "first"
}

// Options configure [Compile] and the rule selection of the [Engine].
type Options struct {
	// Fields resolves field names; [field.Default] when nil.
	Fields *field.Registry
	// Matching is Falco's rule_matching: MatchFirst by default.
	Matching Matching
	// MinPriority is Falco's priority setting: rules less severe are not
	// run. The zero value, Emergency, would keep only the most severe
	// rules, so [DefaultOptions] sets Debug.
	MinPriority rules.Priority
	// Disable holds name patterns of rules to turn off (Falco's -D): a
	// pattern with * or ? is a wildcard matched against the whole name,
	// any other pattern matches names that contain it.
	Disable []string
	// EnableTags, when not empty, runs only the rules that have one of
	// these tags (Falco's -t), whatever the files say.
	EnableTags []string
	// DisableTags turns off the rules that have one of these tags (-T).
	DisableTags []string
	// AllEvents also runs rules on the high-volume I/O events that are
	// skipped by default (Falco's -A).
	AllEvents bool
	// EnableAll runs every rule, including those the files disable.
	EnableAll bool
	// AppendOutput adds text and fields to the outputs of the rules each
	// entry matches (Falco's append_output).
	AppendOutput []AppendOutput
	// Select enables and disables rules by name and by tag, in order,
	// after the files and before -D, -T and -t (the rules list of
	// Falco's configuration).
	Select []Selection
	// TimeISO8601 starts outputs with the ISO 8601 time instead of
	// HH:MM:SS.nnnnnnnnn (Falco's time_format_iso_8601).
	TimeISO8601 bool
	// Hostname is the hostname alerts carry.
	Hostname string
	// Sources are the event sources other than syscall whose rules are
	// compiled, each against its own fields; rules of a source not given
	// are skipped with a warning.
	Sources []SourceDef
	// SyscallPlugins are the plugins the syscall source declares for
	// required_plugin_versions; [DefaultSyscallPlugins] when nil.
	SyscallPlugins []rules.PluginVersion
}

// DefaultOptions returns Falco's defaults: first match, every priority.
func DefaultOptions() Options {
	return Options{MinPriority: rules.PriorityDebug}
}

// Check reports combinations Falco refuses.
func (o *Options) Check() error {
	if len(o.EnableTags) > 0 && len(o.Disable)+len(o.DisableTags) > 0 {
		return fmt.Errorf("rules cannot be both disabled (-D/-T) and enabled (-t)")
	}
	return nil
}

// selected reports whether a rule runs under the options, in Falco's
// order: the file's enabled state, then -D, then -T, then -t (which first
// disables every rule), then the minimum priority.
func (o *Options) selected(r *rules.Rule) bool {
	on := r.Enabled || o.EnableAll
	for _, s := range o.Select {
		if s.matches(r) {
			on = s.Enable
		}
	}
	for _, p := range o.Disable {
		if NameMatches(p, r.Name) {
			on = false
		}
	}
	if hasAnyTag(r.Tags, o.DisableTags) {
		on = false
	}
	if len(o.EnableTags) > 0 {
		on = hasAnyTag(r.Tags, o.EnableTags)
	}
	return on && r.Priority <= o.MinPriority
}

// Selection is one entry of Falco's rules configuration list: it enables
// or disables the rules whose whole name matches Rule, where * stands for
// any run of characters, and the rules tagged Tag.
type Selection struct {
	Enable bool
	Rule   string
	Tag    string
}

func (s Selection) matches(r *rules.Rule) bool {
	if s.Rule != "" && wildcard(s.Rule, r.Name) {
		return true
	}
	return s.Tag != "" && hasAnyTag(r.Tags, []string{s.Tag})
}

// NameMatches applies one -D pattern to a rule name, as Falco does: a
// pattern with * or ? is matched against the whole name, * standing for
// any run of characters and ? for one; any other pattern matches the
// names that contain it.
func NameMatches(pattern, name string) bool {
	if strings.ContainsAny(pattern, "*?") {
		return wildcard(pattern, name)
	}
	return strings.Contains(name, pattern)
}

// wildcard matches name against a pattern where * stands for any run of
// characters and ? for one character.
func wildcard(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(n) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == n[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

func hasAnyTag(tags, want []string) bool {
	for _, t := range tags {
		for _, w := range want {
			if t == w {
				return true
			}
		}
	}
	return false
}
