package filter

import (
	"strings"
	"unicode/utf8"
)

// tokenKind classifies a token.
type tokenKind uint8

const (
	tokEOF     tokenKind = iota
	tokWord              // identifier, field name, keyword or operator word; a bare value in value mode
	tokString            // quoted string; text is the unescaped value
	tokSymbol            // ( ) , = == != < <= > >= ]
	tokInvalid           // a character that starts no token
)

// token is one lexeme. start and end are byte offsets into the source.
type token struct {
	kind       tokenKind
	text       string
	start, end int
	problems   []problem // lexical errors inside the token, reported when it is consumed
}

// problem is a lexical error at a byte offset.
type problem struct {
	off int
	msg string
}

func (t token) is(kind tokenKind, text string) bool { return t.kind == kind && t.text == text }

// describe names the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return "string " + quote(t.text)
	case tokInvalid:
		if isBlank(t.text[0]) {
			return "a blank"
		}
	}
	return quote(t.text)
}

// mode is the lexer state the parser asks for: the same characters form
// different tokens in different places of a filter.
type mode uint8

const (
	modeExpr  mode = iota // conditions: words, symbols, strings
	modeValue             // right-hand sides: bare values, strings, ( ) ,
	modeArg               // inside a field's [ ]: bare argument or string
)

// lexer scans one token at a time from src in the mode it is given.
type lexer struct {
	src string
}

// stateFn scans one token starting at off, which is not a blank.
type stateFn func(l lexer, off int) token

// states maps each mode to the function that scans its tokens.
var states = [...]stateFn{
	modeExpr:  lexExpr,
	modeValue: lexValue,
	modeArg:   lexArg,
}

// next returns the token that starts at or after off. Blanks are skipped,
// except in modeArg, where the argument starts right after "[".
func (l lexer) next(off int, m mode) token {
	if m != modeArg {
		off = l.skipBlanks(off)
	}
	if off >= len(l.src) {
		return token{kind: tokEOF, start: off, end: off}
	}
	return states[m](l, off)
}

func isBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\b', '\r', '\n', '\v', '\f':
		return true
	}
	return false
}

func (l lexer) skipBlanks(off int) int {
	for off < len(l.src) && isBlank(l.src[off]) {
		off++
	}
	return off
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// lexExpr scans a token of a condition.
func lexExpr(l lexer, off int) token {
	c := l.src[off]
	switch {
	case c == '"' || c == '\'':
		return l.lexString(off)
	case isWordByte(c):
		return l.lexRun(off, isWordByte)
	}
	if t, ok := l.lexSymbol(off); ok {
		return t
	}
	_, size := utf8.DecodeRuneInString(l.src[off:])
	return token{kind: tokInvalid, text: l.src[off : off+size], start: off, end: off + size}
}

// lexSymbol scans punctuation and the comparison symbols, longest first.
func (l lexer) lexSymbol(off int) (token, bool) {
	for _, s := range [...]string{"==", "!=", "<=", ">=", "=", "<", ">", "(", ")", ",", "[", "]"} {
		if strings.HasPrefix(l.src[off:], s) {
			return token{kind: tokSymbol, text: s, start: off, end: off + len(s)}, true
		}
	}
	return token{}, false
}

// lexValue scans a token of a right-hand side: a string, a bare value, or
// one of ( ) , =.
func lexValue(l lexer, off int) token {
	switch c := l.src[off]; c {
	case '"', '\'':
		return l.lexString(off)
	case '(', ')', ',', '=':
		return token{kind: tokSymbol, text: string(c), start: off, end: off + 1}
	}
	return l.lexRun(off, isBareByte)
}

// isBareByte reports whether c may appear in an unquoted value.
func isBareByte(c byte) bool {
	switch c {
	case '(', ')', ',', '=', '"', '\'':
		return false
	}
	return !isBlank(c)
}

// lexArg scans the argument inside a field's brackets.
func lexArg(l lexer, off int) token {
	switch c := l.src[off]; {
	case c == '"' || c == '\'':
		return l.lexString(off)
	case c == ']':
		return token{kind: tokSymbol, text: "]", start: off, end: off + 1}
	case isArgByte(c):
		return l.lexRun(off, isArgByte)
	}
	_, size := utf8.DecodeRuneInString(l.src[off:])
	return token{kind: tokInvalid, text: l.src[off : off+size], start: off, end: off + size}
}

// isArgByte reports whether c may appear in an unquoted field argument.
func isArgByte(c byte) bool {
	switch c {
	case '[', ']', '"', '\'':
		return false
	}
	return !isBlank(c)
}

// lexRun scans the longest run of bytes accepted by ok as a word.
func (l lexer) lexRun(off int, ok func(byte) bool) token {
	end := off
	for end < len(l.src) && ok(l.src[end]) {
		end++
	}
	return token{kind: tokWord, text: l.src[off:end], start: off, end: end}
}

// lexString scans a quoted string with Falco's escapes: \b \f \n \r \t,
// \\ and "\ " (both a backslash), \/, and the escaped delimiter \" or \'.
// Any other escape, and the other quote escaped, is reported.
func (l lexer) lexString(off int) token {
	delim := l.src[off]
	var b strings.Builder
	t := token{kind: tokString, start: off}
	i := off + 1
	for i < len(l.src) {
		c := l.src[i]
		if c == delim {
			t.text, t.end = b.String(), i+1
			return t
		}
		if c != '\\' || i+1 >= len(l.src) {
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(l.src[i+1:])
		if r >= utf8.RuneSelf {
			t.problems = append(t.problems, problem{off: i, msg: `unsupported escape sequence \` + l.src[i+1:i+1+size]})
		} else if e, msg := unescape(byte(r), delim); msg != "" {
			t.problems = append(t.problems, problem{off: i, msg: msg})
		} else {
			b.WriteByte(e)
		}
		i += 1 + size
	}
	t.text, t.end = b.String(), len(l.src)
	t.problems = append(t.problems, problem{off: off, msg: "unterminated string: missing closing " + string(delim)})
	return t
}

// unescape returns the byte an escape sequence \c stands for in a string
// delimited by delim, or a message when the escape is not allowed.
func unescape(c, delim byte) (byte, string) {
	switch c {
	case 'b':
		return '\b', ""
	case 'f':
		return '\f', ""
	case 'n':
		return '\n', ""
	case 'r':
		return '\r', ""
	case 't':
		return '\t', ""
	case '\\', ' ':
		return '\\', ""
	case '/':
		return '/', ""
	case '"', '\'':
		if c != delim {
			return 0, `invalid escape \` + string(c) + " in a " + string(delim) + "-quoted string"
		}
		return c, ""
	}
	return 0, `unsupported escape sequence \` + string(rune(c))
}
