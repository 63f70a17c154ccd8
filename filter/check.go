package filter

import (
	"regexp"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
)

// parseField parses a field name (the word t) and an optional [argument]
// right after it.
func (p *parser) parseField(t token) *Field {
	if msg := checkFieldName(t.text); msg != "" {
		p.errorAt(t.start, msg)
		p.take(modeExpr)
		p.sync()
		return nil
	}
	p.take(modeExpr)
	f := &Field{Loc: p.span(t.start, t.end), Name: t.text}
	if p.off < len(p.lx.src) && p.lx.src[p.off] == '[' {
		return p.parseFieldArg(f)
	}
	return f
}

// parseFieldArg parses "[arg]" after the field f.
func (p *parser) parseFieldArg(f *Field) *Field {
	arg, ok := p.parseBracketArg()
	if !ok {
		return nil
	}
	f.Arg, f.HasArg, f.ArgQuoted = arg.text, true, arg.kind == tokString
	f.ArgSpan = p.span(arg.start, arg.end)
	f.Loc.End = p.li.pos(p.off)
	return f
}

// parseBracketArg parses "[arg]" at p.off and returns the argument's
// token.
func (p *parser) parseBracketArg() (token, bool) {
	open := p.off
	p.off++ // "["
	arg := p.peek(modeArg)
	if arg.kind != tokWord && arg.kind != tokString {
		p.errorAt(arg.start, `expected a field argument after "[", found `+arg.describe())
		p.sync()
		return token{}, false
	}
	p.take(modeArg)
	closing := p.peek(modeArg)
	if !closing.is(tokSymbol, "]") {
		p.errorAt(closing.start, `expected "]" to close the "[" at `+p.li.pos(open).String()+", found "+closing.describe())
		p.sync()
		return token{}, false
	}
	p.take(modeArg)
	return arg, true
}

// checkFieldName returns a message when name is not of the form
// class.name{.name}, each part a letter followed by letters, digits or
// underscores.
func checkFieldName(name string) string {
	parts := strings.Split(name, ".")
	for i, part := range parts {
		if isIdentifier(part) {
			continue
		}
		msg := "invalid field name " + quote(name)
		if i > 1 && part != "" && allBytes(part, isDigit) {
			msg += ": write the argument in brackets, like " + strings.Join(parts[:i], ".") + "[" + part + "]"
		}
		return msg
	}
	return ""
}

// parseCall parses "name(arg, ...)" for a transformer, with the
// bracketed argument that may follow, or "val(field)". t is the name,
// lexed in mode m, and "(" follows it directly.
func (p *parser) parseCall(t token, m mode) Operand {
	p.take(m)
	p.off++ // "("
	if !p.enter() {
		return nil
	}
	defer p.leave()
	var args []Operand
	for {
		x := p.parseCallArg(t.text)
		if x == nil {
			if p.peek(modeExpr).is(tokSymbol, ")") {
				p.take(modeExpr)
			}
			return nil
		}
		args = append(args, x)
		if t.text == "val" || !p.peek(modeExpr).is(tokSymbol, ",") {
			break
		}
		p.take(modeExpr)
	}
	closing := p.peek(modeExpr)
	if !closing.is(tokSymbol, ")") {
		want := `expected ")" to close `
		if t.text != "val" {
			want = `expected "," or ")" to close `
		}
		p.errorAt(closing.start, want+t.text+"(, found "+closing.describe())
		p.sync()
		return nil
	}
	p.take(modeExpr)
	sp := p.span(t.start, closing.end)
	if t.text == "val" {
		if p.off < len(p.lx.src) && p.lx.src[p.off] == '[' {
			p.errorAt(p.off, "val() takes no argument in brackets")
			p.sync()
			return nil
		}
		return &Val{Loc: sp, Field: args[0].(*Field)}
	}
	x := &Transform{Loc: sp, Name: t.text, Args: args}
	if p.off < len(p.lx.src) && p.lx.src[p.off] == '[' {
		arg, ok := p.parseBracketArg()
		if !ok {
			return nil
		}
		x.Arg, x.HasArg, x.ArgQuoted, x.ArgSpan = arg.text, true, arg.kind == tokString, p.span(arg.start, arg.end)
		x.Loc.End = p.li.pos(p.off)
	}
	return x
}

// parseCallArg parses an argument of the call named name: for val() a
// field; for a transformer a number, a quoted string, a list of
// arguments, a transformer call or a field, as libsinsp tries them.
func (p *parser) parseCallArg(name string) Operand {
	if name != "val" {
		if v := p.parseNumberArg(); v != nil {
			return v
		}
	}
	t := p.peek(modeExpr)
	switch {
	case name != "val" && t.kind == tokString:
		p.take(modeExpr)
		return &Value{Loc: p.span(t.start, t.end), Text: t.text, Quoted: true}
	case name != "val" && t.is(tokSymbol, "("):
		return p.parseArgList()
	case t.kind == tokWord && name != "val" && field.IsTransformer(t.text) && p.opensCall(t):
		return p.parseCall(t, modeExpr)
	case t.kind == tokWord && strings.Contains(t.text, "."):
		if f := p.parseField(t); f != nil {
			return f
		}
		return nil
	}
	what := "a field, a transformer, a quoted string, a number or a list"
	if name == "val" {
		what = "a field"
	}
	p.errorAt(t.start, "expected "+what+" inside "+name+"(), found "+t.describe())
	p.sync()
	return nil
}

