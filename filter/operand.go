package filter

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
)

// kind is how the values of an operand compare.
type kind uint8

const (
	kText kind = iota
	kNum
	kBool
	kAddr // an IP address
	kNet  // an IP address that network values contain
)

func (k kind) String() string {
	switch k {
	case kNum:
		return "numeric"
	case kBool:
		return "boolean"
	case kAddr:
		return "IP address"
	case kNet:
		return "IP network"
	}
	return "text"
}

// kindOf returns how values of a field type compare.
func kindOf(t event.ParamType) kind {
	switch t {
	case event.PTInt8, event.PTInt16, event.PTInt32, event.PTInt64,
		event.PTUint8, event.PTUint16, event.PTUint32, event.PTUint64,
		event.PTErrno, event.PTFD, event.PTPID, event.PTRelTime, event.PTAbsTime,
		event.PTPort, event.PTSockFamily, event.PTDouble, event.PTFlags8, event.PTFlags16,
		event.PTFlags32, event.PTUID, event.PTGID, event.PTMode, event.PTSigType,
		event.PTSyscallID, event.PTFD32, event.PTPID32, event.PTEnumFlags8,
		event.PTEnumFlags16, event.PTEnumFlags32:
		return kNum
	case event.PTBool:
		return kBool
	case event.PTIPv4Addr, event.PTIPv6Addr, event.PTIPAddr:
		return kAddr
	case event.PTIPv4Net, event.PTIPv6Net, event.PTIPNet:
		return kNet
	}
	return kText
}

// operand is the compiled left-hand side of a check. text is always set;
// num and addr are set for the kinds that use them; multi is set for
// fields that stand for several values.
type operand struct {
	kind   kind
	name   string // as written, for messages
	typ    event.ParamType
	isType bool // a plain evt.type
	// evtType is set for evt.type, alone or transformed to text: its
	// values must name event types.
	evtType bool
	text    func(dst []byte, c *field.Context) ([]byte, bool)
	// view returns the text value in a buffer the operand owns (or shares
	// through the cache), valid until the next event.
	view   func(c *field.Context) ([]byte, bool)
	num    func(c *field.Context) (int64, bool)
	addr   func(c *field.Context) (netip.Addr, bool)
	multi  func(dst []byte, c *field.Context, i int) ([]byte, bool)
	addrAt func(c *field.Context, i int) (netip.Addr, bool) // multi-valued addresses
}

// operand compiles the left-hand side of a check, or a val() argument.
func (cp *compiler) operand(x Operand) (*operand, bool) {
	switch n := x.(type) {
	case *Field:
		return cp.fieldOperand(n)
	case *Transform:
		return cp.transform(n)
	}
	cp.errorAt(x.Span(), "expected a field on the left of the operator")
	return nil, false
}

func (cp *compiler) fieldOperand(f *Field) (*operand, bool) {
	def, arg, err := cp.opts.Fields.Resolve(f.Name, f.Arg, f.HasArg)
	if err != nil {
		at := f.Loc
		if f.HasArg && errors.Is(err, field.ErrBadArg) {
			at = f.ArgSpan
		}
		cp.errorAt(at, err.Error())
		return nil, false
	}
	if def.NoValue != nil {
		if why := def.NoValue(arg); why != "" {
			at := f.Loc
			if f.HasArg {
				at = f.ArgSpan
			}
			cp.warnAt(at, f.String()+" never has a value: "+why)
		}
	}
	typ := def.Type
	if def.ArgType != nil {
		typ = def.ArgType(arg)
	}
	o := &operand{kind: kindOf(typ), name: f.String(), typ: typ,
		isType: def.Name == "evt.type" && !f.HasArg, evtType: def.Name == "evt.type"}
	text := def.Text
	o.text = func(dst []byte, c *field.Context) ([]byte, bool) { return text(dst, c, arg) }
	o.view = cachedView(cp.opts.Cache.slot(f.String()), o.text)
	if def.Num != nil {
		num := def.Num
		o.num = func(c *field.Context) (int64, bool) { return num(c, arg) }
	}
	if def.Addr != nil {
		addr := def.Addr
		o.addr = func(c *field.Context) (netip.Addr, bool) { return addr(c, arg) }
	}
	if def.MultiAddr != nil {
		at := def.MultiAddr
		o.addrAt = func(c *field.Context, i int) (netip.Addr, bool) { return at(c, arg, i) }
	}
	if def.Multi != nil {
		multi := def.Multi
		o.multi = func(dst []byte, c *field.Context, i int) ([]byte, bool) { return multi(dst, c, arg, i) }
	}
	return o, true
}

