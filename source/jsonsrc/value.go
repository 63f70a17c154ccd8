package jsonsrc

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Value is one value of a [Doc], or a missing value (the zero Value). It
// is valid until the Doc parses another document.
type Value struct {
	d *Doc
	i int32
}

// Exists reports whether the value is there.
func (v Value) Exists() bool { return v.d != nil }

func (v Value) n() *node { return &v.d.nodes[v.i] }

// Kind returns the value's kind; Missing when it is not there.
func (v Value) Kind() Kind {
	if v.d == nil {
		return Missing
	}
	return v.n().kind
}

// Raw returns the value's bytes as written; nil when missing.
func (v Value) Raw() []byte {
	if v.d == nil {
		return nil
	}
	n := v.n()
	return v.d.data[n.start:n.end:n.end]
}

// Get returns the member called key of an object; missing for other
// kinds and when there is no such member. With duplicate keys the first
// wins.
func (v Value) Get(key string) Value {
	if v.Kind() != Object {
		return Value{}
	}
	end := v.n().skip
	for j := uint32(v.i) + 1; j < end; {
		k := &v.d.nodes[j]
		if v.d.keyEq(k, key) {
			return Value{d: v.d, i: int32(j + 1)}
		}
		j = v.d.nodes[j+1].skip
	}
	return Value{}
}

// Index returns the i-th element of an array; missing past the end and for
// other kinds.
func (v Value) Index(i int) Value {
	if v.Kind() != Array || i < 0 {
		return Value{}
	}
	end := v.n().skip
	for j, c := uint32(v.i)+1, 0; j < end; c++ {
		if c == i {
			return Value{d: v.d, i: int32(j)}
		}
		j = v.d.nodes[j].skip
	}
	return Value{}
}

// Child returns an object's member or, for a token that is a decimal
// index, an array's element: one step of a JSON pointer.
func (v Value) Child(tok string) Value {
	switch v.Kind() {
	case Object:
		return v.Get(tok)
	case Array:
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 {
			return Value{}
		}
		return v.Index(i)
	}
	return Value{}
}

// Pointer follows a JSON pointer (RFC 6901) from v; a leading "/" is
// optional, as in Falco's JSON plugin, and "" is v itself.
func (v Value) Pointer(ptr string) Value {
	ptr = strings.TrimPrefix(ptr, "/")
	if ptr == "" {
		return v
	}
	for v.Exists() {
		tok, rest, more := strings.Cut(ptr, "/")
		if strings.IndexByte(tok, '~') >= 0 {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		}
		v = v.Child(tok)
		if !more {
			return v
		}
		ptr = rest
	}
	return v
}

// Len returns the number of elements of an array or members of an
// object; 0 for other kinds.
func (v Value) Len() int {
	k := v.Kind()
	if k != Array && k != Object {
		return 0
	}
	c := 0
	end := v.n().skip
	for j := uint32(v.i) + 1; j < end; j = v.d.nodes[j].skip {
		c++
	}
	if k == Object {
		return c / 2
	}
	return c
}

// Iter walks the elements of an array or the members of an object.
type Iter struct {
	d      *Doc
	j, end uint32
	obj    bool
}

// Iter returns an iterator over an array's elements or an object's
// members; it yields nothing for other kinds.
func (v Value) Iter() Iter {
	k := v.Kind()
	if k != Array && k != Object {
		return Iter{}
	}
	return Iter{d: v.d, j: uint32(v.i) + 1, end: v.n().skip, obj: k == Object}
}

// Next returns the next element (key missing), or the next member's key
// and value; ok is false at the end.
func (it *Iter) Next() (key, val Value, ok bool) {
	if it.d == nil || it.j >= it.end {
		return Value{}, Value{}, false
	}
	if it.obj {
		key = Value{d: it.d, i: int32(it.j)}
		it.j++
	}
	val = Value{d: it.d, i: int32(it.j)}
	it.j = it.d.nodes[it.j].skip
	return key, val, true
}

// StrEq reports whether v is a string equal to s.
func (v Value) StrEq(s string) bool {
	if v.Kind() != String {
		return false
	}
	return v.d.keyEq(v.n(), s)
}

// Str returns a string's raw content when it holds no escapes: a view,
// without copying; ok is false for other values.
func (v Value) Str() (b []byte, ok bool) {
	if v.Kind() != String || v.n().esc {
		return nil, false
	}
	n := v.n()
	return v.d.data[n.start+1 : n.end-1 : n.end-1], true
}

// Bool reports whether v is the literal true.
func (v Value) Bool() bool { return v.Kind() == True }

// AppendText appends the value as Falco's JSON plugin gives it: a
// string's content, unescaped; any other value as compact JSON. It
// appends nothing for a missing value.
func (v Value) AppendText(dst []byte) []byte {
	switch v.Kind() {
	case Missing:
		return dst
	case String:
		n := v.n()
		body := v.d.data[n.start+1 : n.end-1]
		if !n.esc {
			return append(dst, body...)
		}
		return unescape(dst, body)
	case Array, Object:
		return compact(dst, v.Raw())
	}
	return append(dst, v.Raw()...)
}

// AppendJSON appends the value as compact JSON.
func (v Value) AppendJSON(dst []byte) []byte {
	if v.Kind() == Missing {
		return dst
	}
	return compact(dst, v.Raw())
}

// keyEq reports whether the string node k holds s.
func (d *Doc) keyEq(k *node, s string) bool {
	body := d.data[k.start+1 : k.end-1]
	if !k.esc {
		return string(body) == s
	}
	var tmp [128]byte
	return string(unescape(tmp[:0], body)) == s
}

// compact appends raw JSON without the blanks outside strings.
func compact(dst, raw []byte) []byte {
	in, esc := false, false
	for _, c := range raw {
		switch {
		case in:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
			}
		case c == '"':
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// unescape appends the content of a checked JSON string body.
func unescape(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return dst
		}
		switch b[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := decodeU(b[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
			continue
		default:
			dst = append(dst, b[i+1])
		}
		i += 2
	}
	return dst
}

// decodeU decodes \uXXXX at the start of b, with a following low
// surrogate when it makes a pair; it returns the rune and the bytes used.
func decodeU(b []byte) (rune, int) {
	r, ok := hex4(b)
	if !ok {
		return utf8.RuneError, min(len(b), 2)
	}
	if utf16.IsSurrogate(r) {
		if len(b) < 12 {
			return utf8.RuneError, 6
		}
		if r2, ok := hex4(b[6:]); ok {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return dec, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, h := range b[2:6] {
		v := hexVal(h)
		if v < 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// At follows keys from v, one member at a time: v.At("a", "b") is
// v.Get("a").Get("b").
func (v Value) At(keys ...string) Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}
