package state

import (
	"bytes"
	"net/netip"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// fdEvent is what the model keeps to answer which fd an event concerns,
// and whether an address belongs to the host.
type fdEvent struct {
	// fd, when set, is the fd the event's handling designated, which is
	// not the thread's last fd: the first fd of a pipe, the directory fd
	// of a failed openat.
	fd  *FD
	set bool
	// v4 and v6 are the host's interface addresses, from the capture or
	// the live snapshot, in the order the section lists them.
	v4 []ifaceV4
	v6 [][16]byte
}

// ifaceV4 is an IPv4 interface address with its netmask.
type ifaceV4 struct{ addr, mask [4]byte }

// begin forgets the previous event's designation.
func (x *fdEvent) begin() { x.fd, x.set = nil, false }

// designate makes f the fd of the current event.
func (x *fdEvent) designate(f *FD) { x.fd, x.set = f, true }

// setInterfaces keeps the interface addresses of a capture section.
func (x *fdEvent) setInterfaces(sec *scap.Section) {
	x.v4, x.v6 = x.v4[:0], x.v6[:0]
	if sec == nil {
		return
	}
	for i := range sec.Interfaces {
		it := &sec.Interfaces[i]
		switch len(it.Addr) {
		case 4:
			v := ifaceV4{addr: [4]byte(it.Addr)}
			if len(it.Netmask) == 4 {
				v.mask = [4]byte(it.Netmask)
			}
			x.v4 = append(x.v4, v)
		case 16:
			x.v6 = append(x.v6, [16]byte(it.Addr))
		}
	}
}

// EventFD returns the fd event e concerns, as sysdig decides it: only
// events that create, use or destroy an fd have one; it is the fd the
// event's handling designated, or else the thread's last fd (the fd
// argument of the latest enter event, or the fd the latest exit created).
// num is that last fd number (-1 when the event named none); f is nil
// when the table has no such fd. ok is false for other events and for
// threads the model does not know.
func (s *State) EventFD(e *event.Event) (f *FD, num int64, ok bool) {
	if fdFlags(e)&(event.FlagCreatesFD|event.FlagUsesFD|event.FlagDestroysFD) == 0 {
		return nil, 0, false
	}
	th := s.Thread(e.TID())
	if th == nil {
		return nil, 0, false
	}
	num = th.lastFD
	if s.fdev.set {
		return s.fdev.fd, num, true
	}
	return th.fdt.Get(num), num, true
}

// fdFlags returns the fd flags of e's type as sysdig 0.29.3's event table
// has them, for the types it knows (current tables mark more syscalls,
// mmap for one, as using an fd); the current table's otherwise.
func fdFlags(e *event.Event) event.Flags { return fdFlagsOf(e.Type()) }

// fdFlagsOf returns the fd flags of event type t, as fdFlags.
func fdFlagsOf(t event.Type) event.Flags {
	if old := event.Legacy().Lookup(t); old != nil && old.Known() {
		return old.Flags
	}
	if info := event.Current().Lookup(t); info != nil {
		return info.Flags
	}
	return 0
}

// noteEnterFD sets the thread's last fd from an enter event, as sysdig
// does: the fd argument of an event that uses one, else none (-1).
// Scheduler switches and other events sysdig does not parse leave it.
func noteEnterFD(e *event.Event, th *Thread) {
	fl := fdFlags(e)
	if fl&event.FlagSkipParseReset != 0 || e.Name() == "switch" {
		return
	}
	th.lastFD = -1
	if fl&event.FlagUsesFD != 0 && e.NumParams() > 0 {
		if p := e.Param(0); len(p.Raw) >= 8 {
			th.lastFD = p.Int()
		}
	}
}

// NameChanged reports whether event e changed the name of fd f.
func (f *FD) NameChanged(e *event.Event) bool {
	return f.renamedNum == e.Num && f.renamedTS == e.TS() && f.renamedTS != 0
}

// setName names f, noting the event when the name changes.
func (f *FD) setName(e *event.Event, name string) {
	if name == f.Name {
		return
	}
	f.Name = name
	f.renamedNum, f.renamedTS = e.Num, e.TS()
}

// setEnds sets the socket ends from addresses of 4 or 16 bytes (nil: zero).
func (f *FD) setEnds(sip []byte, sport uint16, dip []byte, dport uint16) {
	f.SrcIP, f.DstIP = [16]byte{}, [16]byte{}
	copy(f.SrcIP[:], sip)
	copy(f.DstIP[:], dip)
	f.SrcPort, f.DstPort = sport, dport
}

// IsV4 reports whether the fd is an IPv4 socket, connected or listening.
func (f *FD) IsV4() bool { return f.Type == scap.FDIPv4Sock || f.Type == scap.FDIPv4ServSock }

// IsV6 reports whether the fd is an IPv6 socket, connected or listening.
func (f *FD) IsV6() bool { return f.Type == scap.FDIPv6Sock || f.Type == scap.FDIPv6ServSock }

// IsInet reports whether the fd is an IPv4 or IPv6 socket.
func (f *FD) IsInet() bool { return f.isInet() }

// IsConnSock reports whether the fd is a connection (not listening) inet socket.
func (f *FD) IsConnSock() bool { return f.Type == scap.FDIPv4Sock || f.Type == scap.FDIPv6Sock }

// IsFile reports whether the fd is a regular file.
func (f *FD) IsFile() bool { return f.Type == scap.FDFile || f.Type == scap.FDFileV2 }

// IsDir reports whether the fd is a directory.
func (f *FD) IsDir() bool { return f.Type == scap.FDDirectory }

// SrcAddr returns the client (or bound) address in network order: 4
// bytes for IPv4 sockets, 16 for IPv6 ones.
func (f *FD) SrcAddr() []byte { return f.addr(&f.SrcIP) }

// DstAddr returns the server address in network order.
func (f *FD) DstAddr() []byte { return f.addr(&f.DstIP) }

func (f *FD) addr(a *[16]byte) []byte {
	if f.IsV4() {
		return a[:4]
	}
	return a[:]
}

// NetAddr returns an address of the fd as a netip.Addr.
func NetAddr(b []byte) netip.Addr {
	if len(b) == 4 {
		return netip.AddrFrom4([4]byte(b))
	}
	return netip.AddrFrom16([16]byte(b))
}

// L4Proto returns the fd's protocol as sysdig reports it: L4NA for
// non-sockets and for connection sockets whose role is not known (raw
// sockets excepted).
func (f *FD) L4Proto() uint8 {
	switch f.Type {
	case scap.FDIPv4Sock, scap.FDIPv6Sock:
		if f.L4 == L4Raw {
			return L4Raw
		}
		if f.Role == RoleNone {
			return L4NA
		}
		return f.L4
	case scap.FDIPv4ServSock, scap.FDIPv6ServSock:
		return f.L4
	}
	return L4NA
}

// IsLocal reports whether address a (4 or 16 bytes) belongs to the host
// of thread th as the capture's interface list describes it: an IPv4
// address must be one of the host's; an IPv6 address must share its
// first 64 bits with one. IPv6 addresses of containers are never local,
// as in sysdig.
func (s *State) IsLocal(th *Thread, a []byte) bool {
	switch len(a) {
	case 4:
		for i := range s.fdev.v4 {
			if bytes.Equal(s.fdev.v4[i].addr[:], a) {
				return true
			}
		}
	case 16:
		if th != nil && th.ContainerID != "" {
			return false
		}
		for i := range s.fdev.v6 {
			if bytes.Equal(s.fdev.v6[i][:8], a[:8]) {
				return true
			}
		}
	}
	return false
}

// JoinPath appends base followed by the relative path rel, normalised as
// sysdig normalises paths (an absolute rel ignores base).
func JoinPath(dst []byte, base string, rel []byte) []byte { return appendJoin(dst, base, rel) }

// fixInitialSockets gives the IPv4 connections of a capture's initial
// state their direction, as sysdig does: a connection whose source port
// is the port of a listening socket (of any process) is the server's side
// of it, its ends swapped so that the source is the client; any other is
// a client.
func (s *State) fixInitialSockets() {
	ports := map[uint16]bool{}
	tables := map[*FDTable]bool{}
	for _, th := range s.threads {
		if th.fdt == nil || tables[th.fdt] {
			continue
		}
		tables[th.fdt] = true
		th.fdt.Each(func(f *FD) {
			if f.Type == scap.FDIPv4ServSock || f.Type == scap.FDIPv6ServSock {
				ports[f.SrcPort] = true
			}
		})
	}
	for t := range tables {
		t.Each(func(f *FD) {
			if f.Type != scap.FDIPv4Sock {
				return
			}
			if !ports[f.SrcPort] {
				f.Role = RoleClient
				return
			}
			f.swapEnds()
			f.Role = RoleServer
			s.buf = appendTuple(s.buf[:0], f.SrcAddr(), f.SrcPort, f.DstAddr(), f.DstPort)
			f.Name = string(s.buf)
		})
	}
}
