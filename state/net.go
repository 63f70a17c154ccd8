package state

import (
	"bytes"
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
// domain of its enter event (or of the exit, which carries it in the
// current model). Sockets of other domains are not recorded.
func (s *State) socketExit(e *event.Event, th *Thread) {
	fd, ok := paramInt(e, "fd")
	if !ok || fd < 0 {
		return
	}
	en := s.argsOf(e, th)
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
	th.lastFD = fd
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
			f.setEnds(addr[1:5], binary.LittleEndian.Uint16(addr[5:]), nil, 0)
		}
	case afInet6:
		if len(addr) >= 19 && binary.LittleEndian.Uint16(addr[17:]) > 0 {
			port := binary.LittleEndian.Uint16(addr[17:])
			if v4Mapped(addr[1:17]) {
				f.Type = scap.FDIPv4ServSock
				f.setEnds(addr[13:17], port, nil, 0)
			} else {
				f.Type = scap.FDIPv6ServSock
				f.setEnds(addr[1:17], port, nil, 0)
			}
			f.Role = RoleServer
		}
	}
	name, _ := s.paramText(e, "addr")
	f.setName(e, name)
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
		if len(addr) >= 7 {
			copy(f.DstIP[:4], addr[1:5])
			f.DstPort = binary.LittleEndian.Uint16(addr[5:])
		}
	case afInet6:
		if len(addr) < 19 {
			return
		}
		port := binary.LittleEndian.Uint16(addr[17:])
		if v4Mapped(addr[1:17]) {
			f.Type = scap.FDIPv4Sock
			copy(f.DstIP[:4], addr[13:17])
		} else {
			f.Type = scap.FDIPv6Sock
			copy(f.DstIP[:], addr[1:17])
		}
		f.DstPort = port
	default:
		name, _ := s.paramText(e, "addr")
		f.setName(e, name)
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
	f.Connected = true
	tuple := rawParam(e, "tuple")
	if len(tuple) == 0 {
		return
	}
	s.fillSocket(e, f, tuple)
	if f.Role == RoleNone {
		f.Role = RoleClient
	}
}

// fillSocket sets the type, ends and name of f from a connect's tuple
// (local -> remote); a UDP server's ends are swapped, so that the source
// stays the client.
func (s *State) fillSocket(e *event.Event, f *FD, tuple []byte) {
	switch tuple[0] {
	case afInet, afInet6:
		t, ok := decodeTuple(tuple)
		if !ok {
			return
		}
		if t.v6 {
			f.Type = scap.FDIPv6Sock
		} else {
			f.Type = scap.FDIPv4Sock
		}
		if f.updateEnds(&t) && f.Role == RoleServer && f.L4 == L4UDP {
			f.swapEnds()
		}
		s.nameAfterEnds(e, f)
	default:
		name, _ := s.paramText(e, "tuple")
		f.setName(e, name)
	}
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
	th.lastFD = fd
	var ft, l4 uint8
	var t tupleEnds
	switch tuple[0] {
	case afInet, afInet6:
		var ok bool
		if t, ok = decodeTuple(tuple); !ok {
			return
		}
		ft, l4 = scap.FDIPv4Sock, L4TCP
		if t.v6 {
			ft = scap.FDIPv6Sock
		}
	case afUnix:
		ft = scap.FDUnixSock
	default:
		return
	}
	name, _ := s.paramText(e, "tuple")
	if f := s.addFD(th.fdt, fd); f != nil {
		f.Type, f.L4, f.Role, f.Connected = ft, l4, RoleServer, true
		f.setEnds(t.sip, t.sport, t.dip, t.dport)
		f.setName(e, name)
	}
}

