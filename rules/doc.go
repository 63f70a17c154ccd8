// Package rules loads Falco rules files into a [Spec].
//
// A rules file is a YAML sequence of items: rule, macro, list,
// required_engine_version and required_plugin_versions. [Load] reads one or
// more files and directories in order, applies Falco's composition rules
// (redefinition, the legacy "append: true" and per-key "override:" with
// append or replace) and returns the resolved lists, macros and rules in the
// order they were first defined. Every item, condition, output and exception
// keeps the file, line and column it came from.
//
// The package compiles nothing: conditions stay strings ([Text]) that carry
// their location, so the filter checker can report an error inside a
// condition at its place in the file. Macro expansion is left to that
// checker; lists inside lists are expanded here, as Falco does at load time.
//
// Problems are gathered, not reported one at a time: [Diagnostics] holds
// every error and warning, each rendered with the offending source line and
// a caret. A problem inside content reached through a YAML alias is
// reported at the alias, once. Loading a file that has errors still yields
// a [Spec] of the items that were valid. Content an alias names is read
// once and its values shared, so aliases cost no more than the text.
//
// The package has no global state and starts no goroutines; a [Loader] is
// used by one goroutine at a time.
package rules
