package field

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kestrel-sec/kestrel/event"
)

// Value expressions: a field, or a transformer applied to fields,
// constants and lists of them, as Falco's conditions and outputs write
// them ("tolower(proc.name)", `join(",", (proc.name, proc.pname))`,
// `getopt(("-n", "-t", "x"), "nt:")[t]`). Formats print them; the filter
// package compares them. The grammar and the meaning are libsinsp's
// (filter/parser.cpp, sinsp_filter_transformers/ and
// sinsp_filtercheck_multivalue_transformer.cpp).

// transformerNames are the transformers, in the order libsinsp tries
// them; a call is the name followed directly by "(".
var transformerNames = [...]string{"tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"}

// IsTransformer reports whether name is a transformer of the filter
// language.
func IsTransformer(name string) bool {
	for _, n := range transformerNames {
		if n == name {
			return true
		}
	}
	return false
}

// transformerAt returns the transformer whose call starts s, or "".
func transformerAt(s string) string {
	for _, n := range transformerNames {
		if len(s) > len(n) && s[len(n)] == '(' && s[:len(n)] == n {
			return n
		}
	}
	return ""
}

// Values is a list of values held in one buffer, reused from event to
// event.
type Values struct {
	buf  []byte
	ends []int
}

// Reset empties the list and keeps its storage.
func (vs *Values) Reset() { vs.buf, vs.ends = vs.buf[:0], vs.ends[:0] }

// Append adds a value at the end of the list.
func (vs *Values) Append(b []byte) {
	vs.buf = append(vs.buf, b...)
	vs.ends = append(vs.ends, len(vs.buf))
}

// Len returns the number of values.
func (vs *Values) Len() int { return len(vs.ends) }

// At returns the i-th value, valid until the list changes.
func (vs *Values) At(i int) []byte {
	start := 0
	if i > 0 {
		start = vs.ends[i-1]
	}
	return vs.buf[start:vs.ends[i]:vs.ends[i]]
}

// appendText adds the value text extracts, or nothing when it has none.
func (vs *Values) appendText(text func([]byte, *Context) ([]byte, bool), c *Context) bool {
	start := len(vs.buf)
	out, ok := text(vs.buf, c)
	if !ok {
		vs.buf = out[:start]
		return false
	}
	vs.buf = out
	vs.ends = append(vs.ends, len(out))
	return true
}

// Value is a compiled value expression. It keeps scratch buffers: one
// goroutine uses it at a time.
type Value struct {
	src  string // canonical text, libsinsp's form
	typ  event.ParamType
	list bool // a list of values (libsinsp's EPF_IS_LIST)
	// baseType and baseList describe the value as libsinsp checks the
	// arguments of join, concat and getopt: the field, constant or list
	// under the one-argument transformers, the transformers ignored; the
	// result of join, concat and getopt counts as one text value.
	baseType event.ParamType
	baseList bool
	// several is set for a field that stands for several values without
	// being a list (proc.aname, fd.ip): only len applies to it.
	several func(dst []byte, c *Context, i int) ([]byte, bool)
	text    func(dst []byte, c *Context) ([]byte, bool) // the value, when not a list
	each    func(vs *Values, c *Context) bool           // the values, for a list
	num     func(c *Context) (int64, bool)              // the value of len
	lit     *string                                     // set for a constant
	root    *Def                                        // the field under the one-argument transformers
	isLen   bool
	fields  []fieldRef // the fields inside, for output keys
	tmp     Values
}

// fieldRef is a field inside a value expression.
type fieldRef struct {
	def *Def
	arg *Arg
	key string
}

// String returns the expression as libsinsp writes it.
func (v *Value) String() string { return v.src }

// Type returns the type of the value, after the transformers.
func (v *Value) Type() event.ParamType { return v.typ }

// IsList reports whether the value is a list: compared with in,
// intersects and exists only.
func (v *Value) IsList() bool { return v.list }

// AppendText appends the value as text; a list prints as "(a,b,c)". ok
// is false when the event gives no value.
func (v *Value) AppendText(dst []byte, c *Context) ([]byte, bool) {
	if !v.list {
		return v.text(dst, c)
	}
	v.tmp.Reset()
	if !v.each(&v.tmp, c) {
		return dst, false
	}
	dst = append(dst, '(')
	for i := 0; i < v.tmp.Len(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, v.tmp.At(i)...)
	}
	return append(dst, ')'), true
}

// AppendValues appends the values of a list, or the one value of
// anything else, to vs; false when the event gives no value.
func (v *Value) AppendValues(vs *Values, c *Context) bool {
	if v.list {
		return v.each(vs, c)
	}
	return vs.appendText(v.text, c)
}

