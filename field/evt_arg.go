package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
)

// Fields of an event's arguments and return value.
func evtArgFields() []Def {
	return []Def{
		{Name: "evt.arg", Type: event.PTCharBuf, Arg: ArgRequired, CheckArg: evtArgArg, NoValue: evtArgNoValue,
			Desc: "one argument, by name (evt.arg.fd) or position (evt.arg[0]), as text: the resolved form where there is one",
			Text: argText(event.DefaultBufLen), JSON: argText(0)},
		{Name: "evt.rawarg", Type: event.PTDyn, Arg: ArgRequired, CheckArg: rawArgArg,
			Desc: "one argument, by name (evt.rawarg.res), as its raw value: numbers as numbers, strings and buffers unchanged",
			Text: rawArgText, JSON: rawArgJSON, JSONRaw: true, Num: rawArgNum, ArgType: rawArgType},
		{Name: "evt.buffer", Type: event.PTByteBuf, Desc: "the data buffer of events that carry one (read, write, sendto, …)",
			Text: bufferText(event.DefaultBufLen), JSON: bufferText(0)},
		uintField("evt.buflen", event.PTUint64, "length of the data an I/O event moved: its non-negative return value", bufLen),
		strField("evt.res", "return value as text: SUCCESS, or the error name (ENOENT) when the call failed", resText),
		numField("evt.rawres", event.PTInt64, "return value as a number (-2 for ENOENT)", resultValueOf),
		jsonBool(boolField("evt.failed", "true when the call returned an error", failed)),
		{Name: "evt.abspath", Type: event.PTCharBuf, Arg: ArgOptional,
			Desc: "absolute path named by a dirfd and a relative path (openat, renameat, …); evt.abspath.src and evt.abspath.dst for calls with two",
			Text: absPath},
	}
}

func argText(bufLen int) Extractor {
	return func(d []byte, c *Context, a *Arg) ([]byte, bool) {
		e := c.Event
		info := displayInfo(e)
		if info == nil || a == nil {
			return d, false
		}
		i := a.Index
		if !a.IsNum {
			i = paramIndex(e, info, a.Text)
		}
		if i < 0 || i >= numDisplayParams(e, info) {
			return d, false
		}
		return appendArgText(d, c, info, i, bufLen), true
	}
}

func bufferText(bufLen int) Extractor {
	return func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
		e := c.Event
		info := displayInfo(e)
		i := paramIndex(e, info, "data")
		if i < 0 {
			return d, false
		}
		return appendArgText(d, c, info, i, bufLen), true
	}
}

// rawArg returns the named parameter of the current event.
func rawArg(c *Context, a *Arg) (event.Param, bool) {
	if a == nil || a.IsNum {
		return event.Param{}, false
	}
	p, _, ok := paramNamed(c.Event, a.Text)
	return p, ok
}

// rawArgText prints an argument's raw value: integers in decimal, strings
// and buffers as they are (up to a NUL), and other values (addresses,
// tuples, fd lists) rendered as evt.args shows them.
func rawArgText(d []byte, c *Context, a *Arg) ([]byte, bool) {
	p, ok := rawArg(c, a)
	if !ok {
		return d, false
	}
	t := effectiveType(p)
	if p.Type() == event.PTDyn {
		_, sub, _ := p.Dyn()
		sub.Info = p.Info
		p = sub
	}
	switch t {
	case event.PTCharBuf, event.PTFSPath, event.PTFSRelPath:
		return append(d, p.Bytes()...), true
	case event.PTByteBuf:
		// Up to the first NUL, as the C string sysdig prints.
		return append(d, p.Bytes()...), true
	}
	if v, signed, ok := rawInt(p, t); ok {
		// Decimal, as sysdig and Falco print raw values whatever the
		// argument's own print format.
		if signed {
			return strconv.AppendInt(d, v, 10), true
		}
		return strconv.AppendUint(d, uint64(v), 10), true
	}
	info := displayInfo(c.Event)
	_, i, _ := paramNamed(c.Event, a.Text)
	return event.AppendValue(d, c.Event, i, &info.Params[i], c.Resolver), true
}