// numberPrefixRE is a number as libsinsp reads one where a transformer's
// argument may be: 0x and hexadecimal digits, or a signed decimal with an
// optional fraction and exponent.
var numberPrefixRE = regexp.MustCompile(`^(?:0[xX][0-9a-fA-F]+|[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?)`)

// parseNumberArg parses the number that starts at the next token, if
// any, as a constant; the number ends where libsinsp's ends, whatever
// follows it.
func (p *parser) parseNumberArg() *Value {
	start := p.lx.skipBlanks(p.off)
	n := len(numberPrefixRE.FindString(p.lx.src[start:]))
	if n == 0 {
		return nil
	}
	p.off = start + n
	return &Value{Loc: p.span(start, start+n), Text: p.lx.src[start : start+n]}
}

// parseArgList parses "(item, ...)" or "()" as an argument of a
// transformer; an item is a field, a transformer call, a quoted string or
// a number.
func (p *parser) parseArgList() Operand {
	open := p.take(modeExpr)
	if !p.enter() {
		return nil
	}
	defer p.leave()
	l := &ArgList{Items: []Operand{}}
	if t := p.peek(modeExpr); t.is(tokSymbol, ")") {
		p.take(modeExpr)
		l.Loc = p.span(open.start, t.end)
		return l
	}
	for {
		x := p.parseArgListItem()
		if x == nil {
			return nil
		}
		l.Items = append(l.Items, x)
		t := p.peek(modeExpr)
		switch {
		case t.is(tokSymbol, ","):
			p.take(modeExpr)
			continue
		case t.is(tokSymbol, ")"):
			p.take(modeExpr)
			l.Loc = p.span(open.start, t.end)
			return l
		}
		p.errorAt(t.start, `expected "," or ")" to close the list at `+p.li.pos(open.start).String()+", found "+t.describe())
		p.sync()
		return nil
	}
}

func (p *parser) parseArgListItem() Operand {
	t := p.peek(modeExpr)
	switch {
	case t.kind == tokWord && strings.Contains(t.text, ".") && !numberPrefixRE.MatchString(t.text):
		if f := p.parseField(t); f != nil {
			return f
		}
		return nil
	case t.kind == tokWord && field.IsTransformer(t.text) && p.opensCall(t):
		return p.parseCall(t, modeExpr)
	case t.kind == tokString:
		p.take(modeExpr)
		return &Value{Loc: p.span(t.start, t.end), Text: t.text, Quoted: true}
	}
	if v := p.parseNumberArg(); v != nil {
		return v
	}
	p.errorAt(t.start, "expected a field, a transformer, a quoted string or a number in the list, found "+t.describe())
	p.sync()
	return nil
}

// operatorOf returns the comparison operator the token spells, if any.
func operatorOf(t token) (Operator, bool) {
	if t.kind != tokWord && t.kind != tokSymbol {
		return OpInvalid, false
	}
	return lookupOperator(t.text)
}

// parseCheck parses the operator and right-hand side after left.
func (p *parser) parseCheck(left Operand) Expr {
	t := p.peek(modeExpr)
	op, ok := operatorOf(t)
	if !ok {
		p.errorAt(t.start, p.badOperator(left, t))
		p.sync()
		return nil
	}
	p.take(modeExpr)
	c := &Check{Left: left, Op: op, OpSpan: p.span(t.start, t.end)}
	end := t.end
	if m, ok := p.modifier(op); ok {
		c.Op = op.With(m)
	}
	if op != OpExists {
		if c.Right = p.parseRight(c.Op); c.Right == nil {
			return nil
		}
		end = c.Right.Span().End.Offset
	}
	c.Loc = p.span(left.Span().Start.Offset, end)
	return c
}

// badOperator explains why t is not an operator after left.
func (p *parser) badOperator(left Operand, t token) string {
	if t.kind == tokWord && !keywords[t.text] {
		return "unknown operator " + quote(t.text)
	}
	return "expected an operator after " + quote(left.String()) + ", found " + t.describe()
}

// modifier reads the modifier that may follow a string operator, as
// libsinsp does: a blank, the keyword, a blank, and then the start of a
// list, "(" or an identifier other than "and", "or" and "not". Otherwise
// the keyword is a plain value ("proc.name = oneof").
func (p *parser) modifier(op Operator) (Modifier, bool) {
	src := p.lx.src
	if op.Operand() != OperandString || p.off >= len(src) || !isBlank(src[p.off]) {
		return ModNone, false
	}
	i := p.lx.skipBlanks(p.off)
	for m := ModOneOf; m <= ModAllOf; m++ {
		kw := m.String()
		j := i + len(kw)
		if !strings.HasPrefix(src[i:], kw) || j >= len(src) || !isBlank(src[j]) {
			continue
		}
		k := p.lx.skipBlanks(j)
		if k >= len(src) || src[k] != '(' && !isLetter(src[k]) || logicalWordAt(src[k:]) {
			return ModNone, false
		}
		p.off = j
		return m, true
	}
	return ModNone, false
}

