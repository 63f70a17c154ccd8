package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// The fd.* fields describe the fd an event concerns (state.EventFD): only
// events that create, use or destroy an fd have one. Socket fields follow
// sysdig's model of a socket: a client end (the source of the stored
// tuple) and a server end; "local" and "remote" are decided by whether
// the client address belongs to the host.

func fdFields() []Def {
	return append(fdBasicFields(), fdNetFields()...)
}

func fdBasicFields() []Def {
	return []Def{
		numField("fd.num", event.PTInt64, "number of the fd the event concerns (-1 when it names none)",
			func(c *Context) (int64, bool) {
				_, num, ok := fdOfEvent(c)
				return num, ok
			}),
		fdStr("fd.type", "type of the fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink",
			func(d []byte, _ *Context, f *state.FD) ([]byte, bool) {
				s, ok := fdTypeName(f.Type)
				return append(d, s...), ok
			}),
		strField("fd.typechar", "type of the fd as one character: f file, d directory, 4 and 6 inet sockets, u unix, p pipe, e eventfd, s signalfd, l eventpoll, i inotify, t timerfd, n netlink, o other",
			fdTypeChar),
		strField("fd.name", "name of the fd: the absolute path of a file, the tuple of a connected socket, the address of a listening one",
			func(d []byte, c *Context) ([]byte, bool) { return fdName(d, c, false) }),
		strField("fd.directory", "directory of a file fd, or the path of a directory fd", fdDirectory),
		strField("fd.filename", "file name of a file fd, without its directory", fdFilename),
		strField("fd.uid", "the thread id followed by the fd number, identifying the fd", fdUID),
		strField("fd.containername", "container id, a colon, and the fd name",
			func(d []byte, c *Context) ([]byte, bool) { return fdContainerPrefix(d, c, fdName) }),
		strField("fd.containerdirectory", "container id, a colon, and the fd directory",
			func(d []byte, c *Context) ([]byte, bool) {
				return fdContainerPrefix(d, c, func(d []byte, c *Context, _ bool) ([]byte, bool) { return fdDirectory(d, c) })
			}),
		fdBool("fd.name_changed", "true when the event changed the name of its fd (a datagram socket's tuple, for instance)",
			func(c *Context, f *state.FD) bool { return f.NameChanged(c.Event) }),
		fdHex("fd.dev", "device number of the file the fd refers to", func(f *state.FD) uint32 { return f.Dev }),
		fdUint("fd.dev.major", event.PTInt32, "major device number of the file the fd refers to",
			func(f *state.FD) uint64 { return uint64(f.Dev&0xfff00) >> 8 }),
		fdUint("fd.dev.minor", event.PTInt32, "minor device number of the file the fd refers to",
			func(f *state.FD) uint64 { return uint64(f.Dev&0xff | (f.Dev>>12)&0xfff00) }),
		fdUint("fd.ino", event.PTInt64, "inode number of the file the fd refers to",
			func(f *state.FD) uint64 { return f.Ino }),
		strField("fd.nameraw", "path of a file fd as the opening syscall gave it, separators collapsed",
			func(d []byte, c *Context) ([]byte, bool) { return fdName(d, c, true) }),
		fdBool("fd.is_upper_layer", "true if the fd is a file of the upper layer of an overlay filesystem",
			func(_ *Context, f *state.FD) bool { return f.Flags&fdUpperLayer != 0 }),
		fdBool("fd.is_lower_layer", "true if the fd is a file of the lower layer of an overlay filesystem",
			func(_ *Context, f *state.FD) bool { return f.Flags&fdLowerLayer != 0 }),
		fdTypesField(),
	}
}

// Open flags (PPM_FD_*_LAYER) telling which overlay layer a file is in.
const (
	fdUpperLayer = 1 << 15
	fdLowerLayer = 1 << 16
)

// fdOfEvent returns the fd of the current event; see [state.State.EventFD].
func fdOfEvent(c *Context) (*state.FD, int64, bool) {
	if c.State == nil {
		return nil, 0, false
	}
	return c.State.EventFD(c.Event)
}

