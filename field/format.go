package field

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is a compiled output format such as "%evt.num %evt.type
// %proc.name": literal text with fields to fill in, as sysdig's -p and
// Falco's rule outputs write it. A placeholder may also be a transformer
// applied to fields ("%tolower(proc.name)"), and may start with a width
// ("%10proc.name").
type Format struct {
	segs []segment
	// all is set by a leading '*': print the line even when a field has
	// no value (shown as <NA>); otherwise such events are not printed.
	all  bool
	keys []int // indexes of field segments in JSON key order, one per name
	tmp  []byte
}

type segment struct {
	lit  string
	def  *Def
	arg  *Arg
	val  *Value // a transformer placeholder
	key  string // the field as written, e.g. "evt.arg[0]"
	jkey string // key as a quoted JSON string and a colon, for AppendJSON
	// width, when not 0, is the width the value is printed in: cut to it
	// or padded with blanks.
	width int
	// hidden marks a field inside a transformer placeholder: it has a
	// JSON key, as in libsinsp, but prints nothing in the text.
	hidden bool
}

// FormatError locates a mistake in a format: Col is the 1-based column of
// the '%' that starts the bad field.
type FormatError struct {
	Format string
	Col    int
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("column %d: %v\n  %s\n  %s^", e.Col, e.Err, e.Format, strings.Repeat(" ", e.Col-1))
}

func (e *FormatError) Unwrap() error { return e.Err }

// NA is what a field with no value prints as.
const NA = "<NA>"

// maxWidth bounds the width of a placeholder.
const maxWidth = 1 << 16

// CompileFormat parses a format. Fields are introduced by '%'; "%%" is a
// literal percent sign. A leading '*' prints events whose fields are not
// all available. Digits after the '%' give the width the value is
// printed in. A transformer placeholder's value prints in the text; in
// JSON, as in Falco's output fields and sysdig's -j, it has no key, and
// the fields inside it have theirs.
func (r *Registry) CompileFormat(s string) (*Format, error) {
	f := &Format{}
	orig := s
	if strings.HasPrefix(s, "*") {
		f.all, s = true, s[1:]
	}
	var lit strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i += 2
			continue
		}
		col := i + 1 + len(orig) - len(s)
		segs, n, err := r.placeholder(s[i+1:])
		if err != nil {
			return nil, &FormatError{Format: orig, Col: col, Err: err}
		}
		if lit.Len() > 0 {
			f.segs = append(f.segs, segment{lit: lit.String()})
			lit.Reset()
		}
		f.segs = append(f.segs, segs...)
		i += 1 + n
	}
	if lit.Len() > 0 {
		f.segs = append(f.segs, segment{lit: lit.String()})
	}
	f.sortKeys()
	return f, nil
}

// placeholder compiles what follows a '%': an optional width, then a
// field or a transformer call. It returns the segments (a call's fields
// follow it, hidden) and the bytes read.
func (r *Registry) placeholder(s string) ([]segment, int, error) {
	w := 0
	for w < len(s) && isDigitByte(s[w]) {
		w++
	}
	width := 0
	if w > 0 {
		if w == len(s) {
			return nil, 0, errors.New("formatting cannot end with a number")
		}
		n, err := strconv.Atoi(s[:w])
		if err != nil || n > maxWidth {
			return nil, 0, fmt.Errorf("width %s is too large: at most %d", s[:w], maxWidth)
		}
		width = n
	}
	rest := s[w:]
	if transformerAt(rest) != "" {
		v, n, err := r.compileValuePrefix(rest)
		if err != nil {
			return nil, 0, err
		}
		segs := []segment{{val: v, key: v.src, width: width}}
		for _, fr := range v.fields {
			segs = append(segs, segment{def: fr.def, arg: fr.arg, key: fr.key, hidden: true})
		}
		return segs, w + n, nil
	}
	d, a, n, err := r.Match(rest)
	if err != nil {
		return nil, 0, err
	}
	return []segment{{def: d, arg: a, key: rest[:n], width: width}}, w + n, nil
}

