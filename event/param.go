package event

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// Param is one parameter value of an event: its schema (nil when the
// schema does not describe it) and its raw bytes, which alias the record.
type Param struct {
	Info *ParamInfo
	Raw  []byte
}

// Type returns the parameter type, or PTNone when the schema is unknown.
func (p Param) Type() ParamType {
	if p.Info == nil {
		return PTNone
	}
	return p.Info.Type
}

// Empty reports whether the value is absent (zero length), which producers
// use for "not available".
func (p Param) Empty() bool { return len(p.Raw) == 0 }

// Uint returns a fixed-size integer value zero-extended to 64 bits,
// reading as many bytes as the value has (1, 2, 4 or 8); other sizes give 0.
func (p Param) Uint() uint64 {
	switch len(p.Raw) {
	case 1:
		return uint64(p.Raw[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(p.Raw))
	case 4:
		return uint64(binary.LittleEndian.Uint32(p.Raw))
	case 8:
		return binary.LittleEndian.Uint64(p.Raw)
	}
	if len(p.Raw) > 8 {
		return binary.LittleEndian.Uint64(p.Raw)
	}
	return 0
}

// Int returns a fixed-size integer value sign-extended to 64 bits.
func (p Param) Int() int64 {
	switch len(p.Raw) {
	case 1:
		return int64(int8(p.Raw[0]))
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(p.Raw)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(p.Raw)))
	}
	return int64(p.Uint())
}

// Bytes returns a string value without its terminating NUL (and anything
// after the first NUL), aliasing the record.
func (p Param) Bytes() []byte {
	if i := bytes.IndexByte(p.Raw, 0); i >= 0 {
		return p.Raw[:i]
	}
	return p.Raw
}

// Str returns a string value as a Go string (it allocates).
func (p Param) Str() string { return string(p.Bytes()) }

// Socket address families as encoded in events (PPM_AF_*).
const (
	AFUnix  = 1
	AFInet  = 2
	AFInet6 = 10
)

// SockAddr decodes a PT_SOCKADDR value: family, address and port (inet),
// or the path (unix, in path). ok is false for an empty or short value.
func (p Param) SockAddr() (family uint8, addr netip.Addr, port uint16, path []byte, ok bool) {
	v := p.Raw
	if len(v) == 0 {
		return 0, netip.Addr{}, 0, nil, false
	}
	family = v[0]
	switch family {
	case AFInet:
		if len(v) != 7 {
			return family, netip.Addr{}, 0, nil, false
		}
		return family, netip.AddrFrom4([4]byte(v[1:5])), binary.LittleEndian.Uint16(v[5:]), nil, true
	case AFInet6:
		if len(v) != 19 {
			return family, netip.Addr{}, 0, nil, false
		}
		return family, netip.AddrFrom16([16]byte(v[1:17])), binary.LittleEndian.Uint16(v[17:]), nil, true
	case AFUnix:
		return family, netip.Addr{}, 0, cstr(v[1:]), true
	}
	return family, netip.Addr{}, 0, nil, true
}

// Tuple is a decoded PT_SOCKTUPLE value.
type Tuple struct {
	Family       uint8
	SrcIP, DstIP netip.Addr
	SrcPort      uint16
	DstPort      uint16
	SrcID, DstID uint64 // unix: kernel socket ids
	Path         []byte // unix: socket path
}

// SockTuple decodes a PT_SOCKTUPLE value. ok is false for an empty value or
// one whose size does not match its family.
func (p Param) SockTuple() (t Tuple, ok bool) {
	v := p.Raw
	if len(v) == 0 {
		return t, false
	}
	t.Family = v[0]
	switch t.Family {
	case AFInet:
		if len(v) != 13 {
			return t, false
		}
		t.SrcIP = netip.AddrFrom4([4]byte(v[1:5]))
		t.SrcPort = binary.LittleEndian.Uint16(v[5:])
		t.DstIP = netip.AddrFrom4([4]byte(v[7:11]))
		t.DstPort = binary.LittleEndian.Uint16(v[11:])
	case AFInet6:
		if len(v) != 37 {
			return t, false
		}
		t.SrcIP = netip.AddrFrom16([16]byte(v[1:17]))
		t.SrcPort = binary.LittleEndian.Uint16(v[17:])
		t.DstIP = netip.AddrFrom16([16]byte(v[19:35]))
		t.DstPort = binary.LittleEndian.Uint16(v[35:])
	case AFUnix:
		if len(v) < 17 {
			return t, false
		}
		t.SrcID = binary.LittleEndian.Uint64(v[1:])
		t.DstID = binary.LittleEndian.Uint64(v[9:])
		t.Path = cstr(v[17:])
	}
	return t, true
}

// FDListLen returns the number of entries of a PT_FDLIST value that its
// bytes actually hold.
func (p Param) FDListLen() int {
	if len(p.Raw) < 2 {
		return 0
	}
	n := int(binary.LittleEndian.Uint16(p.Raw))
	if max := (len(p.Raw) - 2) / 10; n > max {
		n = max
	}
	return n
}

// FDListAt returns entry i of a PT_FDLIST value: the fd and its poll flags.
func (p Param) FDListAt(i int) (fd int64, flags uint16) {
	o := 2 + 10*i
	return int64(binary.LittleEndian.Uint64(p.Raw[o:])), binary.LittleEndian.Uint16(p.Raw[o+8:])
}

// Dyn resolves a PT_DYN value: the chosen alternative and the value bytes
// after the index byte. ok is false when the index is out of range.
func (p Param) Dyn() (DynType, Param, bool) {
	if p.Info == nil || p.Info.Dyn == nil || len(p.Raw) == 0 {
		return DynType{}, Param{}, false
	}
	idx := int(p.Raw[0])
	if idx >= len(p.Info.Dyn.Types) {
		return DynType{}, Param{}, false
	}
	return p.Info.Dyn.Types[idx], Param{Raw: p.Raw[1:]}, true
}

func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
