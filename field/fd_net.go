package field

import (
	"net/netip"
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Socket ends of the event's fd. A connection socket has a client end
// (the stored source) and a server end; a listening socket only its bound
// address, as its server end. Nothing is known of the ends of a socket
// whose role (client or server) is not known yet. The local end is the
// client's when the client address belongs to the host, else the server's.

// fdIPFunc returns an address of fd f (4 or 16 bytes).
type fdIPFunc func(c *Context, f *state.FD) ([]byte, bool)

// fdPortFunc returns a port of fd f.
type fdPortFunc func(c *Context, f *state.FD) (uint16, bool)

func fdNetFields() []Def {
	return []Def{
		fdAddrField("fd.cip", event.PTIPAddr, "address of the client end of a socket", fdClientIP),
		fdAddrField("fd.sip", event.PTIPAddr, "address of the server end of a socket", fdServerIP),
		fdAddrField("fd.lip", event.PTIPAddr, "address of the local end of a connection", fdLocalIP(true)),
		fdAddrField("fd.rip", event.PTIPAddr, "address of the remote end of a connection", fdLocalIP(false)),
		fdAddrField("fd.cnet", event.PTIPNet, "client address, for network tests (filters only)", fdClientIP),
		fdAddrField("fd.snet", event.PTIPNet, "server address, for network tests (filters only)", fdServerIP),
		fdAddrField("fd.lnet", event.PTIPNet, "local address, for network tests (filters only)", fdLocalIP(true)),
		fdAddrField("fd.rnet", event.PTIPNet, "remote address, for network tests (filters only)", fdLocalIP(false)),
		fdEitherIP("fd.ip", event.PTIPAddr, "either end's address: a test holds when it holds for one (filters only)"),
		fdEitherIP("fd.net", event.PTIPNet, "either end's address, for network tests (filters only)"),
		fdPortField("fd.cport", "port of the client end of a socket", fdClientPort),
		fdPortField("fd.sport", "port of the server end of a socket", fdServerPort),
		fdPortField("fd.lport", "port of the local end of a connection", fdLocalPort(true)),
		fdPortField("fd.rport", "port of the remote end of a connection", fdLocalPort(false)),
		fdEitherPort("fd.port", "either end's port: a test holds when it holds for one (filters only)"),
		fdEitherPort("fd.proto", "either end's protocol, that is port (filters only)"),
		fdProtoField("fd.cproto", "protocol (the port, unresolved) of the client end", fdClientProto),
		fdProtoField("fd.sproto", "protocol (the port, unresolved) of the server end", fdServerProto),
		fdProtoField("fd.lproto", "protocol (the port, unresolved) of the local end", fdConnProto(fdLocalPort(true))),
		fdProtoField("fd.rproto", "protocol (the port, unresolved) of the remote end", fdConnProto(fdLocalPort(false))),
		fdStr("fd.l4proto", "transport protocol of a socket: tcp, udp, icmp or raw", fdL4Proto),
		fdStr("fd.sockfamily", "socket family: ip or unix", func(d []byte, _ *Context, f *state.FD) ([]byte, bool) {
			switch {
			case f.IsInet():
				return append(d, "ip"...), true
			case f.TypeChar() == 'u':
				return append(d, "unix"...), true
			}
			return d, false
		}),
		fdBool("fd.is_server", "true if the process is the server end: a listening socket, or a connection to a host address",
			func(c *Context, f *state.FD) bool {
				switch {
				case !f.IsInet():
					return false
				case !f.IsConnSock():
					return true
				}
				return c.State.IsLocal(c.Thread(), f.DstAddr())
			}),
		fdBool("fd.connected", "true if the socket is known to be connected", func(_ *Context, f *state.FD) bool { return f.Connected }),
		fdNoName("fd.cip.name", "domain name of the client address (no name resolution: never available)"),
		fdNoName("fd.sip.name", "domain name of the server address (no name resolution: never available)"),
		fdNoName("fd.lip.name", "domain name of the local address (no name resolution: never available)"),
		fdNoName("fd.rip.name", "domain name of the remote address (no name resolution: never available)"),
	}
}

func fdClientIP(_ *Context, f *state.FD) ([]byte, bool) {
	if f.Role == state.RoleNone || !f.IsConnSock() {
		return nil, false
	}
	return f.SrcAddr(), true
}

func fdServerIP(_ *Context, f *state.FD) ([]byte, bool) {
	if f.Role == state.RoleNone || !f.IsInet() {
		return nil, false
	}
	if f.IsConnSock() {
		return f.DstAddr(), true
	}
	return f.SrcAddr(), true
}

// fdLocalIP returns the local (or remote) address of a connection.
func fdLocalIP(local bool) fdIPFunc {
	return func(c *Context, f *state.FD) ([]byte, bool) {
		if f.Role == state.RoleNone || !f.IsConnSock() {
			return nil, false
		}
		if c.State.IsLocal(c.Thread(), f.SrcAddr()) == local {
			return f.SrcAddr(), true
		}
		return f.DstAddr(), true
	}
}

func fdClientPort(_ *Context, f *state.FD) (uint16, bool) {
	if f.Role == state.RoleNone {
		return 0, false
	}
	if f.IsConnSock() {
		return f.SrcPort, true
	}
	return 0, true // sysdig reads a port out of an empty string here
}

func fdServerPort(_ *Context, f *state.FD) (uint16, bool) {
	switch {
	case f.IsConnSock():
		if f.Role == state.RoleNone {
			return 0, false
		}
		return f.DstPort, true
	case f.IsInet():
		return f.SrcPort, true
	}
	return 0, false
}

func fdLocalPort(local bool) fdPortFunc {
	return func(c *Context, f *state.FD) (uint16, bool) {
		if f.Role == state.RoleNone || !f.IsConnSock() {
			return 0, false
		}
		if c.State.IsLocal(c.Thread(), f.SrcAddr()) == local {
			return f.SrcPort, true
		}
		return f.DstPort, true
	}
}

// fdClientProto: the client port of a connection as text; empty for
// other fds with a role.
func fdClientProto(d []byte, c *Context, f *state.FD) ([]byte, bool) {
	if f.Role == state.RoleNone {
		return d, false
	}
	if f.IsConnSock() {
		return strconv.AppendUint(d, uint64(f.SrcPort), 10), true
	}
	return d, true
}

// fdServerProto: the server port of a connection as text; empty for a
// listening socket.
func fdServerProto(d []byte, c *Context, f *state.FD) ([]byte, bool) {
	switch {
	case f.IsConnSock():
		if f.Role == state.RoleNone {
			return d, false
		}
		return strconv.AppendUint(d, uint64(f.DstPort), 10), true
	case f.IsInet():
		return d, true
	}
	return d, false
}

func fdConnProto(port fdPortFunc) func(d []byte, c *Context, f *state.FD) ([]byte, bool) {
	return func(d []byte, c *Context, f *state.FD) ([]byte, bool) {
		p, ok := port(c, f)
		if !ok {
			return d, false
		}
		return strconv.AppendUint(d, uint64(p), 10), true
	}
}

func fdL4Proto(d []byte, _ *Context, f *state.FD) ([]byte, bool) {
	switch f.L4Proto() {
	case state.L4TCP:
		return append(d, "tcp"...), true
	case state.L4UDP:
		return append(d, "udp"...), true
	case state.L4ICMP:
		return append(d, "icmp"...), true
	case state.L4Raw:
		return append(d, "raw"...), true
	}
	return append(d, "<NA>"...), true
}

// fdAddrField defines an address field: text as sysdig prints addresses,
// and the address for filters.
func fdAddrField(name string, t event.ParamType, desc string, ip fdIPFunc) Def {
	get := func(c *Context) ([]byte, bool) {
		f, _, ok := fdOfEvent(c)
		if !ok || f == nil {
			return nil, false
		}
		return ip(c, f)
	}
	return Def{Name: name, Type: t, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
			a, ok := get(c)
			if !ok {
				return d, false
			}
			return event.AppendIP(d, a), true
		},
		Addr: func(c *Context, _ *Arg) (netip.Addr, bool) {
			a, ok := get(c)
			if !ok {
				return netip.Addr{}, false
			}
			return state.NetAddr(a), true
		},
	}
}

