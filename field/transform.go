package field

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
)

// compileCall checks a call as libsinsp does and compiles it.
func compileCall(name string, args []*Value, sel string, hasSel bool) (*Value, error) {
	parts := make([]string, len(args))
	var fields []fieldRef
	for i, a := range args {
		parts[i] = a.src
		fields = append(fields, a.fields...)
	}
	src := name + "(" + strings.Join(parts, ",") + ")"
	if hasSel {
		src += "[" + escapeKeyArg(sel) + "]"
	}
	var v *Value
	var err error
	switch {
	case name == "join" || name == "concat" || name == "getopt":
		if len(args) == 1 && hasSel {
			return nil, fmt.Errorf("transformer %s takes no argument", name)
		}
		switch name {
		case "join":
			v, err = joinValue(args)
		case "concat":
			v, err = concatValue(args)
		default:
			v, err = getoptValue(args, sel, hasSel)
		}
		if err == nil && hasSel && name != "getopt" {
			err = fmt.Errorf("transformer %s takes no argument", name)
		}
	case len(args) != 1:
		return nil, fmt.Errorf("%s() takes one argument, not %d", name, len(args))
	case hasSel:
		return nil, fmt.Errorf("transformer %s takes no argument", name)
	default:
		v, err = transformValue(name, args[0])
	}
	if err != nil {
		return nil, err
	}
	v.src, v.fields = src, fields
	return v, nil
}

// kindName describes a type in an error message.
func kindName(t event.ParamType) string {
	switch {
	case t == event.PTByteBuf:
		return "is a byte buffer"
	case t == event.PTBool:
		return "is boolean"
	case t == event.PTIPv4Addr || t == event.PTIPv6Addr || t == event.PTIPAddr:
		return "is an IP address"
	case t == event.PTIPv4Net || t == event.PTIPv6Net || t == event.PTIPNet:
		return "is an IP network"
	case isText(t):
		return "is text"
	}
	return "is numeric"
}

// isText reports whether values of t are text to the transformers.
func isText(t event.ParamType) bool {
	return t == event.PTCharBuf || t == event.PTFSPath || t == event.PTFSRelPath
}

// transformValue compiles tolower, toupper, basename, b64 or len of x.
func transformValue(name string, x *Value) (*Value, error) {
	if name == "len" {
		return lenValue(x)
	}
	accepts, ok := "text", isText(x.typ)
	if name == "b64" {
		accepts, ok = "text and byte buffers", x.typ == event.PTCharBuf || x.typ == event.PTByteBuf
	}
	if x.several != nil {
		return nil, fmt.Errorf("%s() applies to a single value, and %s stands for several", name, x.src)
	}
	if !ok {
		return nil, fmt.Errorf("%s() applies to %s, and %s %s", name, accepts, x.src, kindName(x.typ))
	}
	var f func(dst, in []byte) ([]byte, bool)
	switch name {
	case "tolower", "toupper":
		upper := name == "toupper"
		f = func(dst, in []byte) ([]byte, bool) {
			start := len(dst)
			dst = append(dst, in...)
			foldASCII(dst[start:], upper)
			return dst, true
		}
	case "basename":
		f = func(dst, in []byte) ([]byte, bool) {
			if i := bytes.LastIndexByte(in, '/'); i >= 0 {
				in = in[i+1:]
			}
			return append(dst, in...), true
		}
	default:
		f = appendBase64
	}
	v := &Value{typ: x.typ, list: x.list, baseType: x.baseType, baseList: x.baseList, root: x.root}
	if x.list {
		var in Values
		v.each = func(vs *Values, c *Context) bool {
			in.Reset()
			if !x.each(&in, c) {
				return false
			}
			for i := 0; i < in.Len(); i++ {
				start := len(vs.buf)
				out, ok := f(vs.buf, trimNULs(in.At(i)))
				if !ok {
					vs.buf = out[:start]
					return false
				}
				vs.buf = out
				vs.ends = append(vs.ends, len(out))
			}
			return true
		}
		return v, nil
	}
	var scratch []byte
	v.text = func(dst []byte, c *Context) ([]byte, bool) {
		var ok bool
		if scratch, ok = x.text(scratch[:0], c); !ok {
			return dst, false
		}
		start := len(dst)
		out, ok := f(dst, trimNULs(scratch))
		if !ok {
			return out[:start], false
		}
		return out, true
	}
	return v, nil
}