// logicalWordAt reports whether s starts with "and", "or" or "not" not
// followed by a letter or a digit.
func logicalWordAt(s string) bool {
	for _, kw := range [...]string{"and", "or", "not"} {
		if strings.HasPrefix(s, kw) && (len(s) == len(kw) || !isLetter(s[len(kw)]) && !isDigit(s[len(kw)])) {
			return true
		}
	}
	return false
}

// parseRight parses the right-hand side of op.
func (p *parser) parseRight(op Operator) Operand {
	t := p.peek(modeValue)
	if op.Modifier() == ModNone && t.kind == tokWord && (field.IsTransformer(t.text) || t.text == "val") && p.opensCall(t) {
		return p.parseCall(t, modeValue)
	}
	switch op.Operand() {
	case OperandNumber:
		return p.parseNumber(op, t)
	case OperandList:
		return p.parseListOrRef(op, t)
	}
	return p.parseString(op, t)
}

// numberRE is the syntax of numeric values: decimal with optional
// fraction and exponent, or hexadecimal.
var numberRE = regexp.MustCompile(`^(?:[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?|0[xX][0-9a-fA-F]+)$`)

func (p *parser) parseNumber(op Operator, t token) Operand {
	if t.kind != tokWord || !numberRE.MatchString(t.text) {
		p.errorAt(t.start, "expected a number after "+quote(op.String())+", found "+t.describe())
		p.sync()
		return nil
	}
	p.take(modeValue)
	return &Value{Loc: p.span(t.start, t.end), Text: t.text}
}

func (p *parser) parseString(op Operator, t token) Operand {
	if t.kind != tokWord && t.kind != tokString {
		p.errorAt(t.start, "expected a value after "+quote(op.String())+", found "+t.describe())
		p.sync()
		return nil
	}
	p.take(modeValue)
	return &Value{Loc: p.span(t.start, t.end), Text: t.text, Quoted: t.kind == tokString}
}

func (p *parser) parseListOrRef(op Operator, t token) Operand {
	switch {
	case t.is(tokSymbol, "("):
		return p.parseList()
	case t.kind == tokWord && isIdentifier(t.text):
		p.take(modeValue)
		return &ListRef{Loc: p.span(t.start, t.end), Name: t.text}
	}
	p.errorAt(t.start, "expected a list after "+quote(op.String())+", like (a, b), found "+t.describe())
	p.sync()
	return nil
}

// parseList parses "(v1, v2, ...)" or "()".
func (p *parser) parseList() Operand {
	open := p.take(modeValue)
	l := &List{Items: []*Value{}}
	ok := true
	if t := p.peek(modeValue); t.is(tokSymbol, ")") {
		p.take(modeValue)
		l.Loc = p.span(open.start, t.end)
		return l
	}
	for {
		item, good := p.parseListItem(open)
		if item != nil {
			l.Items = append(l.Items, item)
		}
		ok = ok && good
		t := p.peek(modeValue)
		if !t.is(tokSymbol, ",") && !t.is(tokSymbol, ")") && t.kind != tokEOF {
			p.errorAt(t.start, `expected "," or ")" in the list, found `+t.describe())
			ok = false
			p.skipListItem()
			t = p.peek(modeValue)
		}
		switch {
		case t.is(tokSymbol, ","):
			p.take(modeValue)
			continue
		case t.is(tokSymbol, ")"):
			p.take(modeValue)
			l.Loc = p.span(open.start, t.end)
			if !ok {
				return nil
			}
			return l
		}
		p.errorAt(t.start, `expected ")" to close the list at `+p.li.pos(open.start).String())
		return nil
	}
}

// parseListItem parses one value of a list; on error it skips to the
// next "," or ")".
func (p *parser) parseListItem(open token) (*Value, bool) {
	t := p.peek(modeValue)
	switch {
	case t.kind == tokWord || t.kind == tokString:
		p.take(modeValue)
		return &Value{Loc: p.span(t.start, t.end), Text: t.text, Quoted: t.kind == tokString}, true
	case t.is(tokSymbol, ")"):
		p.errorAt(t.start, `expected a value after ",": a list has no trailing comma`)
		return nil, false
	case t.kind == tokEOF:
		p.errorAt(t.start, `expected ")" to close the list at `+p.li.pos(open.start).String())
		return nil, false
	}
	p.errorAt(t.start, "expected a value in the list, found "+t.describe())
	p.skipListItem()
	return nil, false
}

// skipListItem skips to the next "," or ")" or the end.
func (p *parser) skipListItem() {
	for {
		t := p.peek(modeValue)
		if t.kind == tokEOF || t.is(tokSymbol, ",") || t.is(tokSymbol, ")") {
			return
		}
		p.off = t.end
	}
}
