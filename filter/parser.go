package filter

import (
	"sort"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
)

// Limits of the parser, against hostile or broken input.
const (
	maxDepth  = 200 // nesting of parentheses, "not" and transformers
	maxErrors = 20  // errors gathered before the rest is ignored
)

// Parse parses a filter or a rule condition. On success it returns the
// tree and a nil error; otherwise it returns a nil tree and [Errors]
// holding every problem found, in source order, which matches
// [ErrSyntax].
func Parse(src string) (Expr, error) {
	p := &parser{lx: lexer{src: src}, li: newLineIndex(src)}
	x := p.parseFilter()
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Pos.Offset < p.errs[j].Pos.Offset })
		return nil, p.errs
	}
	return x, nil
}

// parser is a recursive-descent parser over a [lexer]. It asks the lexer
// for the next token in the mode the grammar expects at that point.
type parser struct {
	lx    lexer
	li    lineIndex
	off   int // byte offset after the last consumed token
	errs  Errors
	depth int
	fatal bool // nesting limit hit: the rest of the input is ignored

	cached    bool
	cacheOff  int
	cacheMode mode
	cache     token
}

// peek returns the next token in mode m without consuming it.
func (p *parser) peek(m mode) token {
	if p.cached && p.cacheOff == p.off && p.cacheMode == m {
		return p.cache
	}
	t := p.lx.next(p.off, m)
	p.cached, p.cacheOff, p.cacheMode, p.cache = true, p.off, m, t
	return t
}

// take consumes the next token in mode m and reports its lexical errors.
func (p *parser) take(m mode) token {
	t := p.peek(m)
	p.off = t.end
	for _, pr := range t.problems {
		p.errorAt(pr.off, pr.msg)
	}
	return t
}

// errorAt records an error at byte offset off; one per offset.
func (p *parser) errorAt(off int, msg string) {
	if p.fatal || len(p.errs) >= maxErrors {
		return
	}
	for _, e := range p.errs {
		if e.Pos.Offset == off {
			return
		}
	}
	pos := p.li.pos(off)
	p.errs = append(p.errs, &Error{Pos: pos, Msg: msg, Source: p.li.lineText(pos.Line)})
}

// enter counts one level of nesting; past the limit it records an error
// and makes the rest of the input look empty.
func (p *parser) enter() bool {
	p.depth++
	if p.depth <= maxDepth {
		return true
	}
	p.errorAt(p.off, "filter nested too deeply (more than 200 levels)")
	p.fatal, p.off = true, len(p.lx.src)
	return false
}

func (p *parser) leave() { p.depth-- }

// sync skips to the next "and" or "or", to a ")" that may close an open
// group, or to the end, so that parsing can resume after an error.
func (p *parser) sync() {
	nest := 0
	for {
		t := p.peek(modeValue)
		switch {
		case t.kind == tokEOF:
			return
		case t.kind == tokWord && nest == 0 && (t.text == "and" || t.text == "or"):
			return
		case t.is(tokSymbol, "("):
			nest++
		case t.is(tokSymbol, ")") && nest > 0:
			nest--
		case t.is(tokSymbol, ")") && p.depth > 0:
			return
		}
		p.off = t.end
	}
}

func (p *parser) span(from, to int) Span { return p.li.span(from, to) }

// parseFilter parses the whole input.
func (p *parser) parseFilter() Expr {
	if strings.TrimLeft(p.lx.src, " \t\b\r\n\v\f") == "" {
		p.errorAt(len(p.lx.src), "empty filter")
		return nil
	}
	return p.parseSequence(nil)
}

// parseSequence parses an expression up to the end of the input, or up to
// the ")" matching open when open is not nil, recovering from text that
// cannot follow an expression.
func (p *parser) parseSequence(open *token) Expr {
	x := p.parseBinary(1)
	for !p.fatal {
		t := p.peek(modeExpr)
		switch {
		case t.kind == tokEOF:
			if open != nil {
				p.errorAt(t.start, `expected ")" to close the "(" at `+p.li.pos(open.start).String())
			}
			return x
		case t.is(tokSymbol, ")") && open != nil:
			p.take(modeExpr)
			return x
		case t.is(tokSymbol, ")"):
			p.errorAt(t.start, `unexpected ")" without a matching "("`)
			p.take(modeExpr)
		default:
			p.errorAt(t.start, expectedAfterExpr(open != nil)+", found "+t.describe())
			p.take(modeExpr)
			p.sync()
		}
		x = p.parseBinaryRest(x, 1)
	}
	return x
}

