// Package engine compiles a rules [rules.Spec] into programs and judges
// events against them.
//
// [Compile] checks and compiles every rule of a spec the way Falco does:
// exceptions become "and not (...)" clauses, lists are put into conditions
// as text (so "proc.name = one_item_list" compares with the item), each
// macro is parsed and compiled once and shared by every condition that
// names it (a reference loop is an error naming the chain), and the output
// is compiled into a format. Work is bounded by the size of the files: a
// list named many times is turned into a set once, and a condition that
// would hold more than [filter.MaxChecks] checks once its macros are
// expanded is an error. Problems are returned as located
// [rules.Diagnostics]: an error inside a macro is reported at its place in
// the macro, not at every rule that names it.
//
// An [Engine] indexes the selected rules by event type, so that an event is
// tested only against the rules that can match it. [Engine.Process] does no
// I/O and allocates nothing when no rule matches; an [alert.Alert] is built
// for each match. One goroutine uses an Engine at a time.
package engine
