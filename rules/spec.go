package rules

import (
	"fmt"
	"strings"
)

// EngineVersion is the version of the rules engine Kestrel implements, in
// Falco's numbering: that of Falco 0.44 (FALCO_ENGINE_VERSION in
// userspace/engine/falco_engine_version.h), whose rules language Kestrel
// reads. A file whose required_engine_version is newer is refused.
const EngineVersion = "0.62.0"

// SyscallSource is the event source a rule has when it names none.
const SyscallSource = "syscall"

// Pos is a place in a rules file. Line and Column count from 1; Column
// counts characters, not bytes.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String returns "file:line:column", or only the file when there is no
// line.
func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// IsValid reports whether p names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Spec is the content of one or more rules files after every definition,
// append and override has been applied. Lists, Macros and Rules are in the
// order each name was first defined; a later redefinition keeps that place.
type Spec struct {
	Files  []string // files read, in order
	Lists  []*List
	Macros []*Macro
	Rules  []*Rule

	// RequiredEngineVersion is the highest required_engine_version of the
	// files, or nil when none gives one.
	RequiredEngineVersion *EngineRequirement
	// RequiredPlugins holds each required_plugin_versions entry in order.
	RequiredPlugins []PluginRequirement

	lists  map[string]*List
	macros map[string]*Macro
	rules  map[string]*Rule
}

func newSpec() *Spec {
	return &Spec{
		lists:  map[string]*List{},
		macros: map[string]*Macro{},
		rules:  map[string]*Rule{},
	}
}

// List returns the list with the given name, or nil.
func (s *Spec) List(name string) *List { return s.lists[name] }

// Macro returns the macro with the given name, or nil.
func (s *Spec) Macro(name string) *Macro { return s.macros[name] }

// Rule returns the rule with the given name, or nil.
func (s *Spec) Rule(name string) *Rule { return s.rules[name] }

// Order tells where an item stands in the sequence of definitions, for the
// visibility rules Falco applies: a list inside a list, or a macro inside a
// macro, refers only to items whose Index is lower than the referrer's
// Visibility.
type Order struct {
	// Index is the sequence number of the first definition of the name.
	Index int
	// Visibility is the sequence number of the latest definition or append.
	Visibility int
}

// List is a named list of values.
type List struct {
	Name string
	// Items are the values as written, after appends.
	Items []Value
	// Expanded are the values with every item that names an earlier list
	// replaced by that list's items (one level, as Falco does).
	Expanded []string
	// UsesLists names the lists expanded into this one.
	UsesLists []string
	Pos       Pos   // the item that last defined the list
	Updates   []Pos // items that appended to or replaced it since
	Order
}

// Value is one located scalar.
type Value struct {
	Value string
	Pos   Pos
}

// Macro is a named condition fragment.
type Macro struct {
	Name      string
	Condition Text
	// UsesMacros and UsesLists name the macros and lists the condition
	// mentions, in order of first mention. Only macros visible to this one
	// (see [Order]) are listed.
	UsesMacros []string
	UsesLists  []string
	Pos        Pos
	Updates    []Pos
	Order
}

// Rule is a resolved rule.
type Rule struct {
	Name      string
	Desc      Text
	Condition Text
	Output    Text
	Priority  Priority
	Source    string // SyscallSource unless the file names another
	Enabled   bool
	Tags      []string // in order written, without duplicates
	// Exceptions in order; each becomes "and not (...)" on the condition.
	Exceptions          []Exception
	WarnEvttypes        bool
	SkipIfUnknownFilter bool
	Capture             bool
	CaptureDuration     uint64 // milliseconds; 0 means the configured default

	// UsesMacros and UsesLists name what the condition and exception values
	// mention, in order of first mention.
	UsesMacros []string
	UsesLists  []string
	Pos        Pos
	Updates    []Pos
	Order
}

// Exception is one entry of a rule's exceptions.
type Exception struct {
	Name string
	Pos  Pos
	// Single is true for the single-field form (fields: proc.name), where
	// Fields and Comps have one element and each value has one item.
	Single bool
	Fields []string
	// FieldPos is where each field is written; the exception's Pos for
	// fields an append took from the exception it extends.
	FieldPos []Pos
	// Comps has one operator per field: "=" by default in the tuple form,
	// "in" in the single-field form.
	Comps  []string
	Values []ExceptionValue
}

// ExceptionValue is one entry of an exception's values: a tuple with one
// item per field, or in the single-field form one item.
type ExceptionValue struct {
	Pos   Pos
	Items []ExceptionItem
}

// ExceptionItem is a scalar (Value) or, for list operators such as "in", a
// list of scalars (List, with IsList set).
type ExceptionItem struct {
	Value  string
	List   []string
	IsList bool
}

// EngineRequirement is a required_engine_version item.
type EngineRequirement struct {
	Version string // as x.y.z
	Pos     Pos
}

// PluginRequirement is one entry of required_plugin_versions: the plugin
// and the alternatives that also satisfy it.
type PluginRequirement struct {
	Name         string
	Version      string
	Alternatives []PluginVersion
	Pos          Pos
}

// PluginVersion is a plugin name and minimum version.
type PluginVersion struct {
	Name    string
	Version string
}

// Priority is a rule priority; lower values are more severe.
type Priority int8

// The priorities, most severe first.
const (
	PriorityEmergency Priority = iota
	PriorityAlert
	PriorityCritical
	PriorityError
	PriorityWarning
	PriorityNotice
	PriorityInformational
	PriorityDebug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// String returns Falco's name for p, e.g. "Warning".
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return fmt.Sprintf("Priority(%d)", int8(p))
	}
	return priorityNames[p]
}

// ParsePriority parses a priority name in any letter case; "info" is
// accepted for Informational.
func ParsePriority(s string) (Priority, bool) {
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), true
		}
	}
	if strings.EqualFold(s, "info") {
		return PriorityInformational, true
	}
	return 0, false
}
