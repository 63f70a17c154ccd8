package filter

// Operator is a comparison operator of a [Check], with its modifier,
// if any: "=", "startswith", "= oneof", "contains allof".
type Operator uint8

// Modifier is how a string operator applies to a list of values: "proc.name
// startswith oneof (a, b)" holds when exactly one value satisfies
// startswith, anyof when at least one does, allof when every one does. An
// empty list satisfies none of them.
type Modifier uint8

// The modifiers.
const (
	ModNone Modifier = iota
	ModOneOf
	ModAnyOf
	ModAllOf
)

var modifierNames = [...]string{ModOneOf: "oneof", ModAnyOf: "anyof", ModAllOf: "allof"}

// String returns the modifier's keyword, or "" for ModNone.
func (m Modifier) String() string {
	if int(m) >= len(modifierNames) {
		return ""
	}
	return modifierNames[m]
}

// modShift is where an Operator keeps its modifier.
const modShift = 5

// The operators. "==" is a spelling of [OpEq].
const (
	OpInvalid Operator = iota
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpContains
	OpIContains
	OpBContains
	OpStartsWith
	OpBStartsWith
	OpEndsWith
	OpGlob
	OpIGlob
	OpRegex
	OpIn
	OpIntersects
	OpPmatch
	OpExists
)

// OperandKind says what an operator takes on its right-hand side.
type OperandKind uint8

// The right-hand sides.
const (
	OperandNone   OperandKind = iota // unary: exists
	OperandNumber                    // a number, or val()/transformer
	OperandString                    // a string, or val()/transformer
	OperandList                      // a list or list name, or val()/transformer
)

type operatorInfo struct {
	text    string
	operand OperandKind
}

// operators is the operator table, indexed by Operator.
var operators = [...]operatorInfo{
	OpInvalid:     {"<invalid>", OperandNone},
	OpEq:          {"=", OperandString},
	OpNe:          {"!=", OperandString},
	OpLt:          {"<", OperandNumber},
	OpLe:          {"<=", OperandNumber},
	OpGt:          {">", OperandNumber},
	OpGe:          {">=", OperandNumber},
	OpContains:    {"contains", OperandString},
	OpIContains:   {"icontains", OperandString},
	OpBContains:   {"bcontains", OperandString},
	OpStartsWith:  {"startswith", OperandString},
	OpBStartsWith: {"bstartswith", OperandString},
	OpEndsWith:    {"endswith", OperandString},
	OpGlob:        {"glob", OperandString},
	OpIGlob:       {"iglob", OperandString},
	OpRegex:       {"regex", OperandString},
	OpIn:          {"in", OperandList},
	OpIntersects:  {"intersects", OperandList},
	OpPmatch:      {"pmatch", OperandList},
	OpExists:      {"exists", OperandNone},
}

// Base returns the operator without its modifier.
func (o Operator) Base() Operator { return o & (1<<modShift - 1) }

// Modifier returns the operator's modifier.
func (o Operator) Modifier() Modifier { return Modifier(o >> modShift) }

// With returns the base operator with the modifier m. Only the operators
// that take one value (=, !=, contains, icontains, bcontains, startswith,
// bstartswith, endswith, glob, iglob, regex) take a modifier.
func (o Operator) With(m Modifier) Operator { return o.Base() | Operator(m)<<modShift }

// String returns the canonical spelling of o: "=", "!= allof".
func (o Operator) String() string {
	b := o.Base()
	if int(b) >= len(operators) {
		return operators[OpInvalid].text
	}
	if m := o.Modifier(); m != ModNone {
		return operators[b].text + " " + m.String()
	}
	return operators[b].text
}

// Operand returns what o takes on its right-hand side: a list for an
// operator with a modifier.
func (o Operator) Operand() OperandKind {
	b := o.Base()
	if int(b) >= len(operators) {
		return OperandNone
	}
	if o.Modifier() != ModNone {
		return OperandList
	}
	return operators[b].operand
}

// lookupOperator returns the operator spelled s.
func lookupOperator(s string) (Operator, bool) {
	if s == "==" {
		return OpEq, true
	}
	for op := OpEq; int(op) < len(operators); op++ {
		if operators[op].text == s {
			return op, true
		}
	}
	return OpInvalid, false
}

// LogicalOp is the operator of a [Binary] expression.
type LogicalOp uint8

// The logical operators.
const (
	And LogicalOp = iota + 1
	Or
)

// String returns "and" or "or".
func (o LogicalOp) String() string {
	if o == Or {
		return "or"
	}
	return "and"
}

// precedence is the binding strength of the logical operators; higher
// binds tighter. Both are left-associative. "not" binds tighter than both.
var precedence = map[string]struct {
	op   LogicalOp
	prec int
}{
	"or":  {Or, 1},
	"and": {And, 2},
}

// keywords cannot be macro names.
var keywords = map[string]bool{"and": true, "or": true, "not": true}