func expectedAfterExpr(inGroup bool) string {
	if inGroup {
		return `expected "and", "or" or ")"`
	}
	return `expected "and", "or" or the end of the filter`
}

// parseBinary parses operands joined by logical operators of at least
// precedence minPrec (precedence climbing).
func (p *parser) parseBinary(minPrec int) Expr {
	return p.parseBinaryRest(p.parseUnary(), minPrec)
}

// parseBinaryRest continues a binary expression whose left operand is x.
func (p *parser) parseBinaryRest(x Expr, minPrec int) Expr {
	for {
		t := p.peek(modeExpr)
		info, ok := precedence[t.text]
		if t.kind != tokWord || !ok || info.prec < minPrec {
			return x
		}
		p.take(modeExpr)
		y := p.parseBinary(info.prec + 1)
		if x == nil || y == nil {
			x = nil
			continue
		}
		x = &Binary{
			Loc:    p.span(x.Span().Start.Offset, y.Span().End.Offset),
			Op:     info.op,
			OpSpan: p.span(t.start, t.end),
			X:      x, Y: y,
		}
	}
}

// parseUnary parses "not X" or a primary expression.
func (p *parser) parseUnary() Expr {
	t := p.peek(modeExpr)
	if !t.is(tokWord, "not") {
		return p.parsePrimary()
	}
	p.take(modeExpr)
	if !p.enter() {
		return nil
	}
	defer p.leave()
	x := p.parseUnary()
	if x == nil {
		return nil
	}
	return &Not{Loc: p.span(t.start, x.Span().End.Offset), X: x}
}

// parsePrimary parses a parenthesised expression, a check or a macro
// reference.
func (p *parser) parsePrimary() Expr {
	t := p.peek(modeExpr)
	switch {
	case t.is(tokSymbol, "("):
		return p.parseGroup()
	case t.kind == tokWord && !keywords[t.text]:
		return p.parseWordStart(t)
	}
	p.errorAt(t.start, "expected a condition, found "+t.describe())
	p.sync()
	return nil
}

func (p *parser) parseGroup() Expr {
	open := p.take(modeExpr)
	if !p.enter() {
		return nil
	}
	defer p.leave()
	return p.parseSequence(&open)
}

// parseWordStart parses a condition that starts with a word: a field or
// a transformer followed by an operator, or a macro name.
func (p *parser) parseWordStart(t token) Expr {
	var left Operand
	switch {
	case field.IsTransformer(t.text) && p.opensCall(t):
		left = p.parseCall(t, modeExpr)
	case strings.Contains(t.text, "."):
		f := p.parseField(t)
		if f == nil {
			return nil
		}
		left = f
	default:
		return p.parseMacroRef(t)
	}
	if left == nil {
		p.sync() // skip the rest of the check
		return nil
	}
	return p.parseCheck(left)
}

func (p *parser) parseMacroRef(t token) Expr {
	if !isIdentifier(t.text) {
		p.errorAt(t.start, "expected a condition, found "+t.describe())
		p.take(modeExpr)
		p.sync()
		return nil
	}
	p.take(modeExpr)
	if _, ok := operatorOf(p.peek(modeExpr)); ok {
		p.errorAt(t.start, quote(t.text)+" is not a field name: fields are written class.name, like proc.name")
		p.sync()
		return nil
	}
	return &MacroRef{Loc: p.span(t.start, t.end), Name: t.text}
}

// opensCall reports whether the word t is immediately followed by "(".
func (p *parser) opensCall(t token) bool {
	return t.end < len(p.lx.src) && p.lx.src[t.end] == '('
}

// isIdentifier reports whether s is a letter followed by letters, digits
// and underscores: a macro or list name.
func isIdentifier(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
