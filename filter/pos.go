package filter

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pos is a place in the filter text.
type Pos struct {
	Offset int // byte offset, from 0
	Line   int // line number, from 1
	Column int // column in characters (runes), from 1
}

// String returns "line:column".
func (p Pos) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
}

// Span is the extent of a node: Start is its first character and End is
// just past its last one.
type Span struct {
	Start, End Pos
}

// lineIndex maps byte offsets of a source text to lines and columns.
type lineIndex struct {
	src    string
	starts []int // byte offset of the start of each line
	// runes[i] is the number of runes that start before byte i; nil when
	// src is ASCII, where bytes and runes coincide.
	runes []int32
}

func newLineIndex(src string) lineIndex {
	li := lineIndex{src: src, starts: []int{0}}
	ascii := true
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			li.starts = append(li.starts, i+1)
		}
		ascii = ascii && src[i] < utf8.RuneSelf
	}
	if !ascii {
		li.runes = runePrefix(src)
	}
	return li
}

// runePrefix returns, for each byte offset of src and for len(src), the
// number of runes that start before it.
func runePrefix(src string) []int32 {
	out := make([]int32, len(src)+1)
	n := int32(0)
	for i := 0; i < len(src); {
		_, size := utf8.DecodeRuneInString(src[i:])
		for j := 0; j < size; j++ {
			out[i+j] = n
		}
		n++
		i += size
	}
	out[len(src)] = n
	return out
}

// runesBetween returns the number of runes that start in [from, to).
func (li lineIndex) runesBetween(from, to int) int {
	if li.runes == nil {
		return to - from
	}
	return int(li.runes[to] - li.runes[from])
}

// pos returns the position of the byte at off (off may be len(src)).
func (li lineIndex) pos(off int) Pos {
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	start := li.starts[line]
	return Pos{Offset: off, Line: line + 1, Column: 1 + li.runesBetween(start, off)}
}

// span returns the span of the bytes [from, to).
func (li lineIndex) span(from, to int) Span {
	return Span{Start: li.pos(from), End: li.pos(to)}
}

// lineText returns the text of the given line (from 1) without its line
// end.
func (li lineIndex) lineText(line int) string {
	start := li.starts[line-1]
	end := len(li.src)
	if line < len(li.starts) {
		end = li.starts[line] - 1
	}
	return strings.TrimSuffix(li.src[start:end], "\r")
}

// lineOf is lineText for an index that may have no text (a macro compiled
// from its tree alone): "" then.
func (li lineIndex) lineOf(line int) string {
	if line < 1 || line > len(li.starts) {
		return ""
	}
	return li.lineText(line)
}