// tupleUpdate updates the socket of a successful recvfrom/recvmsg exit
// or sendto/sendmsg (whose tuple is in its enter event src, or in the
// exit itself in the current model) as sysdig does:
// the socket is connected, and unless it is a named TCP socket, its ends
// follow the tuple; a socket whose role is not known yet takes the role
// of the side that would start with this transfer.
func (s *State) tupleUpdate(e *event.Event, th *Thread, src *event.Event, inbound bool) {
	f := s.rwExit(e, th)
	if f == nil {
		return
	}
	if src == nil || (f.Name != "" && f.isTCP()) {
		return
	}
	tuple := rawParam(src, "tuple")
	if len(tuple) == 0 {
		return
	}
	switch tuple[0] {
	case afInet, afInet6:
		t, ok := decodeTuple(tuple)
		if !ok {
			return
		}
		if !t.v6 {
			f.Type = scap.FDIPv4Sock
		}
		if !f.updateEnds(&t) {
			return
		}
		if f.L4 == L4Unknown && f.IsConnSock() {
			f.L4 = L4UDP
		}
		s.fdev.completeEnds(f)
		if !f.IsConnSock() {
			// An IPv6 listening socket keeps its type; sysdig names it
			// after the tuple as the event shows it.
			s.nameAfterParam(e, f, src, "tuple")
			return
		}
		if f.Role == RoleNone {
			// A process owns the port of its own IPv4 socket, so sysdig's
			// guess comes down to the direction; for IPv6 it finds no
			// port and takes the socket for a client.
			f.Role = RoleClient
			if inbound && f.Type == scap.FDIPv4Sock {
				f.Role = RoleServer
			}
		}
		if (inbound && f.Role == RoleClient) || (!inbound && f.Role == RoleServer) {
			f.swapEnds()
		}
		s.nameAfterEnds(e, f)
	case afUnix:
		f.Type = scap.FDUnixSock
		name, _ := s.paramText(src, "tuple")
		f.setName(e, name)
	}
}

// rwExit notes that a successful transfer on an inet socket shows it
// connected. It returns the fd of a successful transfer.
func (s *State) rwExit(e *event.Event, th *Thread) *FD {
	if res, ok := paramInt(e, "res"); !ok || res < 0 {
		return nil
	}
	f := th.fdt.Get(th.lastFD)
	if f != nil && f.IsConnSock() {
		f.Connected = true
	}
	return f
}

// tupleEnds is a decoded inet socket tuple; IPv4-mapped pairs are IPv4.
type tupleEnds struct {
	sip, dip     []byte
	sport, dport uint16
	v6           bool
}

// decodeTuple decodes an inet socket tuple parameter.
func decodeTuple(t []byte) (tupleEnds, bool) {
	switch {
	case t[0] == afInet && len(t) >= 13:
		return tupleEnds{sip: t[1:5], sport: binary.LittleEndian.Uint16(t[5:]),
			dip: t[7:11], dport: binary.LittleEndian.Uint16(t[11:])}, true
	case t[0] == afInet6 && len(t) >= 37:
		r := tupleEnds{sip: t[1:17], sport: binary.LittleEndian.Uint16(t[17:]),
			dip: t[19:35], dport: binary.LittleEndian.Uint16(t[35:]), v6: true}
		if v4Mapped(r.sip) && v4Mapped(r.dip) {
			r.sip, r.dip, r.v6 = r.sip[12:], r.dip[12:], false
		}
		return r, true
	}
	return tupleEnds{}, false
}

