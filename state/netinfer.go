package state

import "github.com/kestrel-sec/kestrel/scap"

// Address inference. A datagram tuple lacks the local address when the
// socket is bound to none: an unbound socket that sends shows 0.0.0.0 (or
// ::) as its source. After each tuple update the model fills the missing
// end from the host's interfaces, as libsinsp does
// (sinsp_network_interfaces::update_fd, the same in sysdig 0.29.3 and
// libs 0.25):
//
//   - only connection sockets (IPv4 or IPv6) with one end zero are
//     completed; the zero end is the source if both are;
//   - the address is inferred from the other end: the interface that has
//     that very address, else the first on its subnet (its netmask for
//     IPv4, the first 64 bits for IPv6), else the first interface that is
//     not loopback (127.0.0.1, ::1), else zero;
//   - nothing changes when the inferred address is the other end itself
//     and both ports are equal (a socket talking to itself).
//
// The interfaces are those of the capture's interface-list block, or of
// the live snapshot. The sockets of the initial state are not completed:
// libsinsp reads them before it reads the interfaces.

var (
	loopbackV4 = [4]byte{127, 0, 0, 1}
	loopbackV6 = [16]byte{15: 1}
)

// inferV4 returns the host's IPv4 address for talking to peer.
func (x *fdEvent) inferV4(peer [4]byte) [4]byte {
	for i := range x.v4 {
		if x.v4[i].addr == peer {
			return peer
		}
	}
	for i := range x.v4 {
		it := &x.v4[i]
		if and4(it.addr, it.mask) == and4(peer, it.mask) {
			return it.addr
		}
	}
	for i := range x.v4 {
		if x.v4[i].addr != loopbackV4 {
			return x.v4[i].addr
		}
	}
	return [4]byte{}
}

func and4(a, m [4]byte) [4]byte {
	return [4]byte{a[0] & m[0], a[1] & m[1], a[2] & m[2], a[3] & m[3]}
}

// inferV6 returns the host's IPv6 address for talking to peer.
func (x *fdEvent) inferV6(peer [16]byte) [16]byte {
	for i := range x.v6 {
		if x.v6[i] == peer {
			return peer
		}
	}
	for i := range x.v6 {
		if [8]byte(x.v6[i][:8]) == [8]byte(peer[:8]) {
			return x.v6[i]
		}
	}
	for i := range x.v6 {
		if x.v6[i] != loopbackV6 {
			return x.v6[i]
		}
	}
	return [16]byte{}
}

// completeEnds fills the missing end of connection socket f.
func (x *fdEvent) completeEnds(f *FD) {
	switch f.Type {
	case scap.FDIPv4Sock:
		src, dst := [4]byte(f.SrcIP[:4]), [4]byte(f.DstIP[:4])
		zero := [4]byte{}
		switch {
		case src != zero && dst != zero:
		case src == zero:
			if a := x.inferV4(dst); a != dst || f.SrcPort != f.DstPort {
				copy(f.SrcIP[:4], a[:])
			}
		default:
			if a := x.inferV4(src); a != src || f.SrcPort != f.DstPort {
				copy(f.DstIP[:4], a[:])
			}
		}
	case scap.FDIPv6Sock:
		zero := [16]byte{}
		switch {
		case f.SrcIP != zero && f.DstIP != zero:
		case f.SrcIP == zero:
			if a := x.inferV6(f.DstIP); a != f.DstIP || f.SrcPort != f.DstPort {
				f.SrcIP = a
			}
		default:
			if a := x.inferV6(f.SrcIP); a != f.SrcIP || f.SrcPort != f.DstPort {
				f.DstIP = a
			}
		}
	}
}