// fdStr defines a text field of the event's fd, unavailable without one.
func fdStr(name, desc string, v func(d []byte, c *Context, f *state.FD) ([]byte, bool)) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		f, _, ok := fdOfEvent(c)
		if !ok || f == nil {
			return d, false
		}
		return v(d, c, f)
	})
}

func fdBool(name, desc string, v func(c *Context, f *state.FD) bool) Def {
	return boolField(name, desc, func(c *Context) (bool, bool) {
		f, _, ok := fdOfEvent(c)
		if !ok || f == nil {
			return false, false
		}
		return v(c, f), true
	})
}

func fdUint(name string, t event.ParamType, desc string, v func(f *state.FD) uint64) Def {
	return uintField(name, t, desc, func(c *Context) (uint64, bool) {
		f, _, ok := fdOfEvent(c)
		if !ok || f == nil {
			return 0, false
		}
		return v(f), true
	})
}

// fdHex defines a number field printed in upper-case hexadecimal.
func fdHex(name, desc string, v func(f *state.FD) uint32) Def {
	d := fdUint(name, event.PTInt32, desc, func(f *state.FD) uint64 { return uint64(v(f)) })
	num := d.Num
	d.JSON = d.Text // a JSON number
	d.Text = func(dst []byte, c *Context, a *Arg) ([]byte, bool) {
		n, ok := num(c, a)
		if !ok {
			return dst, false
		}
		return fdUpperHex(dst, uint64(n)), true
	}
	return d
}

func fdUpperHex(dst []byte, u uint64) []byte {
	start := len(dst)
	dst = strconv.AppendUint(dst, u, 16)
	for i := start; i < len(dst); i++ {
		if c := dst[i]; c >= 'a' && c <= 'f' {
			dst[i] = c - 'a' + 'A'
		}
	}
	return dst
}

// fdTypeName returns the type word sysdig shows for an fd type.
func fdTypeName(t uint8) (string, bool) {
	switch t {
	case scap.FDFile, scap.FDFileV2:
		return "file", true
	case scap.FDDirectory:
		return "directory", true
	case scap.FDIPv4Sock, scap.FDIPv4ServSock:
		return "ipv4", true
	case scap.FDIPv6Sock, scap.FDIPv6ServSock:
		return "ipv6", true
	case scap.FDUnixSock:
		return "unix", true
	case scap.FDFifo:
		return "pipe", true
	case scap.FDEvent:
		return "event", true
	case scap.FDSignalFD:
		return "signalfd", true
	case scap.FDEventPoll:
		return "eventpoll", true
	case scap.FDInotify:
		return "inotify", true
	case scap.FDTimerFD:
		return "timerfd", true
	case scap.FDNetlink:
		return "netlink", true
	}
	return "<NA>", true
}

// fdTypeChar: without an fd, the type the event's syscall would create.
func fdTypeChar(d []byte, c *Context) ([]byte, bool) {
	f, _, ok := fdOfEvent(c)
	if !ok {
		return d, false
	}
	if f != nil {
		return append(d, f.TypeChar()), true
	}
	ch := byte('o')
	switch c.Event.Info().Name {
	case "open", "openat", "openat2", "creat":
		ch = 'f'
	case "socket", "accept", "accept4":
		ch = '4' // whatever the family, as sysdig guesses
	case "pipe":
		ch = 'p'
	case "eventfd":
		ch = 'e'
	case "signalfd":
		ch = 's'
	case "timerfd_create":
		ch = 't'
	case "inotify_init":
		ch = 'i'
	}
	return append(d, ch), true
}

