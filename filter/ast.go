package filter

// Node is any node of the syntax tree. Every node knows its [Span] in the
// source.
type Node interface {
	Span() Span
	// String returns the canonical text of the node, which parses back to
	// an equal tree.
	String() string
}

// Expr is a node that evaluates to true or false: [Binary], [Not],
// [Check] or [MacroRef].
type Expr interface {
	Node
	expr()
}

// Operand is a node that yields a value: a [Field], a [Transform], a
// [Val], a [Value], a [List], a [ListRef] or an [ArgList]. The left-hand
// side of a [Check] is a Field or a Transform; the right-hand side may be
// any operand but a Field or an ArgList, which only stands as an argument
// of a Transform.
type Operand interface {
	Node
	operand()
}

// Binary is "X and Y" or "X or Y". Chains are left-associative:
// "a and b and c" is Binary{And, Binary{And, a, b}, c}.
type Binary struct {
	Loc Span // where the node is in the source
	Op  LogicalOp
	// OpSpan is where the "and" or "or" keyword is.
	OpSpan Span
	X, Y   Expr
}

// Not is "not X".
type Not struct {
	Loc Span // where the node is in the source
	X   Expr
}

// Check compares an operand with a value: "fd.name = /etc/passwd",
// "proc.name in (bash, sh)", "fd.name exists", "proc.name startswith
// anyof (ba, zs)". Right is nil exactly when Op is [OpExists]; it is a
// List or a ListRef when Op has a [Modifier].
type Check struct {
	Loc    Span // where the node is in the source
	Left   Operand
	Op     Operator
	OpSpan Span
	Right  Operand
}

// MacroRef is an identifier standing alone as a condition. In rules it
// names a macro; the checker substitutes the macro's condition.
type MacroRef struct {
	Loc  Span // where the node is in the source
	Name string
}

// Field is a field reference: Name is the dotted name as written
// ("proc.name", "evt.arg.fd", "proc.aname") and Arg the text inside
// brackets ("proc.aname[2]", `proc.env["HOME"]`), unescaped when it was
// quoted. A dotted argument (evt.arg.fd) stays part of Name: only the
// field registry knows where the field name ends.
type Field struct {
	Loc       Span // where the node is in the source
	Name      string
	Arg       string
	HasArg    bool // the field has a [...] argument
	ArgQuoted bool // the argument was a quoted string
	// ArgSpan is the argument's extent inside the brackets, quotes
	// included; zero when there is no argument.
	ArgSpan Span
}

// Transform applies a transformer function to its arguments: tolower,
// toupper, b64, basename and len take one, join a separator and a list,
// concat two or more texts, getopt a list of arguments and an option
// string. An argument is a *Field, a *Transform, a constant (*Value: a
// quoted string or a number) or an *ArgList. A bracketed argument may
// follow the call, as in getopt(proc.args, "nt:")[t].
type Transform struct {
	Loc  Span // where the node is in the source
	Name string
	Args []Operand
	// Arg is the text inside brackets after the call, unescaped when it
	// was quoted; HasArg says there is one.
	Arg       string
	HasArg    bool
	ArgQuoted bool
	ArgSpan   Span // the argument's extent, quotes included
}

// ArgList is a parenthesised list of fields, transforms and constants
// given as an argument to a transformer: the (proc.name, proc.pname) of
// join(",", (proc.name, proc.pname)).
type ArgList struct {
	Loc   Span // where the node is in the source
	Items []Operand
}

// Val is "val(field)" on the right-hand side of a check: the value of
// another field of the same event.
type Val struct {
	Loc   Span // where the node is in the source
	Field *Field
}

// Value is a literal: a bare word (cat, /etc/passwd, 10.0.0.0/8, 42) or a
// quoted string. Text is unescaped.
type Value struct {
	Loc    Span // where the node is in the source
	Text   string
	Quoted bool
}

// List is a parenthesised list of values: "(bash, "sh", 1)" or "()". In
// rules a bare item may name a list, which the checker expands.
type List struct {
	Loc   Span // where the node is in the source
	Items []*Value
}

// ListRef is an identifier standing for a whole list on the right of a
// list operator, as in "proc.name in shell_binaries".
type ListRef struct {
	Loc  Span // where the node is in the source
	Name string
}

// Span returns where the node is in the source.
func (n *Binary) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *Not) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *Check) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *MacroRef) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *Field) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *Transform) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *Val) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *Value) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *List) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *ListRef) Span() Span { return n.Loc }

// Span returns where the node is in the source.
func (n *ArgList) Span() Span { return n.Loc }

func (*Binary) expr()   {}
func (*Not) expr()      {}
func (*Check) expr()    {}
func (*MacroRef) expr() {}

func (*Field) operand()     {}
func (*Transform) operand() {}
func (*Val) operand()       {}
func (*Value) operand()     {}
func (*List) operand()      {}
func (*ListRef) operand()   {}
func (*ArgList) operand()   {}
