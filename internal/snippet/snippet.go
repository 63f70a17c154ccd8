// Package snippet renders a line of user-written text (a filter, a rules
// file) with a caret under one column, the way Kestrel's located errors
// show where a mistake is:
//
//	12 | condition: proc.name = cat and fd.name =
//	   |                                         ^
package snippet

import (
	"strconv"
	"strings"
)

// Write appends to b a newline, the numbered source line and a caret line
// pointing at column col (1-based, counted in characters). Tabs before the
// column are kept so that the caret lines up.
func Write(b *strings.Builder, line int, source string, col int) {
	num := strconv.Itoa(line)
	b.WriteString("\n " + num + " | " + source + "\n " + strings.Repeat(" ", len(num)) + " | ")
	c := 1
	for _, r := range source {
		if c >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		c++
	}
	b.WriteByte('^')
}
