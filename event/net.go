package event

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

func appendIPv4(dst, v []byte) []byte {
	return netip.AddrFrom4([4]byte(v[:4])).AppendTo(dst)
}

func appendIPv6(dst, v []byte) []byte {
	return netip.AddrFrom16([16]byte(v[:16])).AppendTo(dst)
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

func appendPrintable(dst, s []byte) []byte {
	for _, c := range cstr(s) {
		if isPrint(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendSockAddr renders a PT_SOCKADDR value: "ip:port", a unix path,
// "NULL" when empty, "family N" for other families.
func appendSockAddr(dst []byte, p Param) []byte {
	v := p.Raw
	if len(v) == 0 {
		return append(dst, "NULL"...)
	}
	switch v[0] {
	case AFUnix:
		return appendPrintable(dst, v[1:])
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
	return strconv.AppendUint(append(dst, "family "...), uint64(v[0]), 10)
}

// v4Like reports whether a 16-byte address is IPv4-mapped or all zero,
// which sysdig prints in IPv4 form.
func v4Like(a []byte) bool {
	for _, c := range a[:10] {
		if c != 0 {
			return false
		}
	}
	return (a[10] == 0xff && a[11] == 0xff) || (a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0)
}

// appendSockTuple renders a PT_SOCKTUPLE value: "sip:sport->dip:dport", or
// "srcid->dstid path" in hex for unix sockets.
func appendSockTuple(dst []byte, p Param) []byte {
	v := p.Raw
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
		return appendPrintable(dst, v[17:])
	}
	return strconv.AppendUint(append(dst, "family "...), uint64(v[0]), 10)
}

// appendFDList renders a PT_FDLIST value as "fd:Tflags" items separated by
// spaces, T being the fd's type character ('?' when unknown).
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
		dst = strconv.AppendUint(dst, uint64(fl), 16)
	}
	return dst
}
