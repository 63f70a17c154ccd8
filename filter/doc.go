// Package filter is the front end of the filter language shared by Falco
// rule conditions and sysdig command-line filters.
//
// [Parse] turns a filter string into an [Expr] tree whose every node knows
// where it came from ([Span]), or returns [Errors]: every problem found,
// each with line, column and a rendered snippet with a caret under the
// offending text.
//
// The grammar is that of Falco's condition language:
//
//	expr      = or
//	or        = and { "or" and }               (left-associative)
//	and       = not { "and" not }              (left-associative)
//	not       = "not" not | primary
//	primary   = "(" expr ")" | check | macro
//	check     = operand "exists"
//	          | operand numop  ( number | rhs-call )
//	          | operand strop  ( string | bare | rhs-call )
//	          | operand strop blank modifier blank ( list | identifier )
//	          | operand listop ( list | identifier | rhs-call )
//	modifier  = "oneof" | "anyof" | "allof"
//	operand   = field | call
//	call      = transformer "(" arg { "," arg } ")" [ "[" ( string | bare ) "]" ]
//	arg       = number | string | "(" [ item { "," item } ] ")" | call | field
//	item      = field | call | string | number
//	rhs-call  = "val(" field ")" | call
//	field     = class "." name { "." name } [ "[" ( string | bare ) "]" ]
//	list      = "(" [ value { "," value } ] ")"
//
// The transformers are tolower, toupper, b64, basename, len, join, concat
// and getopt; their meaning is the field registry's ([field.Value]), so
// that outputs and conditions agree. A modifier keyword not followed by a
// list (or followed by "and", "or" or "not") is a plain value, as in
// libsinsp.
//
// Precedence is not > and > or. The parser does not know which fields,
// macros or lists exist: a field keeps its dotted name and the raw text of
// a bracketed argument, a lone identifier is a [MacroRef], and the bare
// words of a [List] and a [ListRef] may name lists. A checker resolves
// those names against the field registry and the rules' macros and lists,
// and a compiler walks the checked tree ([Walk], [Inspect]).
//
// With rules, a [Cache] compiles each macro once and shares it between
// the conditions that name it, and builds the sets of each list once.
//
// The package has no mutable global state (its tables of event names are
// built once and only read); parsing is safe from many goroutines at once.
package filter