// fdEnds returns the i-th address a filter test on either end looks at:
// both ends of a connection (whatever its role), the bound address of a
// listening socket.
func fdEnds(c *Context, i int) ([]byte, uint16, bool) {
	f, _, ok := fdOfEvent(c)
	if !ok || f == nil || !f.IsInet() {
		return nil, 0, false
	}
	switch {
	case i == 0:
		return f.SrcAddr(), f.SrcPort, true
	case i == 1 && f.IsConnSock():
		return f.DstAddr(), f.DstPort, true
	}
	return nil, 0, false
}

func fdEitherIP(name string, t event.ParamType, desc string) Def {
	multi := func(d []byte, c *Context, _ *Arg, i int) ([]byte, bool) {
		a, _, ok := fdEnds(c, i)
		if !ok {
			return d, false
		}
		return event.AppendIP(d, a), true
	}
	addrAt := func(c *Context, _ *Arg, i int) (netip.Addr, bool) {
		a, _, ok := fdEnds(c, i)
		if !ok {
			return netip.Addr{}, false
		}
		return state.NetAddr(a), true
	}
	return Def{Name: name, Type: t, Desc: desc, Multi: multi, Text: multiText(multi), MultiAddr: addrAt,
		Addr: func(c *Context, a *Arg) (netip.Addr, bool) { return addrAt(c, a, 0) }}
}

func fdEitherPort(name, desc string) Def {
	multi := func(d []byte, c *Context, _ *Arg, i int) ([]byte, bool) {
		_, p, ok := fdEnds(c, i)
		if !ok {
			return d, false
		}
		return strconv.AppendUint(d, uint64(p), 10), true
	}
	return Def{Name: name, Type: event.PTPort, Desc: desc, Multi: multi, Text: multiText(multi),
		Num: func(c *Context, _ *Arg) (int64, bool) {
			_, p, ok := fdEnds(c, 0)
			return int64(p), ok
		}}
}

// multiText prints every value of a multi-valued field, comma-separated.
func multiText(m MultiExtractor) Extractor {
	return func(d []byte, c *Context, a *Arg) ([]byte, bool) {
		start := len(d)
		for i := 0; ; i++ {
			n := len(d)
			if i > 0 {
				d = append(d, ',')
			}
			var ok bool
			if d, ok = m(d, c, a, i); !ok {
				return d[:n], i > 0 || len(d[:n]) > start
			}
		}
	}
}

func fdPortField(name, desc string, port fdPortFunc) Def {
	return uintField(name, event.PTPort, desc, func(c *Context) (uint64, bool) {
		f, _, ok := fdOfEvent(c)
		if !ok || f == nil {
			return 0, false
		}
		p, ok := port(c, f)
		return uint64(p), ok
	})
}

func fdProtoField(name, desc string, v func(d []byte, c *Context, f *state.FD) ([]byte, bool)) Def {
	return fdStr(name, desc, v)
}

func fdNoName(name, desc string) Def {
	return strField(name, desc, func(d []byte, _ *Context) ([]byte, bool) { return d, false })
}
