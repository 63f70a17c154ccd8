package filter

import (
	"errors"
	"net/netip"

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
	// list is set for a list (getopt's result, a transformed list):
	// values returns its values, which in, intersects and exists test.
	list   bool
	values func(c *field.Context) (*field.Values, bool)
	// custom is set for the fields libsinsp compares with code of its own
	// (the fields standing for several values, evt.rawarg), which ignores
	// a modifier and compares with the first value of the list.
	custom bool
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
		isType: def.Name == "evt.type" && !f.HasArg, evtType: def.Name == "evt.type",
		custom: def.Multi != nil || def.Name == "evt.rawarg"}
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
		// A field libsinsp marks as a list (fd.types) compares as one.
		if v, err := cp.opts.Fields.CompileValue(f.String()); err == nil && v.IsList() {
			var vs field.Values
			o.list, o.multi, o.custom = true, nil, false
			o.values = func(c *field.Context) (*field.Values, bool) {
				vs.Reset()
				ok := v.AppendValues(&vs, c)
				return &vs, ok
			}
		}
	}
	return o, true
}

// transform compiles a transformer call. Its arguments are checked
// first, so that a mistake there is reported where it is; the call itself
// is compiled by the field registry, which gives transformers the meaning
// they have in outputs too.
func (cp *compiler) transform(t *Transform) (*operand, bool) {
	if !cp.checkArgs(t.Args) {
		return nil, false
	}
	v, err := cp.opts.Fields.CompileValue(t.String())
	if err != nil {
		cp.errorAt(t.Loc, err.Error())
		return nil, false
	}
	o := &operand{name: t.String(), typ: v.Type(), kind: kindOf(v.Type()), evtType: typeTransform(t)}
	switch {
	case v.IsList():
		o.kind, o.list = kText, true
		var vs field.Values
		o.values = func(c *field.Context) (*field.Values, bool) {
			vs.Reset()
			ok := v.AppendValues(&vs, c)
			return &vs, ok
		}
		o.text = v.AppendText
	case o.kind == kNum:
		o.num = v.Num
		o.text = numText(o.num)
	default:
		o.text = v.AppendText
	}
	o.view = cachedView(cp.opts.Cache.slot(o.name), o.text)
	return o, true
}

// checkArgs checks the arguments of a call: its fields and calls.
func (cp *compiler) checkArgs(args []Operand) bool {
	ok := true
	for _, a := range args {
		switch n := a.(type) {
		case *Field:
			_, good := cp.fieldOperand(n)
			ok = good && ok
		case *Transform:
			_, good := cp.transform(n)
			ok = good && ok
		case *ArgList:
			ok = cp.checkArgs(n.Items) && ok
		}
	}
	return ok
}

// typeTransform reports whether t is evt.type under text transformers,
// whose values must name event types.
func typeTransform(t *Transform) bool {
	switch t.Name {
	case "tolower", "toupper", "b64", "basename":
	default:
		return false
	}
	if len(t.Args) != 1 {
		return false
	}
	switch a := t.Args[0].(type) {
	case *Field:
		return a.Name == "evt.type"
	case *Transform:
		return typeTransform(a)
	}
	return false
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