// lenValue compiles len(x): the number of values of a list (or of a field
// standing for several), the length of text up to its first NUL, of a
// byte buffer in full.
func lenValue(x *Value) (*Value, error) {
	v := &Value{typ: event.PTUint64, baseType: x.baseType, baseList: x.baseList, root: x.root, isLen: true}
	switch {
	case x.list:
		var in Values
		v.num = func(c *Context) (int64, bool) {
			in.Reset()
			if !x.each(&in, c) {
				return 0, false
			}
			return int64(in.Len()), true
		}
	case x.several != nil:
		var scratch []byte
		v.num = func(c *Context) (int64, bool) {
			n := int64(0)
			for ; ; n++ {
				var ok bool
				if scratch, ok = x.several(scratch[:0], c, int(n)); !ok {
					return n, true
				}
			}
		}
	case isText(x.typ) || x.typ == event.PTByteBuf:
		buffer := x.typ == event.PTByteBuf
		var scratch []byte
		v.num = func(c *Context) (int64, bool) {
			var ok bool
			if scratch, ok = x.text(scratch[:0], c); !ok {
				return 0, false
			}
			if !buffer {
				scratch = cString(scratch)
			}
			return int64(len(scratch)), true
		}
	default:
		return nil, fmt.Errorf("len() applies to text, byte buffers and lists, and %s %s", x.src, kindName(x.typ))
	}
	v.text = func(dst []byte, c *Context) ([]byte, bool) {
		n, ok := v.num(c)
		if !ok {
			return dst, false
		}
		return strconv.AppendInt(dst, n, 10), true
	}
	return v, nil
}

// joinValue compiles join(separator, list): the values of the list, each
// up to its first NUL, joined by the separator.
func joinValue(args []*Value) (*Value, error) {
	switch {
	case len(args) != 2:
		return nil, errors.New("join() requires exactly 2 arguments: separator and list")
	case args[0].baseList:
		return nil, errors.New("join() first argument (separator) must be a single value, not a list")
	case !args[1].baseList:
		return nil, errors.New("join() second argument must be a list")
	}
	sep, lst := args[0], args[1]
	var sepBuf []byte
	var in Values
	v := &Value{typ: event.PTCharBuf, baseType: event.PTCharBuf}
	v.text = func(dst []byte, c *Context) ([]byte, bool) {
		var ok bool
		if sepBuf, ok = sep.first(sepBuf[:0], c); !ok {
			return dst, false
		}
		in.Reset()
		if !lst.AppendValues(&in, c) {
			return dst, false
		}
		for i := 0; i < in.Len(); i++ {
			if i > 0 {
				dst = append(dst, sepBuf...)
			}
			dst = append(dst, cString(in.At(i))...)
		}
		return dst, true
	}
	return v, nil
}

// concatValue compiles concat(a, b, ...): the texts, each up to its first
// NUL, one after the other.
func concatValue(args []*Value) (*Value, error) {
	if len(args) < 2 {
		return nil, errors.New("concat() requires at least 2 arguments")
	}
	for _, a := range args {
		if a.baseType != event.PTCharBuf || a.baseList {
			return nil, errors.New("concat() arguments must be strings")
		}
	}
	var scratch []byte
	v := &Value{typ: event.PTCharBuf, baseType: event.PTCharBuf}
	v.text = func(dst []byte, c *Context) ([]byte, bool) {
		for _, a := range args {
			var ok bool
			if scratch, ok = a.first(scratch[:0], c); !ok {
				return dst, false
			}
			dst = append(dst, cString(scratch)...)
		}
		return dst, true
	}
	return v, nil
}

// getoptValue compiles getopt(args, optstring) and getopt(args,
// optstring)[c].
func getoptValue(args []*Value, sel string, hasSel bool) (*Value, error) {
	switch {
	case len(args) != 2:
		return nil, errors.New("getopt() requires exactly 2 arguments: args list and optstring")
	case !args[0].baseList:
		return nil, errors.New("getopt() first argument must be a list")
	case args[1].baseList:
		return nil, errors.New("getopt() second argument (optstring) must be a single value")
	case args[0].baseType != event.PTCharBuf || args[1].baseType != event.PTCharBuf:
		return nil, errors.New("getopt() arguments must be strings")
	case hasSel && len(sel) != 1:
		return nil, errors.New("getopt() field argument must be a single option character")
	}
	g := &getopt{argv: args[0], opts: args[1], hasSel: hasSel}
	if hasSel {
		g.sel = sel[0]
	}
	if lit := args[1].lit; lit != nil {
		g.constant = true
		g.table.parse([]byte(*lit))
	}
	v := &Value{typ: event.PTCharBuf, list: !hasSel, baseType: event.PTCharBuf}
	if hasSel {
		v.text = func(dst []byte, c *Context) ([]byte, bool) {
			if !g.run(c, nil) {
				return dst, false
			}
			return append(dst, g.selected...), true
		}
	} else {
		v.each = func(vs *Values, c *Context) bool { return g.run(c, vs) }
	}
	return v, nil
}

