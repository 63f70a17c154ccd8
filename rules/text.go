package rules

import (
	"unicode"
	"unicode/utf8"
)

// Style is how a scalar was written in YAML.
type Style uint8

// The scalar styles.
const (
	StylePlain        Style = iota // condition: a and b
	StyleSingleQuoted              // condition: 'a and b'
	StyleDoubleQuoted              // condition: "a and b"
	StyleLiteral                   // condition: |
	StyleFolded                    // condition: >
)

// IsBlock reports whether s is a block scalar style (| or >).
func (s Style) IsBlock() bool { return s == StyleLiteral || s == StyleFolded }

// Text is a located string: a condition, output or description. Text
// written in one place has one span; appends add one span each, joined to
// Value by a single space as Falco joins them.
type Text struct {
	Value string
	Spans []Span
}

// Span is the part of a [Text] that came from one YAML scalar.
type Span struct {
	Offset int // byte offset of the span in Text.Value
	Len    int // length in bytes
	// Pos is where the first character of the span's value is in the file.
	// For a block scalar that is the first content line, not the | or >.
	Pos   Pos
	Style Style

	lines []string // the file's lines, for Text.PosAt
}

// Pos returns where the text starts, or the zero Pos for empty text that
// was never written.
func (t Text) Pos() Pos {
	if len(t.Spans) == 0 {
		return Pos{}
	}
	return t.Spans[0].Pos
}

// Block reports whether the text starts with a YAML block scalar.
func (t Text) Block() bool {
	return len(t.Spans) > 0 && t.Spans[0].Style.IsBlock()
}

// PosAt returns the file position of the byte at offset off in Value, for
// locating an error found inside a condition. Folded lines, indentation and
// escapes are accounted for by walking the source alongside the value.
func (t Text) PosAt(off int) Pos {
	for i := len(t.Spans) - 1; i >= 0; i-- {
		s := t.Spans[i]
		if off >= s.Offset {
			rel := off - s.Offset
			if rel > s.Len {
				rel = s.Len
			}
			return s.posAt(t.Value[s.Offset : s.Offset+s.Len][:rel])
		}
	}
	return t.Pos()
}

// posAt walks the source from the span start over the characters of
// prefix and returns the position just after them, at the next character
// of the value.
func (s Span) posAt(prefix string) Pos {
	line, col := s.Pos.Line-1, s.Pos.Column-1 // zero-based; col in runes
	if line < 0 || line >= len(s.lines) {
		return s.Pos
	}
	cur := []rune(s.lines[line])
	next := func() bool { // move to the start of the next line
		if line+1 >= len(s.lines) {
			return false
		}
		line++
		col = 0
		cur = []rune(s.lines[line])
		return true
	}
	for _, r := range prefix {
		if unicode.IsSpace(r) {
			// A space or newline of the value matches one source blank or
			// a line end.
			if col < len(cur) && unicode.IsSpace(cur[col]) {
				col++
			} else if col >= len(cur) && !next() {
				break
			}
			continue
		}
		// Skip blanks, line ends and escape characters until r is found.
		for skipped := 0; ; skipped++ {
			if col >= len(cur) {
				if !next() {
					break
				}
				continue
			}
			if cur[col] == r || skipped > 8 && !unicode.IsSpace(cur[col]) {
				col++
				break
			}
			col++
		}
	}
	// Land on the next significant character.
	for col < len(cur) && unicode.IsSpace(cur[col]) && s.Style != StylePlain {
		col++
	}
	for col >= len(cur) && s.Style.IsBlock() && next() {
		for col < len(cur) && unicode.IsSpace(cur[col]) {
			col++
		}
	}
	return Pos{File: s.Pos.File, Line: line + 1, Column: col + 1}
}

// SourceLine returns the text of line n (from 1) of the file p is in, when
// one of the text's spans came from that file, for rendering a diagnostic
// found inside the text; "" otherwise.
func (t Text) SourceLine(p Pos) string {
	for _, s := range t.Spans {
		if s.Pos.File == p.File && p.Line >= 1 && p.Line <= len(s.lines) {
			return s.lines[p.Line-1]
		}
	}
	return ""
}

// appendText joins b to a with a space, as Falco appends.
func appendText(a, b Text) Text {
	if len(a.Spans) == 0 {
		return b
	}
	out := Text{Value: a.Value + " " + b.Value, Spans: append([]Span(nil), a.Spans...)}
	shift := len(a.Value) + 1
	for _, s := range b.Spans {
		s.Offset += shift
		out.Spans = append(out.Spans, s)
	}
	return out
}

// runeColumn converts a byte index in line into a 1-based character column.
func runeColumn(line string, byteIdx int) int {
	if byteIdx > len(line) {
		byteIdx = len(line)
	}
	return utf8.RuneCountInString(line[:byteIdx]) + 1
}