// fdName appends the fd's name (raw: the path as opened). Without an fd,
// the exit of a syscall that creates one (open, accept, connect…) still
// names what it tried to open or reach; other exits name nothing.
func fdName(d []byte, c *Context, raw bool) ([]byte, bool) {
	f, _, ok := fdOfEvent(c)
	if !ok {
		return d, false
	}
	if f == nil || failedConnect(c.Event) {
		start := len(d)
		d, ok = creatorName(d, c, raw)
		if ok && raw {
			d = append(d[:start], collapseSlashes(d[start:])...)
		}
		return d, ok
	}
	if raw {
		return appendCollapsed(d, f.NameRaw), true
	}
	return fdSane(d, f.Name), true
}

func failedConnect(e *event.Event) bool {
	if e.Type().IsEnter() || e.Info().Name != "connect" || e.NumParams() == 0 {
		return false
	}
	p := e.Param(0)
	return len(p.Raw) >= 8 && p.Int() < 0
}

// creatorName appends the name an fd-creating exit event carries.
func creatorName(d []byte, c *Context, raw bool) ([]byte, bool) {
	e := c.Event
	if e.Type().IsEnter() {
		return d, false
	}
	info := e.Info()
	switch info.Name {
	case "open", "creat":
		if e.NumParams() < 2 {
			return d, false
		}
		s := fdCstr(e.Param(1).Raw)
		if len(s) > 0 && s[0] != '/' && !raw && c.State != nil {
			return c.State.AppendPath(d, e, -100, s)
		}
		return fdSaneBytes(d, s), true
	case "accept", "accept4", "connect":
		if e.NumParams() < 2 {
			return d, false
		}
		return event.AppendValue(d, e, 1, &info.Params[1], nil), true
	case "openat", "openat2":
		return openatPath(d, c, raw)
	}
	return d, true
}

// openatPath appends the path an openat exit (or its enter) names, joined
// to its directory fd as sysdig joins it.
func openatPath(d []byte, c *Context, raw bool) ([]byte, bool) {
	e := c.Event
	name, okN := e.ParamByName("name")
	dirfd, okD := e.ParamByName("dirfd")
	if !okN || !okD {
		return d, false // the old openat exit carries neither
	}
	s := fdCstr(name.Raw)
	if raw {
		return fdSaneBytes(d, s), true
	}
	th := c.Thread()
	if th == nil {
		return d, false
	}
	var base string
	switch {
	case len(s) > 0 && s[0] == '/':
	case dirfd.Int() == -100:
		base = th.Cwd()
	default:
		base = "<UNKNOWN>"
		if f := th.FDs().Get(dirfd.Int()); f != nil {
			base = f.Name
			if base == "" || base[len(base)-1] != '/' {
				return fdSane(d, string(state.JoinPath(nil, base+"/", s))), true
			}
		}
	}
	start := len(d)
	d = state.JoinPath(d, base, s)
	return fdSaneBytes(d[:start], d[start:]), true
}

// fdDirectory: the directory of a file, the path of a directory fd.
func fdDirectory(d []byte, c *Context) ([]byte, bool) {
	f, _, ok := fdOfEvent(c)
	if !ok {
		return d, false
	}
	start := len(d)
	if f == nil {
		if d, ok = creatorName(d, c, false); !ok {
			return d, false
		}
		return trimToDir(d, start), true
	}
	switch {
	case f.IsFile():
		return trimToDir(fdSane(d, f.Name), start), true
	case f.IsDir():
		return fdSane(d, f.Name), true
	}
	return d, false
}

// trimToDir cuts the path at d[start:] to its directory: up to its last
// '/' (a path ending in '/' stays whole), or "/" when the only '/' is the
// first byte or there is none.
func trimToDir(d []byte, start int) []byte {
	p := d[start:]
	i := lastSlash(p)
	if i <= 0 {
		return append(d[:start], '/')
	}
	if i < len(p)-1 {
		return d[:start+i]
	}
	return d
}

func lastSlash(p []byte) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}