// Num returns the value of a numeric expression (len); false for others
// and when the event gives no value.
func (v *Value) Num(c *Context) (int64, bool) {
	if v.num == nil {
		return 0, false
	}
	return v.num(c)
}

// first appends the value, or the first value of a list.
func (v *Value) first(dst []byte, c *Context) ([]byte, bool) {
	if !v.list {
		return v.text(dst, c)
	}
	v.tmp.Reset()
	if !v.each(&v.tmp, c) || v.tmp.Len() == 0 {
		return dst, false
	}
	return append(dst, v.tmp.At(0)...), true
}

// printedLen reports whether libsinsp prints the result of len over this
// value: it prints a transformed number with the print format of the field
// it came from, and only these text fields have a numeric one; for every
// other value Falco and sysdig print <NA>.
func (v *Value) printedLen() bool {
	if v.root == nil {
		return false
	}
	switch v.root.Name {
	case "evt.res", "fd.type", "fd.typechar", "fd.types", "fdlist.nums", "fdlist.cports", "fdlist.sports":
		return true
	}
	return false
}

// appendPrinted appends the value as an output prints it.
func (v *Value) appendPrinted(dst []byte, c *Context) ([]byte, bool) {
	if v.isLen && !v.printedLen() {
		return dst, false
	}
	return v.AppendText(dst, c)
}

// listField reports whether libsinsp marks the field as a list
// (EPF_IS_LIST): of the syscall fields, fd.types only; fields of other
// sources say so with [Def.List].
func listField(d *Def) bool { return d.List || d.Name == "fd.types" }

// CompileValue compiles a value expression: a field, or a transformer
// call such as tolower(proc.name). The whole of src must be one
// expression.
func (r *Registry) CompileValue(src string) (*Value, error) {
	v, n, err := r.compileValuePrefix(src)
	if err != nil {
		return nil, err
	}
	if n != len(src) {
		return nil, fmt.Errorf("unexpected %s after %s", describeAt(src, n), v.src)
	}
	return v, nil
}

// compileValuePrefix compiles the value expression at the start of s and
// returns the number of bytes it spans.
func (r *Registry) compileValuePrefix(s string) (*Value, int, error) {
	p := &vparser{r: r, src: s}
	v, err := p.value()
	if err != nil {
		return nil, 0, err
	}
	return v, p.off, nil
}

// maxValueDepth bounds the nesting of calls and lists in an expression.
const maxValueDepth = 200

// vparser reads a value expression with libsinsp's grammar:
//
//	value = field | call
//	call  = transformer "(" arg { "," arg } ")" [ "[" fieldarg "]" ]
//	arg   = number | quoted | "(" [ item { "," item } ] ")" | call | field
//	item  = field | call | quoted | number
//
// with blanks allowed around arguments and items.
type vparser struct {
	r     *Registry
	src   string
	off   int
	depth int
}

func (p *vparser) rest() string { return p.src[p.off:] }

func (p *vparser) peek(c byte) bool { return p.off < len(p.src) && p.src[p.off] == c }

// blanks skips the blanks libsinsp's parser skips.
func (p *vparser) blanks() {
	for p.off < len(p.src) {
		switch p.src[p.off] {
		case ' ', '\t', '\b', '\r', '\n':
			p.off++
			continue
		}
		return
	}
}

func (p *vparser) errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// value reads a field or a call.
func (p *vparser) value() (*Value, error) {
	if name := transformerAt(p.rest()); name != "" {
		return p.call(name)
	}
	if name := fieldNameAt(p.rest()); name != "" {
		return p.field(name)
	}
	return nil, p.errorf("expected a field or a transformer, found %s", describeAt(p.src, p.off))
}