func (f *Format) sortKeys() {
	seen := map[string]bool{}
	for i, sg := range f.segs {
		if sg.def != nil && !seen[sg.key] {
			seen[sg.key] = true
			f.keys = append(f.keys, i)
			f.segs[i].jkey = string(append(appendJSONString(nil, sg.key), ':'))
		}
	}
	sort.SliceStable(f.keys, func(a, b int) bool { return f.segs[f.keys[a]].key < f.segs[f.keys[b]].key })
}

// AppendText appends the formatted line for the context's event. ok is
// false when a field has no value and the format did not start with '*':
// sysdig prints nothing for such events.
func (f *Format) AppendText(dst []byte, c *Context) ([]byte, bool) {
	start := len(dst)
	for i := range f.segs {
		sg := &f.segs[i]
		if sg.hidden {
			continue
		}
		if sg.def == nil && sg.val == nil {
			dst = append(dst, sg.lit...)
			continue
		}
		var ok bool
		mark := len(dst)
		if sg.val != nil {
			dst, ok = sg.val.appendPrinted(dst, c)
		} else {
			dst, ok = sg.def.Text(dst, c, sg.arg)
		}
		if !ok {
			if !f.all {
				return dst[:start], false
			}
			dst = append(dst[:mark], NA...)
		}
		if sg.width > 0 {
			dst = fitWidth(dst, mark, sg.width)
		}
	}
	return dst, true
}

// fitWidth cuts what follows mark in dst to width bytes, or pads it with
// blanks to that width.
func fitWidth(dst []byte, mark, width int) []byte {
	if len(dst)-mark >= width {
		return dst[:mark+width]
	}
	for len(dst)-mark < width {
		dst = append(dst, ' ')
	}
	return dst
}

// AppendJSON appends the event as a JSON object with one key per field, in
// sysdig's -j form (keys sorted, numbers as numbers, missing values null).
func (f *Format) AppendJSON(dst []byte, c *Context) ([]byte, bool) {
	start := len(dst)
	dst = append(dst, '{')
	for n, i := range f.keys {
		sg := &f.segs[i]
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, sg.jkey...)
		var ok bool
		dst, ok = f.appendJSONValue(dst, c, sg)
		if !ok {
			if !f.all {
				return dst[:start], false
			}
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}'), true
}

func (f *Format) appendJSONValue(dst []byte, c *Context, sg *segment) ([]byte, bool) {
	x, raw := sg.def.Text, sg.def.numeric()
	if sg.def.JSON != nil {
		x, raw = sg.def.JSON, sg.def.JSONRaw || sg.def.numeric()
	}
	if raw {
		mark := len(dst)
		out, ok := x(dst, c, sg.arg)
		if !ok {
			return out[:mark], false
		}
		return out, true
	}
	var ok bool
	f.tmp, ok = x(f.tmp[:0], c, sg.arg)
	if !ok {
		return dst, false
	}
	return appendJSONBytes(dst, f.tmp), true
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		dst = appendJSONByte(dst, s[i])
	}
	return append(dst, '"')
}

// appendJSONBytes quotes b as a JSON string. Bytes that are not valid
// UTF-8 are escaped as \u00XX so that the output stays valid JSON.
func appendJSONBytes(dst, b []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(b); {
		// Copy runs of bytes that need no escaping at once.
		j := i
		for j < len(b) && jsonPlain(b[j]) {
			j++
		}
		dst = append(dst, b[i:j]...)
		if i = j; i == len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			dst = appendJSONByte(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
			continue
		}
		dst = append(dst, b[i:i+n]...)
		i += n
	}
	return append(dst, '"')
}

// jsonPlain reports whether c stands for itself in a JSON string.
func jsonPlain(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }

func appendJSONByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	if c < 0x20 || c == 0x7f {
		return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(dst, c)
}
