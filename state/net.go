package state

import (
	"encoding/binary"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// Socket constants as the events carry them: PPM_AF_* domains, Linux
// socket types and IP protocols.
const (
	afUnix    = 1
	afInet    = 2
	afInet6   = 10
	afNetlink = 16

	sockStream = 1
	sockDgram  = 2
	sockRaw    = 3

	ipprotoIP   = 0
	ipprotoICMP = 1
	ipprotoTCP  = 6
	ipprotoUDP  = 17
	ipprotoRaw  = 255

	eINPROGRESS = 115
)

// paramIndex returns the index of e's parameter called name, or -1.
func paramIndex(e *event.Event, name string) int {
	info := e.Info()
	if info == nil {
		return -1
	}
	for i := range info.Params {
		if i >= e.NumParams() {
			break
		}
		if info.Params[i].Name == name {
			return i
		}
	}
	return -1
}

// paramText returns parameter name of e rendered as sysdig prints it
// without state ("2001:db8::3:1234" for an address).
func (s *State) paramText(e *event.Event, name string) (string, bool) {
	i := paramIndex(e, name)
	if i < 0 {
		return "", false
	}
	s.buf = event.AppendValue(s.buf[:0], e, i, &e.Info().Params[i], nil)
	return string(s.buf), true
}

func rawParam(e *event.Event, name string) []byte {
	i := paramIndex(e, name)
	if i < 0 {
		return nil
	}
	return e.Param(i).Raw
}

// socketExit adds the fd a successful socket() returns, typed by the
// domain of its enter event. Sockets of other domains are not recorded.
func (s *State) socketExit(e *event.Event, th *Thread) {
	fd, ok := paramInt(e, "fd")
	if !ok || fd < 0 {
		return
	}
	en := s.enterOf(e, th)
	if en == nil {
		return
	}
	domain, _ := paramInt(en, "domain")
	typ, _ := paramInt(en, "type")
	proto, _ := paramInt(en, "proto")
	var ft, l4 uint8
	switch domain {
	case afUnix:
		ft = scap.FDUnixSock
	case afInet, afInet6:
		ft = scap.FDIPv4Sock
		if domain == afInet6 {
			ft = scap.FDIPv6Sock
		}
		switch proto {
		case ipprotoTCP:
			l4 = L4TCP
			if typ == sockRaw {
				l4 = L4Raw
			}
		case ipprotoUDP:
			l4 = L4UDP
			if typ == sockRaw {
				l4 = L4Raw
			}
		case ipprotoIP:
			switch typ & 0xff {
			case sockStream:
				l4 = L4TCP
			case sockDgram:
				l4 = L4UDP
			}
		case ipprotoICMP:
			l4 = L4ICMP
			if typ == sockRaw {
				l4 = L4Raw
			}
		case ipprotoRaw:
			l4 = L4Raw
		}
	case afNetlink:
		ft = scap.FDNetlink
	default:
		return
	}
	if f := s.addFD(th.fdt, fd); f != nil {
		f.Type, f.L4 = ft, l4
	}
}

// bindExit: a socket bound to a port becomes a listening socket named
// "ip:port"; any bound socket is named after its address.
func (s *State) bindExit(e *event.Event, th *Thread) {
	f := th.fdt.Get(th.lastFD)
	if f == nil {
		return
	}
	if res, ok := paramInt(e, "res"); !ok || res < 0 {
		return
	}
	addr := rawParam(e, "addr")
	if len(addr) == 0 {
		return
	}
	switch addr[0] {
	case afInet:
		if len(addr) >= 7 && binary.LittleEndian.Uint16(addr[5:]) > 0 {
			f.Type, f.Role = scap.FDIPv4ServSock, RoleServer
		}
	case afInet6:
		if len(addr) >= 19 && binary.LittleEndian.Uint16(addr[17:]) > 0 {
			if v4Mapped(addr[1:17]) {
				f.Type = scap.FDIPv4ServSock
			} else {
				f.Type = scap.FDIPv6ServSock
			}
			f.Role = RoleServer
		}
	}
	f.Name, _ = s.paramText(e, "addr")
}

// connectEnter records the destination (or the unix path) of a connect.
func (s *State) connectEnter(e *event.Event, th *Thread) {
	f := th.fdt.Get(th.lastFD)
	if f == nil {
		return
	}
	addr := rawParam(e, "addr")
	if len(addr) == 0 {
		return
	}
	switch addr[0] {
	case afInet:
		f.Type = scap.FDIPv4Sock
	case afInet6:
		if len(addr) >= 17 && v4Mapped(addr[1:17]) {
			f.Type = scap.FDIPv4Sock
		} else {
			f.Type = scap.FDIPv6Sock
		}
	default:
		f.Name, _ = s.paramText(e, "addr")
	}
}

// connectExit names the socket after its tuple and makes it a client.
func (s *State) connectExit(e *event.Event, th *Thread) {
	f := th.fdt.Get(th.lastFD)
	if f == nil {
		return
	}
	res, ok := paramInt(e, "res")
	if !ok || (res < 0 && res != -eINPROGRESS) {
		return
	}
	tuple := rawParam(e, "tuple")
	if len(tuple) == 0 {
		return
	}
	s.fillSocket(e, f, tuple)
	if f.Role == RoleNone {
		f.Role = RoleClient
	}
}

// fillSocket sets the type and name of f from an outbound tuple
// (local -> remote).
func (s *State) fillSocket(e *event.Event, f *FD, tuple []byte) {
	switch tuple[0] {
	case afInet, afInet6:
		if tuple[0] == afInet6 && len(tuple) >= 37 && !(v4Mapped(tuple[1:17]) && v4Mapped(tuple[19:35])) {
			f.Type = scap.FDIPv6Sock
		} else {
			f.Type = scap.FDIPv4Sock
		}
		f.Name, _ = s.paramText(e, "tuple")
		if f.Role == RoleServer && f.L4 == L4UDP {
			f.Name = swapTuple(f.Name)
		}
	default:
		f.Name, _ = s.paramText(e, "tuple")
	}
}

// swapTuple turns "a->b" into "b->a".
func swapTuple(n string) string {
	for i := 0; i+1 < len(n); i++ {
		if n[i] == '-' && n[i+1] == '>' {
			return n[i+2:] + "->" + n[:i]
		}
	}
	return n
}

// acceptExit adds the connection an accept returns, named after the
// tuple as the event gives it, on the server's side.
func (s *State) acceptExit(e *event.Event, th *Thread) {
	fd, ok := paramInt(e, "fd")
	if !ok || fd < 0 {
		return
	}
	tuple := rawParam(e, "tuple")
	if len(tuple) == 0 {
		return
	}
	var ft, l4 uint8
	switch tuple[0] {
	case afInet:
		ft, l4 = scap.FDIPv4Sock, L4TCP
	case afInet6:
		ft, l4 = scap.FDIPv6Sock, L4TCP
		if len(tuple) >= 37 && v4Mapped(tuple[1:17]) && v4Mapped(tuple[19:35]) {
			ft = scap.FDIPv4Sock
		}
	case afUnix:
		ft = scap.FDUnixSock
	default:
		return
	}
	name, _ := s.paramText(e, "tuple")
	if f := s.addFD(th.fdt, fd); f != nil {
		f.Type, f.L4, f.Role, f.Name = ft, l4, RoleServer, name
	}
}

// tupleUpdate names a datagram socket (or one without a name yet) after
// the tuple of a recvfrom/recvmsg exit or a sendto/sendmsg enter.
func (s *State) tupleUpdate(e *event.Event, th *Thread, src *event.Event, inbound bool) {
	res, ok := paramInt(e, "res")
	if !ok || res < 0 {
		return
	}
	f := th.fdt.Get(th.lastFD)
	if f == nil {
		return
	}
	if f.Name != "" && f.isInet() && f.L4 == L4TCP {
		return
	}
	tuple := rawParam(src, "tuple")
	if len(tuple) == 0 {
		return
	}
	switch tuple[0] {
	case afInet, afInet6:
		if tuple[0] == afInet6 && len(tuple) >= 37 && !(v4Mapped(tuple[1:17]) && v4Mapped(tuple[19:35])) {
			if f.Type != scap.FDIPv6Sock && f.Type != scap.FDIPv4Sock {
				f.Type = scap.FDIPv6Sock
			}
		} else {
			f.Type = scap.FDIPv4Sock
		}
		if f.L4 == L4Unknown {
			f.L4 = L4UDP
		}
		name, _ := s.paramText(src, "tuple")
		if f.Role == RoleNone {
			// Without interface data to guess from, the model takes the
			// socket for the side that initiated this datagram.
			if inbound {
				f.Role = RoleServer
			} else {
				f.Role = RoleClient
			}
		}
		if (inbound && f.Role == RoleClient) || (!inbound && f.Role == RoleServer) {
			name = swapTuple(name)
		}
		f.Name = name
	case afUnix:
		f.Type = scap.FDUnixSock
		if len(tuple) > 17 {
			f.Name = string(cstr(tuple[17:]))
		}
	}
}

// pairExit adds the two fds of a pipe or socketpair.
func (s *State) pairExit(e *event.Event, th *Thread, ft uint8) {
	if res, ok := paramInt(e, "res"); !ok || res < 0 {
		return
	}
	ino, _ := paramInt(e, "ino")
	for _, n := range [2]string{"fd1", "fd2"} {
		fd, ok := paramInt(e, n)
		if !ok || fd < 0 {
			continue
		}
		if f := s.addFD(th.fdt, fd); f != nil {
			f.Type, f.Ino = ft, uint64(ino)
		}
	}
}

// simpleExit adds the fd (res) of an eventfd, signalfd, timerfd or
// inotify instance: typed, unnamed.
func (s *State) simpleExit(e *event.Event, th *Thread, ft uint8) {
	fd, ok := paramInt(e, "res")
	if !ok || fd < 0 {
		return
	}
	if f := s.addFD(th.fdt, fd); f != nil {
		f.Type = ft
	}
}

// dupExit copies the duplicated fd (from the enter event) to the new one.
func (s *State) dupExit(e *event.Event, th *Thread) {
	res, ok := paramInt(e, "res")
	if !ok || res < 0 {
		return
	}
	old := th.lastFD
	if v, ok := paramInt(e, "oldfd"); ok {
		old = v
	}
	s.copyFD(th, old, res)
}

// fcntlExit: F_DUPFD and F_DUPFD_CLOEXEC copy the fd like dup.
func (s *State) fcntlExit(e *event.Event, th *Thread) {
	res, ok := paramInt(e, "res")
	if !ok || res < 0 {
		return
	}
	en := s.enterOf(e, th)
	if en == nil {
		return
	}
	cmd, _ := paramInt(en, "cmd")
	if cmd != 1 && cmd != 26 { // PPM_FCNTL_F_DUPFD, PPM_FCNTL_F_DUPFD_CLOEXEC
		return
	}
	s.copyFD(th, th.lastFD, res)
}

func (s *State) copyFD(th *Thread, from, to int64) {
	f := th.fdt.Get(from)
	if f == nil || from == to {
		return
	}
	c := *f
	if nf := s.addFD(th.fdt, to); nf != nil {
		*nf = c
		nf.Num = to
	}
}

// openExit adds the fd of a successful open, named with the absolute path.
func (s *State) openExit(e *event.Event, th *Thread) {
	fd, ok := paramInt(e, "fd")
	if !ok || fd < 0 {
		return
	}
	en := s.enterOf(e, th)
	src := e
	nameP, ok := e.ParamByName("name")
	if !ok && en != nil {
		nameP, ok = en.ParamByName("name")
		src = en
	}
	if !ok {
		return
	}
	name := cstr(nameP.Raw)
	flags, fok := paramInt(e, "flags")
	if !fok && en != nil {
		flags, _ = paramInt(en, "flags")
	}
	dirfd := int64(-100)
	if v, ok := paramInt(src, "dirfd"); ok {
		dirfd = v
	}
	var base string
	switch {
	case len(name) > 0 && name[0] == '/':
		base = "."
	case dirfd == -100:
		base = th.Cwd()
	default:
		if d := th.fdt.Get(dirfd); d != nil {
			base = d.Name + "/"
		} else {
			base = "<UNKNOWN>"
		}
	}
	s.buf = appendJoin(s.buf[:0], base, name)
	path := string(s.buf)
	if f := s.addFD(th.fdt, fd); f != nil {
		f.Type = scap.FDFileV2
		if flags&(1<<10) != 0 { // PPM_O_DIRECTORY
			f.Type = scap.FDDirectory
		}
		f.Flags = uint32(flags)
		f.Name = path
	}
}
