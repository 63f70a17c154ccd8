package field

import (
	"bytes"

	"github.com/kestrel-sec/kestrel/event"
)

// appendArgText appends parameter i of e as evt.arg shows it: the
// resolved text when the value has one (the fd's "<f>/etc/passwd", the
// errno name, the flag names, the user name, the absolute path of a
// relative one), and otherwise the value as evt.args prints it. Byte
// buffers are cut at bufLen characters (0: never).
func appendArgText(d []byte, c *Context, info *event.Info, i int, bufLen int) []byte {
	e := c.Event
	p := displayParam(e, info, i)
	switch t := effectiveType(p); t {
	case event.PTByteBuf, event.PTCharBufArray:
		raw := p.Raw
		if p.Type() == event.PTDyn && len(raw) > 0 {
			raw = raw[1:]
		}
		return event.AppendBuffer(d, raw, bufLen)
	case event.PTFSPath, event.PTFSRelPath:
		if p.Type() == event.PTDyn {
			break
		}
		return appendPathText(d, c, info, p)
	case event.PTFD, event.PTPID, event.PTErrno, event.PTFlags8, event.PTFlags16, event.PTFlags32,
		event.PTEnumFlags8, event.PTEnumFlags16, event.PTEnumFlags32, event.PTMode,
		event.PTUID, event.PTGID, event.PTSyscallID, event.PTSigType, event.PTRelTime:
		// These render as a number followed by "(resolved)" when there
		// is resolved text: keep only the latter.
		mark := len(d)
		d = event.AppendValue(d, e, i, p.Info, c.Resolver)
		return keepResolved(d, mark)
	}
	return event.AppendValue(d, e, i, p.Info, c.Resolver)
}

// keepResolved turns "number(text)" at d[mark:] into "text".
func keepResolved(d []byte, mark int) []byte {
	v := d[mark:]
	open := bytes.IndexByte(v, '(')
	if open <= 0 || v[len(v)-1] != ')' {
		return d
	}
	n := copy(v, v[open+1:len(v)-1])
	return d[:mark+n]
}

// appendPathText appends a path parameter: the absolute form of a
// relative path when the model can tell it, the path itself otherwise
// (without its non-printable bytes).
func appendPathText(d []byte, c *Context, info *event.Info, p event.Param) []byte {
	s := p.Bytes()
	if len(p.Raw) > 0 && (len(s) == 0 || s[0] != '/') && c.Resolver != nil && !bytes.HasPrefix(s, []byte("<NA>")) {
		dirfd := int64(-100)
		if p.Info.DirFD >= 0 && int(p.Info.DirFD) < numDisplayParams(c.Event, info) {
			dirfd = c.Event.Param(int(p.Info.DirFD)).Int()
		}
		mark := len(d)
		if out, ok := c.Resolver.AppendPath(d, c.Event, dirfd, s); ok {
			return out
		}
		d = d[:mark]
	}
	for _, b := range s {
		if b >= 0x20 && b <= 0x7e {
			d = append(d, b)
		}
	}
	return d
}