// rawArgJSON is rawArgText with numbers in decimal and text quoted.
func rawArgJSON(d []byte, c *Context, a *Arg) ([]byte, bool) {
	if v, ok := rawArgNum(c, a); ok {
		return strconv.AppendInt(d, v, 10), true
	}
	mark := len(d)
	d, ok := rawArgText(d, c, a)
	if !ok {
		return d[:mark], false
	}
	// Quote the text after it, then move the quoted form into place.
	end := len(d)
	d = appendJSONBytes(d, d[mark:end])
	n := copy(d[mark:], d[end:])
	return d[:mark+n], true
}

func rawArgNum(c *Context, a *Arg) (int64, bool) {
	p, ok := rawArg(c, a)
	if !ok {
		return 0, false
	}
	t := effectiveType(p)
	if p.Type() == event.PTDyn {
		_, p, _ = p.Dyn()
	}
	v, _, ok := rawInt(p, t)
	return v, ok
}

// rawInt reads an integer value of type t. signed tells how to print it.
func rawInt(p event.Param, t event.ParamType) (v int64, signed, ok bool) {
	n := intSize(t)
	if n == 0 || len(p.Raw) < n {
		return 0, false, false
	}
	q := event.Param{Raw: p.Raw[:n]}
	switch t {
	case event.PTInt8, event.PTInt16, event.PTInt32, event.PTInt64, event.PTErrno, event.PTFD,
		event.PTPID, event.PTFD32, event.PTPID32:
		return q.Int(), true, true
	}
	return int64(q.Uint()), false, true
}

// intSize returns the size of an integer parameter type, or 0.
func intSize(t event.ParamType) int {
	switch t {
	case event.PTInt8, event.PTUint8, event.PTFlags8, event.PTEnumFlags8, event.PTSigType, event.PTL4Proto, event.PTSockFamily:
		return 1
	case event.PTInt16, event.PTUint16, event.PTFlags16, event.PTEnumFlags16, event.PTPort, event.PTSyscallID:
		return 2
	case event.PTInt32, event.PTUint32, event.PTFlags32, event.PTEnumFlags32, event.PTUID, event.PTGID,
		event.PTMode, event.PTFD32, event.PTPID32, event.PTSigSet:
		return 4
	case event.PTInt64, event.PTUint64, event.PTErrno, event.PTFD, event.PTPID, event.PTRelTime, event.PTAbsTime:
		return 8
	}
	return 0
}

func resultValueOf(c *Context) (int64, bool) { return resultValue(c.Event) }

func failed(c *Context) (bool, bool) {
	v, ok := resultValue(c.Event)
	return ok && v < 0, true
}

// resText: SUCCESS for a non-negative return value, otherwise the value
// as evt.arg shows it (the errno name).
func resText(d []byte, c *Context) ([]byte, bool) {
	p, i, ok := resultParam(c.Event)
	if !ok || len(p.Raw) < 8 {
		return d, false
	}
	if p.Int() >= 0 {
		return append(d, "SUCCESS"...), true
	}
	return appendArgText(d, c, displayInfo(c.Event), i, event.DefaultBufLen), true
}

// bufLen: for I/O events on a known fd, the non-negative return value of
// the exit event.
func bufLen(c *Context) (uint64, bool) {
	e := c.Event
	info := displayInfo(e)
	if info == nil || e.Type().IsEnter() || !isIOCategory(info.Category) || evtFD(c) == nil || e.NumParams() == 0 {
		return 0, false
	}
	p := e.Param(0)
	if len(p.Raw) < 8 || p.Int() < 0 {
		return 0, false
	}
	return uint64(p.Int()), true
}

// jsonBool makes a boolean field print true or false in JSON, unquoted.
func jsonBool(d Def) Def {
	num := d.Num
	d.JSON = func(dst []byte, c *Context, a *Arg) ([]byte, bool) {
		v, ok := num(c, a)
		if !ok {
			return dst, false
		}
		return strconv.AppendBool(dst, v != 0), true
	}
	d.JSONRaw = true
	return d
}

// rawArgType is the type of the first parameter called a.Text in the
// event tables (sysdig's table first), as sysdig types evt.rawarg.NAME in
// filters: evt.rawarg.size compares as a number.
func rawArgType(a *Arg) event.ParamType {
	if a == nil || a.IsNum {
		return event.PTDyn
	}
	for _, sc := range []*event.Schema{event.Legacy(), event.Current()} {
		for i := range sc.Events {
			for _, p := range sc.Events[i].Params {
				if p.Name == a.Text {
					return p.Type
				}
			}
		}
	}
	return event.PTDyn
}
