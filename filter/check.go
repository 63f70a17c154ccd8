package filter

import (
	"regexp"
	"strings"
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
	open := p.off
	p.off++ // "["
	arg := p.peek(modeArg)
	if arg.kind != tokWord && arg.kind != tokString {
		p.errorAt(arg.start, `expected a field argument after "[", found `+arg.describe())
		p.sync()
		return nil
	}
	p.take(modeArg)
	closing := p.peek(modeArg)
	if !closing.is(tokSymbol, "]") {
		p.errorAt(closing.start, `expected "]" to close the "[" at `+p.li.pos(open).String()+", found "+closing.describe())
		p.sync()
		return nil
	}
	p.take(modeArg)
	f.Arg, f.HasArg, f.ArgQuoted = arg.text, true, arg.kind == tokString
	f.ArgSpan = p.span(arg.start, arg.end)
	f.Loc.End = p.li.pos(closing.end)
	return f
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

// parseCall parses "name(operand)" for a transformer, or "val(field)".
// t is the name, lexed in mode m, and "(" follows it directly.
func (p *parser) parseCall(t token, m mode) Operand {
	p.take(m)
	p.off++ // "("
	if !p.enter() {
		return nil
	}
	defer p.leave()
	x := p.parseCallArg(t.text)
	if x == nil {
		if p.peek(modeExpr).is(tokSymbol, ")") {
			p.take(modeExpr)
		}
		return nil
	}
	closing := p.peek(modeExpr)
	if !closing.is(tokSymbol, ")") {
		p.errorAt(closing.start, `expected ")" to close `+t.text+"(, found "+closing.describe())
		p.sync()
		return nil
	}
	p.take(modeExpr)
	sp := p.span(t.start, closing.end)
	if t.text == "val" {
		return &Val{Loc: sp, Field: x.(*Field)}
	}
	return &Transform{Loc: sp, Name: t.text, X: x}
}

// parseCallArg parses the argument of the call named name: a field, or
// for a transformer also a nested transformer.
func (p *parser) parseCallArg(name string) Operand {
	t := p.peek(modeExpr)
	switch {
	case t.kind == tokWord && name != "val" && transformers[t.text] && p.opensCall(t):
		return p.parseCall(t, modeExpr)
	case t.kind == tokWord && strings.Contains(t.text, "."):
		if f := p.parseField(t); f != nil {
			return f
		}
		return nil
	}
	what := "a field or a transformer"
	if name == "val" {
		what = "a field"
	}
	p.errorAt(t.start, "expected "+what+" inside "+name+"(), found "+t.describe())
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
	if op != OpExists {
		if c.Right = p.parseRight(op); c.Right == nil {
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

// parseRight parses the right-hand side of op.
func (p *parser) parseRight(op Operator) Operand {
	t := p.peek(modeValue)
	if t.kind == tokWord && (transformers[t.text] || t.text == "val") && p.opensCall(t) {
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
