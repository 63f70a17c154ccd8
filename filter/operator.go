package filter

// Operator is a comparison operator of a [Check].
type Operator uint8

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

// String returns the canonical spelling of o.
func (o Operator) String() string {
	if int(o) >= len(operators) {
		return operators[OpInvalid].text
	}
	return operators[o].text
}

// Operand returns what o takes on its right-hand side.
func (o Operator) Operand() OperandKind {
	if int(o) >= len(operators) {
		return OperandNone
	}
	return operators[o].operand
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

// transformers are the functions that may wrap a field.
var transformers = map[string]bool{
	"tolower":  true,
	"toupper":  true,
	"b64":      true,
	"basename": true,
	"len":      true,
}

// keywords cannot be macro names.
var keywords = map[string]bool{"and": true, "or": true, "not": true}
