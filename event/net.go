package event

import (
	"encoding/binary"
	"strconv"
)

// AppendIP renders a 4- or 16-byte address in network order as sysdig
// prints it (glibc's inet_ntop form); other lengths append nothing.
func AppendIP(dst, v []byte) []byte {
	switch len(v) {
	case 4:
		return appendIPv4(dst, v)
	case 16:
		return appendIPv6(dst, v)
	}
	return dst
}

// appendIPv4 renders 4 bytes in network order as a dotted quad.
func appendIPv4(dst, v []byte) []byte {
	for i := 0; i < 4; i++ {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(v[i]), 10)
	}
	return dst
}

// appendIPv6 renders 16 bytes in network order the way glibc's inet_ntop
// does, which is what sysdig prints: lower-case hex groups, the first
// longest run of two or more zero groups shortened to "::", and the last
// 32 bits as a dotted quad for IPv4-compatible (::a.b.c.d, with a non-zero
// seventh group) and IPv4-mapped (::ffff:a.b.c.d) addresses.
func appendIPv6(dst, v []byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = binary.BigEndian.Uint16(v[2*i:])
	}
	base, length := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > length {
			base, length = i, j-i
		}
		i = j
	}
	if length < 2 {
		base = -1
	}
	for i := 0; i < 8; i++ {
		if base >= 0 && i >= base && i < base+length {
			if i == base {
				dst = append(dst, ':')
			}
			continue
		}
		if i != 0 {
			dst = append(dst, ':')
		}
		if i == 6 && base == 0 && (length == 6 || (length == 5 && w[5] == 0xffff)) {
			return appendIPv4(dst, v[12:16])
		}
		dst = strconv.AppendUint(dst, uint64(w[i]), 16)
	}
	if base >= 0 && base+length == 8 {
		dst = append(dst, ':')
	}
	return dst
}

func appendIPPort(dst, ip []byte, port uint16, v6 bool) []byte {
	if v6 {
		dst = appendIPv6(dst, ip)
	} else {
		dst = appendIPv4(dst, ip)
	}
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(port), 10)
}

// appendFamily renders an address family sysdig does not decode: "family
// N", the family byte taken as a signed char.
func appendFamily(dst []byte, fam byte) []byte {
	return strconv.AppendInt(append(dst, "family "...), int64(int8(fam)), 10)
}

// appendSockAddr renders a PT_SOCKADDR value:
//
//   - empty: "NULL"
//   - inet (7 bytes): "1.2.3.4:80"; another size: "INVALID IPv4"
//   - inet6 (19 bytes): "::1:443" (the address as inet_ntop prints it, no
//     brackets); another size: "INVALID IPv6"
//   - unix: the path up to its NUL, printable ASCII only (an abstract
//     socket, whose name starts with NUL, prints as nothing)
//   - any other family: "family N"
func appendSockAddr(dst, v []byte) []byte {
	if len(v) == 0 {
		return append(dst, "NULL"...)
	}
	switch v[0] {
	case AFUnix:
		return appendPrintable(dst, cstr(v[1:]))
	case AFInet:
		if len(v) != 7 {
			return append(dst, "INVALID IPv4"...)
		}
		return appendIPPort(dst, v[1:5], binary.LittleEndian.Uint16(v[5:]), false)
	case AFInet6:
		if len(v) != 19 {
			return append(dst, "INVALID IPv6"...)
		}
		return appendIPPort(dst, v[1:17], binary.LittleEndian.Uint16(v[17:]), true)
	}
	return appendFamily(dst, v[0])
}

// v4Like reports whether a 16-byte address is IPv4-mapped or all zero,
// which sysdig prints in IPv4 form when both ends of a tuple are.
func v4Like(a []byte) bool {
	for _, c := range a[:10] {
		if c != 0 {
			return false
		}
	}
	return (a[10] == 0xff && a[11] == 0xff) || (a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0)
}

// appendSockTuple renders a PT_SOCKTUPLE value:
//
//   - empty: "NULL"
//   - inet (13 bytes): "sip:sport->dip:dport"; another size: "INVALID IPv4"
//   - inet6 (37 bytes): in IPv4 form when both addresses are IPv4-mapped or
//     zero, otherwise both in inet_ntop form; another size: "INVALID IPv6"
//   - unix (17 bytes or more): "srcid->dstid path", the ids in lower-case
//     hex, the path sanitised as for PT_SOCKADDR. A shorter value prints
//     "INVALID UNIX" (sysdig reads past the value).
//   - any other family: "family N"
func appendSockTuple(dst, v []byte) []byte {
	if len(v) == 0 {
		return append(dst, "NULL"...)
	}
	switch v[0] {
	case AFInet:
		if len(v) != 13 {
			return append(dst, "INVALID IPv4"...)
		}
		dst = appendIPPort(dst, v[1:5], binary.LittleEndian.Uint16(v[5:]), false)
		dst = append(dst, "->"...)
		return appendIPPort(dst, v[7:11], binary.LittleEndian.Uint16(v[11:]), false)
	case AFInet6:
		if len(v) != 37 {
			return append(dst, "INVALID IPv6"...)
		}
		sip, dip := v[1:17], v[19:35]
		sport, dport := binary.LittleEndian.Uint16(v[17:]), binary.LittleEndian.Uint16(v[35:])
		if v4Like(sip) && v4Like(dip) {
			dst = appendIPPort(dst, sip[12:], sport, false)
			dst = append(dst, "->"...)
			return appendIPPort(dst, dip[12:], dport, false)
		}
		dst = appendIPPort(dst, sip, sport, true)
		dst = append(dst, "->"...)
		return appendIPPort(dst, dip, dport, true)
	case AFUnix:
		if len(v) < 17 {
			return append(dst, "INVALID UNIX"...)
		}
		dst = strconv.AppendUint(dst, binary.LittleEndian.Uint64(v[1:]), 16)
		dst = append(dst, "->"...)
		dst = strconv.AppendUint(dst, binary.LittleEndian.Uint64(v[9:]), 16)
		dst = append(dst, ' ')
		return appendPrintable(dst, cstr(v[17:]))
	}
	return appendFamily(dst, v[0])
}

// appendFDList renders a PT_FDLIST value as "fd:Tflags" items separated by
// spaces: the fd as an unsigned 64-bit number (-1 prints
// 18446744073709551615), T the fd's type character ('?' when unknown), the
// flags in lower-case hex after sign extension from 16 bits (0x8000 prints
// ffff8000). Only the entries the value holds are printed, whatever its
// count says.
func appendFDList(dst []byte, e *Event, p Param, r Resolver) []byte {
	n := p.FDListLen()
	for i := 0; i < n; i++ {
		fd, fl := p.FDListAt(i)
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendUint(dst, uint64(fd), 10)
		dst = append(dst, ':')
		c := byte('?')
		if r != nil {
			c = r.FDTypeChar(e, fd)
		}
		dst = append(dst, c)
		dst = strconv.AppendUint(dst, uint64(uint32(int32(int16(fl)))), 16)
	}
	return dst
}