// fieldNameAt returns the dotted field name at the start of s: words of a
// letter then letters, digits and underscores, two or more, joined by
// dots.
func fieldNameAt(s string) string {
	end, parts := 0, 0
	for {
		i := end
		if i >= len(s) || !isASCIILetter(s[i]) {
			break
		}
		for i < len(s) && (isASCIILetter(s[i]) || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			i++
		}
		end, parts = i, parts+1
		if end >= len(s) || s[end] != '.' || end+1 >= len(s) || !isASCIILetter(s[end+1]) {
			break
		}
		end++
	}
	if parts < 2 {
		return ""
	}
	return s[:end]
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// field reads a field and its optional bracketed argument.
func (p *vparser) field(name string) (*Value, error) {
	p.off += len(name)
	arg, has, err := p.fieldArg()
	if err != nil {
		return nil, err
	}
	d, a, err := p.r.Resolve(name, arg, has)
	if err != nil {
		return nil, err
	}
	key := name
	if has {
		key += "[" + escapeKeyArg(arg) + "]"
	}
	return fieldValue(d, a, key), nil
}

// fieldArg reads "[arg]" when it follows: a quoted string, or a run of
// characters other than brackets, quotes and blanks.
func (p *vparser) fieldArg() (string, bool, error) {
	if !p.peek('[') {
		return "", false, nil
	}
	p.off++
	var arg string
	if p.peek('"') || p.peek('\'') {
		s, end, err := unquoteAt(p.src, p.off)
		if err != nil {
			return "", false, err
		}
		arg, p.off = s, end
	} else {
		start := p.off
		for p.off < len(p.src) && !strings.ContainsRune("[]\"' \t\n\r\v\f", rune(p.src[p.off])) {
			p.off++
		}
		if p.off == start {
			return "", false, p.errorf(`expected a field argument after "[", found %s`, describeAt(p.src, p.off))
		}
		arg = p.src[start:p.off]
	}
	if !p.peek(']') {
		return "", false, p.errorf(`expected "]" after the field argument, found %s`, describeAt(p.src, p.off))
	}
	p.off++
	return arg, true, nil
}

func (p *vparser) enter() error {
	if p.depth++; p.depth > maxValueDepth {
		return p.errorf("expression nested too deeply (more than %d levels)", maxValueDepth)
	}
	return nil
}

// call reads a transformer call.
func (p *vparser) call(name string) (*Value, error) {
	p.off += len(name) + 1
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var args []*Value
	for {
		a, err := p.arg(name)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.blanks()
		if !p.peek(',') {
			break
		}
		p.off++
	}
	p.blanks()
	if !p.peek(')') {
		return nil, p.errorf(`expected "," or ")" after an argument of %s(, found %s`, name, describeAt(p.src, p.off))
	}
	p.off++
	sel, hasSel, err := p.fieldArg()
	if err != nil {
		return nil, err
	}
	return compileCall(name, args, sel, hasSel)
}

// arg reads an argument of the call name.
func (p *vparser) arg(name string) (*Value, error) {
	p.blanks()
	s := p.rest()
	switch {
	case numberLen(s) > 0:
		return p.number(), nil
	case p.peek('"') || p.peek('\''):
		return p.quoted()
	case p.peek('('):
		return p.list()
	case transformerAt(s) != "":
		return p.call(transformerAt(s))
	case fieldNameAt(s) != "":
		return p.field(fieldNameAt(s))
	}
	return nil, p.errorf("expected a field, a transformer, a quoted string, a number or a list inside %s(), found %s", name, describeAt(p.src, p.off))
}

// list reads a parenthesised list of fields, calls and constants.
func (p *vparser) list() (*Value, error) {
	p.off++
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var items []*Value
	p.blanks()
	if !p.peek(')') {
		for {
			it, err := p.item()
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			p.blanks()
			if !p.peek(',') {
				break
			}
			p.off++
			p.blanks()
		}
	}
	if !p.peek(')') {
		return nil, p.errorf(`expected "," or ")" in the list, found %s`, describeAt(p.src, p.off))
	}
	p.off++
	return listValue(items), nil
}

// item reads an item of a list.
func (p *vparser) item() (*Value, error) {
	s := p.rest()
	switch {
	case fieldNameAt(s) != "":
		return p.field(fieldNameAt(s))
	case transformerAt(s) != "":
		return p.call(transformerAt(s))
	case p.peek('"') || p.peek('\''):
		return p.quoted()
	case numberLen(s) > 0:
		return p.number(), nil
	}
	return nil, p.errorf("expected a field, a transformer, a quoted string or a number in the list, found %s", describeAt(p.src, p.off))
}

func (p *vparser) number() *Value {
	n := numberLen(p.rest())
	s := p.src[p.off : p.off+n]
	p.off += n
	return constValue(s, s)
}

func (p *vparser) quoted() (*Value, error) {
	s, end, err := unquoteAt(p.src, p.off)
	if err != nil {
		return nil, err
	}
	p.off = end
	return constValue(s, escapeKeyArg(s)), nil
}

// numberLen returns the length of the number at the start of s, as
// libsinsp reads one: 0x and hex digits, or an optionally signed decimal
// with an optional fraction and exponent; 0 when there is none.
func numberLen(s string) int {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]) {
		i := 3
		for i < len(s) && isHex(s[i]) {
			i++
		}
		return i
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigitByte(s[i]) {
		i++
	}
	if i == start {
		return 0
	}
	if i < len(s) && s[i] == '.' {
		i++
	}
	for i < len(s) && isDigitByte(s[i]) {
		i++
	}
	if i+2 < len(s) && (s[i] == 'e' || s[i] == 'E') && (s[i+1] == '+' || s[i+1] == '-') && isDigitByte(s[i+2]) {
		i += 3
		for i < len(s) && isDigitByte(s[i]) {
			i++
		}
	}
	return i
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigitByte(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// unquoteAt reads the quoted string that starts at src[off], with the
// escapes of Falco's filter language: \b \f \n \r \t, \\ and "\ " (both a
// backslash), \/ and the escaped delimiter. It returns the text and the
// offset past the closing quote.
func unquoteAt(src string, off int) (string, int, error) {
	delim := src[off]
	var b strings.Builder
	for i := off + 1; i < len(src); i++ {
		c := src[i]
		if c == delim {
			return b.String(), i + 1, nil
		}
		if c != '\\' || i+1 >= len(src) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := src[i]; e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\', ' ':
			b.WriteByte('\\')
		case '/':
			b.WriteByte('/')
		case '"', '\'':
			if e != delim {
				return "", 0, fmt.Errorf(`invalid escape \%c in a %c-quoted string`, e, delim)
			}
			b.WriteByte(e)
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return "", 0, fmt.Errorf(`unsupported escape sequence \%c`, r)
		}
	}
	return "", 0, fmt.Errorf("unterminated string: missing closing %c", delim)
}

// escapeKeyArg writes a value as libsinsp's AST printer does: in double
// quotes, with \b \f \n \r \t \\ and \" escaped, when it holds one of
// those characters, a blank, '=' or a single quote; as it is otherwise.
func escapeKeyArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, "\b\f\n\r\t =\\\"'") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// describeAt names what starts at src[off] for an error message.
func describeAt(src string, off int) string {
	if off >= len(src) {
		return "the end"
	}
	end := off
	for end < len(src) && strings.IndexByte(" \t\n\r", src[end]) >= 0 {
		end++
	}
	for end < len(src) && end-off < 20 && !strings.ContainsRune(" \t\n\r,()[]", rune(src[end])) {
		end++
	}
	if end == off {
		end = off + 1
	}
	return strconv.Quote(src[off:end])
}