// optTable is a getopt(3) option string decoded: the option characters,
// and those that take a value. A leading ':' is skipped; a ':' after
// another ':' is ignored (no GNU optional values).
type optTable struct {
	valid, withValue [256]bool
}

func (t *optTable) parse(s []byte) {
	*t = optTable{}
	i := 0
	if len(s) > 0 && s[0] == ':' {
		i = 1
	}
	for ; i < len(s); i++ {
		o := s[i]
		if o == ':' {
			continue
		}
		t.valid[o] = true
		if i+1 < len(s) && s[i+1] == ':' {
			t.withValue[o] = true
			i++
		}
	}
}

// getopt parses command-line arguments as getopt(3) does, the way
// libsinsp's getopt transformer reports them: each option found, then
// its value when it takes one; "?" for an option not in the option
// string; "" (and no option) for an option whose value is missing. It
// stops at "--", at the first argument that is not an option and at a
// lone "-", and skips long options ("--name"). With a selector it keeps
// only the value (or the option, when it takes none) of the last
// occurrence of that option, and has no value when there is none.
type getopt struct {
	argv, opts *Value
	sel        byte
	hasSel     bool
	constant   bool
	table      optTable
	in         Values
	optBuf     []byte
	selected   []byte
}

var questionMark = []byte{'?'}

// run reads the arguments of the current event: into out without a
// selector, into g.selected with one; false when there is no value.
func (g *getopt) run(c *Context, out *Values) bool {
	if !g.constant {
		var ok bool
		if g.optBuf, ok = g.opts.first(g.optBuf[:0], c); !ok {
			return false
		}
		g.table.parse(g.optBuf)
	}
	g.in.Reset()
	if !g.argv.AppendValues(&g.in, c) {
		return false
	}
	found := false
	for ai := 0; ai < g.in.Len(); ai++ {
		arg := g.in.At(ai)
		if string(arg) == "--" {
			break
		}
		if len(arg) > 2 && arg[0] == '-' && arg[1] == '-' {
			continue
		}
		if len(arg) < 2 || arg[0] != '-' {
			break
		}
		for i := 1; i < len(arg); i++ {
			o := arg[i]
			if o == ':' || !g.table.valid[o] {
				if !g.hasSel {
					out.Append(questionMark)
				}
				continue
			}
			match := !g.hasSel || o == g.sel
			if !g.table.withValue[o] {
				if match {
					found = true
					g.emit(out, arg[i:i+1], nil, false)
				}
				continue
			}
			var val []byte
			has := false
			switch {
			case i+1 < len(arg):
				val, has = arg[i+1:], true
			case ai+1 < g.in.Len():
				ai++
				val, has = g.in.At(ai), true
			}
			if match {
				found = true
				if has {
					g.emit(out, arg[i:i+1], val, true)
				} else {
					g.emit(out, nil, nil, false)
				}
			}
			break
		}
	}
	return !g.hasSel || found
}

// emit reports an option and its value.
func (g *getopt) emit(out *Values, opt, val []byte, hasVal bool) {
	if g.hasSel {
		if hasVal {
			opt = val
		}
		g.selected = append(g.selected[:0], opt...)
		return
	}
	out.Append(opt)
	if hasVal {
		out.Append(val)
	}
}

// appendBase64 appends the decoding of in as libsinsp decodes base64: the
// standard alphabet, padding optional (one or two trailing '=' are
// dropped), unused trailing bits zero, nothing else allowed; ok is false
// when in is not such text.
func appendBase64(dst, in []byte) ([]byte, bool) {
	n := len(in)
	if n == 0 {
		return dst, true
	}
	if in[n-1] == '=' {
		n--
		if n > 0 && in[n-1] == '=' {
			n--
		}
	}
	if n == 0 || bytes.ContainsAny(in[:n], "\r\n=") {
		return dst, false
	}
	start := len(dst)
	dst = slices.Grow(dst, base64.RawStdEncoding.DecodedLen(n))
	m, err := base64.RawStdEncoding.Strict().Decode(dst[start:start+base64.RawStdEncoding.DecodedLen(n)], in[:n])
	if err != nil {
		return dst[:start], false
	}
	return dst[:start+m], true
}

// trimNULs drops trailing NUL bytes, as libsinsp's string transformers do.
func trimNULs(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// cString returns b up to its first NUL byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func foldASCII(b []byte, upper bool) {
	for i, c := range b {
		switch {
		case upper && c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && c >= 'A' && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
}