// updateEnds merges a tuple into the socket's ends as sysdig does: a
// tuple equal to the ends, either way round, changes nothing; otherwise
// the source takes the tuple's and the destination is filled where still
// zero. It reports whether anything changed.
func (f *FD) updateEnds(t *tupleEnds) bool {
	n := len(t.sip)
	sameKind := (n == 4 && f.Type == scap.FDIPv4Sock) || (n == 16 && f.Type == scap.FDIPv6Sock)
	sip, dip := f.SrcIP[:n], f.DstIP[:n]
	if sameKind && ((bytes.Equal(t.sip, sip) && t.sport == f.SrcPort && bytes.Equal(t.dip, dip) && t.dport == f.DstPort) ||
		(bytes.Equal(t.dip, sip) && t.dport == f.SrcPort && bytes.Equal(t.sip, dip) && t.sport == f.DstPort)) {
		return false
	}
	changed := false
	if !bytes.Equal(sip, t.sip) {
		copy(sip, t.sip)
		changed = true
	}
	if f.SrcPort != t.sport {
		f.SrcPort, changed = t.sport, true
	}
	if isZero(dip) {
		copy(dip, t.dip)
		changed = true
	}
	if f.DstPort == 0 {
		f.DstPort, changed = t.dport, true
	}
	return changed
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// swapEnds exchanges the socket's source and destination.
func (f *FD) swapEnds() {
	f.SrcIP, f.DstIP = f.DstIP, f.SrcIP
	f.SrcPort, f.DstPort = f.DstPort, f.SrcPort
}

// isTCP reports what sysdig takes for a TCP socket: an IPv4 one.
func (f *FD) isTCP() bool { return f.Type == scap.FDIPv4Sock && f.L4 == L4TCP }

// nameAfterParam names f after parameter name of src as sysdig prints it,
// allocating only when the name changes.
func (s *State) nameAfterParam(e *event.Event, f *FD, src *event.Event, name string) {
	i := paramIndex(src, name)
	if i < 0 {
		return
	}
	s.buf = event.AppendValue(s.buf[:0], src, i, &src.Info().Params[i], nil)
	if string(s.buf) != f.Name {
		f.setName(e, string(s.buf))
	}
}

// nameAfterEnds names a connection socket "sip:sport->dip:dport".
func (s *State) nameAfterEnds(e *event.Event, f *FD) {
	s.buf = appendTuple(s.buf[:0], f.SrcAddr(), f.SrcPort, f.DstAddr(), f.DstPort)
	if string(s.buf) != f.Name {
		f.setName(e, string(s.buf))
	}
}

// pairExit adds the two fds of a pipe or socketpair.
func (s *State) pairExit(e *event.Event, th *Thread, ft uint8) {
	if res, ok := paramInt(e, "res"); !ok || res < 0 {
		return
	}
	ino, _ := paramInt(e, "ino")
	for i, n := range [2]string{"fd1", "fd2"} {
		fd, ok := paramInt(e, n)
		if !ok || fd < 0 {
			continue
		}
		f := s.addFD(th.fdt, fd)
		if f != nil {
			f.Type, f.Ino = ft, uint64(ino)
		}
		if i == 0 {
			s.fdev.designate(f) // the event is about the first fd, numbered as the second
		}
		th.lastFD = fd
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
	th.lastFD = fd
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
	cmd, _ := paramInt(s.argsOf(e, th), "cmd")
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
	th.lastFD = to
}

// openExit adds the fd of a successful open, named with the absolute path.
func (s *State) openExit(e *event.Event, th *Thread) {
	fd, ok := paramInt(e, "fd")
	if !ok {
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
		d := th.fdt.Get(dirfd)
		s.fdev.designate(d) // what a failed openat is about
		if d != nil {
			base = d.Name + "/"
		} else {
			base = "<UNKNOWN>"
		}
	}
	if fd < 0 {
		return
	}
	s.buf = appendJoin(s.buf[:0], base, name)
	path := string(s.buf)
	if f := s.addFD(th.fdt, fd); f != nil {
		f.Type = scap.FDFileV2
		if flags&(1<<10) != 0 { // PPM_O_DIRECTORY
			f.Type = scap.FDDirectory
		}
		f.Flags = uint32(flags)
		f.setName(e, path)
		f.NameRaw = string(name)
		if dev, ok := paramInt(e, "dev"); ok {
			f.Dev = uint32(dev)
		}
		s.fdev.designate(f)
	}
	th.lastFD = fd
}