// fieldValue is the value of a field.
func fieldValue(d *Def, a *Arg, key string) *Value {
	typ := d.Type
	if d.ArgType != nil {
		typ = d.ArgType(a)
	}
	v := &Value{src: key, typ: typ, baseType: typ, root: d, fields: []fieldRef{{d, a, key}}}
	text := d.Text
	v.text = func(dst []byte, c *Context) ([]byte, bool) { return text(dst, c, a) }
	if d.Multi == nil {
		return v
	}
	multi := d.Multi
	at := func(dst []byte, c *Context, i int) ([]byte, bool) { return multi(dst, c, a, i) }
	if !listField(d) {
		v.several = at
		return v
	}
	v.list, v.baseList = true, true
	var probe []byte
	v.each = func(vs *Values, c *Context) bool {
		for i := 0; ; i++ {
			start := len(vs.buf)
			out, ok := at(vs.buf, c, i)
			if !ok {
				vs.buf = out[:start]
				if i == 0 {
					probe, ok = text(probe[:0], c, a)
					return ok
				}
				return true
			}
			vs.buf = out
			vs.ends = append(vs.ends, len(out))
		}
	}
	return v
}

// constValue is a constant: a quoted string or a number; src is how it is
// written.
func constValue(s, src string) *Value {
	v := &Value{src: src, typ: event.PTCharBuf, baseType: event.PTCharBuf, lit: &s}
	v.text = func(dst []byte, _ *Context) ([]byte, bool) { return append(dst, s...), true }
	return v
}

// listValue is a parenthesised list: the values of its items, in order,
// those of a list spliced in; no value when one item has none.
func listValue(items []*Value) *Value {
	parts := make([]string, len(items))
	var fields []fieldRef
	for i, it := range items {
		parts[i] = it.src
		fields = append(fields, it.fields...)
	}
	v := &Value{src: "(" + strings.Join(parts, ",") + ")", typ: event.PTCharBuf, list: true,
		baseType: event.PTCharBuf, baseList: true, fields: fields}
	v.each = func(vs *Values, c *Context) bool {
		for _, it := range items {
			if !it.AppendValues(vs, c) {
				return false
			}
		}
		return true
	}
	return v
}