// transform compiles tolower(x), toupper(x), b64(x), basename(x), len(x).
func (cp *compiler) transform(t *Transform) (*operand, bool) {
	in, ok := cp.operand(t.X)
	if !ok {
		return nil, false
	}
	if in.kind != kText {
		cp.errorAt(t.Loc, t.Name+"() applies to text, and "+in.name+" is "+in.kind.String())
		return nil, false
	}
	if in.multi != nil && t.Name != "len" {
		cp.errorAt(t.Loc, t.Name+"() applies to a single value, and "+in.name+" stands for several")
		return nil, false
	}
	o := &operand{kind: kText, name: t.String(), typ: event.PTCharBuf, evtType: in.evtType}
	var scratch []byte
	src := in.text
	switch t.Name {
	case "len":
		o.kind, o.typ, o.evtType = kNum, event.PTInt64, false
		o.num = func(c *field.Context) (int64, bool) {
			if in.multi != nil {
				return countValues(in, c, &scratch), true
			}
			var ok bool
			scratch, ok = src(scratch[:0], c)
			return int64(len(scratch)), ok
		}
		o.text = numText(o.num)
		o.view = scratchView(o.text)
		return o, true
	case "tolower", "toupper":
		upper := t.Name == "toupper"
		o.text = func(dst []byte, c *field.Context) ([]byte, bool) {
			start := len(dst)
			dst, ok := src(dst, c)
			foldASCII(dst[start:], upper)
			return dst, ok
		}
	case "basename":
		o.text = func(dst []byte, c *field.Context) ([]byte, bool) {
			var ok bool
			scratch, ok = src(scratch[:0], c)
			return append(dst, basename(scratch)...), ok
		}
	case "b64":
		o.text = func(dst []byte, c *field.Context) ([]byte, bool) {
			var ok bool
			if scratch, ok = src(scratch[:0], c); !ok {
				return dst, false
			}
			return appendBase64Decoded(dst, scratch)
		}
	default:
		cp.errorAt(t.Loc, "unknown transformer "+quote(t.Name))
		return nil, false
	}
	o.view = scratchView(o.text)
	return o, true
}

func countValues(o *operand, c *field.Context, scratch *[]byte) int64 {
	n := int64(0)
	for i := 0; ; i++ {
		var ok bool
		if *scratch, ok = o.multi((*scratch)[:0], c, i); !ok {
			return n
		}
		n++
	}
}

func numText(num func(*field.Context) (int64, bool)) func([]byte, *field.Context) ([]byte, bool) {
	return func(dst []byte, c *field.Context) ([]byte, bool) {
		v, ok := num(c)
		if !ok {
			return dst, false
		}
		return appendInt(dst, v), true
	}
}

func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		if v /= 10; v == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
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

// basename returns the last element of a path: what follows the last '/'.
func basename(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// appendBase64Decoded appends the decoding of standard base64 text; ok is
// false when src is not base64.
func appendBase64Decoded(dst, src []byte) ([]byte, bool) {
	n := base64.StdEncoding.DecodedLen(len(src))
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	m, err := base64.StdEncoding.Decode(dst[start:], src)
	if err != nil {
		return dst[:start], false
	}
	return dst[:start+m], true
}
