package filter

import (
	"strconv"
	"strings"
)

// String returns "X and Y" or "X or Y", with parentheses only where the
// tree needs them.
func (b *Binary) String() string {
	x, y := b.X.String(), b.Y.String()
	if xb, ok := b.X.(*Binary); ok && prec(xb.Op) < prec(b.Op) {
		x = "(" + x + ")"
	}
	if yb, ok := b.Y.(*Binary); ok && prec(yb.Op) <= prec(b.Op) {
		y = "(" + y + ")"
	}
	return x + " " + b.Op.String() + " " + y
}

func prec(op LogicalOp) int { return precedence[op.String()].prec }

// String returns "not X", parenthesising X when it is a Binary.
func (n *Not) String() string {
	if _, ok := n.X.(*Binary); ok {
		return "not (" + n.X.String() + ")"
	}
	return "not " + n.X.String()
}

// String returns "left op right", or "left exists".
func (c *Check) String() string {
	s := c.Left.String() + " " + c.Op.String()
	if c.Right != nil {
		s += " " + c.Right.String()
	}
	return s
}

// String returns the macro name.
func (m *MacroRef) String() string { return m.Name }

// String returns the field with its argument, if any.
func (f *Field) String() string { return f.Name + bracketArg(f.Arg, f.HasArg, f.ArgQuoted) }

// bracketArg writes a bracketed argument, quoted when it was or must be.
func bracketArg(arg string, has, quoted bool) string {
	if !has {
		return ""
	}
	if quoted || !isBareArg(arg) {
		arg = quoteValue(arg)
	}
	return "[" + arg + "]"
}

// String returns "name(arg1, arg2)", with the bracketed argument if any.
func (t *Transform) String() string {
	return t.Name + "(" + joinOperands(t.Args) + ")" + bracketArg(t.Arg, t.HasArg, t.ArgQuoted)
}

// String returns "(item1, item2)".
func (l *ArgList) String() string { return "(" + joinOperands(l.Items) + ")" }

func joinOperands(xs []Operand) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

// String returns "val(field)".
func (v *Val) String() string { return "val(" + v.Field.String() + ")" }

// String returns the value bare, or double-quoted when it was quoted or
// could not be read back bare.
func (v *Value) String() string {
	if v.Quoted || !isBareValue(v.Text) {
		return quoteValue(v.Text)
	}
	return v.Text
}

// String returns "(a, b, c)".
func (l *List) String() string {
	parts := make([]string, len(l.Items))
	for i, it := range l.Items {
		parts[i] = it.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// String returns the list name.
func (l *ListRef) String() string { return l.Name }

func isBareValue(s string) bool { return s != "" && allBytes(s, isBareByte) }

func isBareArg(s string) bool { return s != "" && allBytes(s, isArgByte) }

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// valueEscapes are the characters a double-quoted value escapes.
var valueEscapes = strings.NewReplacer(
	`\`, `\\`, `"`, `\"`, "\b", `\b`, "\f", `\f`, "\n", `\n`, "\r", `\r`, "\t", `\t`,
)

// quoteValue returns s as a double-quoted string of the filter language.
func quoteValue(s string) string { return `"` + valueEscapes.Replace(s) + `"` }

// quote returns s quoted for an error message.
func quote(s string) string { return strconv.Quote(s) }
