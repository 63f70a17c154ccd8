// Package engine compiles a rules [rules.Spec] into programs and judges
// events against them.
//
// [Compile] checks and compiles every rule of a spec the way Falco does:
// each macro is parsed once and substituted where it is named, lists are
// expanded, exceptions become "and not (...)" clauses, and the output is
// compiled into a format. Problems are returned as located
// [rules.Diagnostics]: an error inside a macro is reported at its place in
// the macro, not at every rule that names it.
//
// An [Engine] indexes the selected rules by event type, so that an event is
// tested only against the rules that can match it. [Engine.Process] does no
// I/O and allocates nothing when no rule matches; an [alert.Alert] is built
// for each match. One goroutine uses an Engine at a time.
package engine
