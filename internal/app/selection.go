package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// ErrNoRules is matched by the error of a run or replay whose rule
// selection leaves no rule to run, or names a tag with -t that no rule
// has. When the selection came from the command line (-t, -D, -T) the
// error also matches [ErrUsage].
var ErrNoRules = errors.New("no rule selected")

// selectionError is a rule selection that selects nothing.
type selectionError struct {
	msg   string
	usage bool
}

func (e *selectionError) Error() string { return e.msg }

func (e *selectionError) Is(target error) bool {
	return target == ErrNoRules || (e.usage && target == ErrUsage)
}

// maxTagsShown bounds the tags an unknown -t tag's error lists.
const maxTagsShown = 20

// checkSelection looks at what the rule selection of o does to the rules
// eng compiled, once compiled. A -t tag that no rule has is an error, and
// so is a selection that leaves no rule to run, whatever the cause (the
// files' enabled flags, the rules configuration, -D, -T, -t, the
// priority): such a run could never alert. A -D pattern or a -T tag that
// matches no rule only leaves rules running, so it is returned as a
// warning. Falco accepts all of these silently; Kestrel reports them at
// start, where a mistyped tag or name is cheap to fix.
func checkSelection(eng *engine.Engine, o engine.Options) (warnings []string, err error) {
	all := eng.Rules()
	flags := len(o.EnableTags)+len(o.Disable)+len(o.DisableTags) > 0
	tags := ruleTags(all)
	for _, t := range o.EnableTags {
		if !tags[t] {
			return nil, &selectionError{usage: true, msg: fmt.Sprintf("-t %s: no rule has this tag%s", t, tagHint(tags))}
		}
	}
	for _, t := range o.DisableTags {
		if !tags[t] {
			warnings = append(warnings, fmt.Sprintf("-T %s: no rule has this tag, so it disables nothing", t))
		}
	}
	for _, p := range o.Disable {
		if !anyNameMatches(p, all) {
			warnings = append(warnings, fmt.Sprintf("-D %s: no rule name matches, so it disables nothing", p))
		}
	}
	if len(eng.Selected()) > 0 {
		return warnings, nil
	}
	if len(all) == 0 {
		return warnings, &selectionError{msg: "no rule to run: the rules files hold no rule of the syscall source"}
	}
	why := []string{"the rules files' enabled flags"}
	if len(o.Select) > 0 {
		why = append(why, "the rules configuration")
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"-D", len(o.Disable)}, {"-T", len(o.DisableTags)}, {"-t", len(o.EnableTags)}} {
		if f.n > 0 {
			why = append(why, f.name)
		}
	}
	if o.MinPriority != rules.PriorityDebug {
		why = append(why, "priority "+strings.ToLower(o.MinPriority.String()))
	}
	return warnings, &selectionError{usage: flags, msg: fmt.Sprintf("no rule to run: %s leave none of the %s loaded",
		joinAnd(why), count(len(all), "rule"))}
}

// ruleTags returns the set of tags of the rules.
func ruleTags(rs []*engine.Rule) map[string]bool {
	tags := map[string]bool{}
	for _, r := range rs {
		for _, t := range r.Spec.Tags {
			tags[t] = true
		}
	}
	return tags
}

// tagHint lists the tags there are, for the error of an unknown one.
func tagHint(tags map[string]bool) string {
	if len(tags) == 0 {
		return " (the rules loaded have no tags)"
	}
	names := make([]string, 0, len(tags))
	for t := range tags {
		names = append(names, t)
	}
	sort.Strings(names)
	more := ""
	if len(names) > maxTagsShown {
		more = fmt.Sprintf(" and %d more ('kestrel rules list' shows every rule's)", len(names)-maxTagsShown)
		names = names[:maxTagsShown]
	}
	return " (the rules loaded have " + strings.Join(names, ", ") + more + ")"
}

// anyNameMatches reports whether a -D pattern matches the name of one of
// the rules, as the engine applies it.
func anyNameMatches(pattern string, rs []*engine.Rule) bool {
	for _, r := range rs {
		if engine.NameMatches(pattern, r.Spec.Name) {
			return true
		}
	}
	return false
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