// fdFilename: the last component of a file's path.
func fdFilename(d []byte, c *Context) ([]byte, bool) {
	f, _, ok := fdOfEvent(c)
	if !ok || f == nil || !f.IsFile() {
		return d, false
	}
	start := len(d)
	d = fdSane(d, f.Name)
	p := d[start:]
	i := lastSlash(p)
	switch {
	case i < 0:
		return append(d[:start], '/'), true
	case i < len(p)-1:
		return append(d[:start], p[i+1:]...), true
	}
	return d, true
}

func fdUID(d []byte, c *Context) ([]byte, bool) {
	_, num, ok := fdOfEvent(c)
	if !ok {
		return d, false
	}
	d = strconv.AppendInt(d, c.Event.TID(), 10)
	return strconv.AppendInt(d, num, 10), true
}

// fdContainerPrefix appends the thread's container id and a colon before
// the value of v.
func fdContainerPrefix(d []byte, c *Context, v func(d []byte, c *Context, raw bool) ([]byte, bool)) ([]byte, bool) {
	th := c.Thread()
	if th == nil {
		return d, false
	}
	start := len(d)
	d = append(d, th.ContainerID...)
	d = append(d, ':')
	d, ok := v(d, c, false)
	if !ok {
		return d[:start], false
	}
	return d, true
}

// fdTypesField is fd.types: every type among the thread's open fds, or
// with an argument the type of that fd.
func fdTypesField() Def {
	text := func(d []byte, c *Context, a *Arg) ([]byte, bool) {
		d = append(d, '(')
		for i := 0; ; i++ {
			var ok bool
			n := len(d)
			if i > 0 {
				d = append(d, ',')
			}
			if d, ok = fdTypesAt(d, c, a, i); !ok {
				d = d[:n]
				if i == 0 {
					return d[:len(d)-1], false
				}
				break
			}
		}
		return append(d, ')'), true
	}
	return Def{Name: "fd.types", Type: event.PTCharBuf, Arg: ArgOptional,
		Desc: "types of the thread's open fds, each once; fd.types[N] is the type of fd N",
		Text: text, Multi: fdTypesAt}
}

// fdTypesAt appends the i-th distinct type of the thread's fds, in the
// order of fdTypeOrder.
func fdTypesAt(d []byte, c *Context, a *Arg, i int) ([]byte, bool) {
	if _, _, ok := fdOfEvent(c); !ok {
		return d, false
	}
	th := c.Thread()
	if a != nil {
		if !a.IsNum || i > 0 {
			return d, false
		}
		f := th.FDs().Get(int64(a.Index))
		if f == nil {
			return d, false
		}
		s, _ := fdTypeName(f.Type)
		return append(d, s...), true
	}
	var seen [len(fdTypeOrder)]bool
	th.FDs().Each(func(f *state.FD) {
		s, _ := fdTypeName(f.Type)
		for k, t := range fdTypeOrder {
			if t == s {
				seen[k] = true
			}
		}
	})
	for k, t := range fdTypeOrder {
		if !seen[k] {
			continue
		}
		if i == 0 {
			return append(d, t...), true
		}
		i--
	}
	return d, false
}

var fdTypeOrder = [...]string{"file", "directory", "ipv4", "ipv6", "unix", "pipe", "event",
	"signalfd", "eventpoll", "inotify", "timerfd", "netlink", "<NA>"}

// fdSane appends the printable ASCII bytes of s.
func fdSane(d []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c <= 0x7e {
			d = append(d, c)
		}
	}
	return d
}

func fdSaneBytes(d, s []byte) []byte {
	for _, c := range s {
		if c >= 0x20 && c <= 0x7e {
			d = append(d, c)
		}
	}
	return d
}

// appendCollapsed appends s with runs of '/' collapsed to one.
func appendCollapsed(d []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && i > 0 && s[i-1] == '/' {
			continue
		}
		d = append(d, s[i])
	}
	return d
}

// collapseSlashes collapses runs of '/' in p in place.
func collapseSlashes(p []byte) []byte {
	out := p[:0]
	for i, c := range p {
		if c == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		out = append(out, c)
	}
	return out
}

func fdCstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
