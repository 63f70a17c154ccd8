// Package evtest builds event records from readable values, for tests and
// for the tools that make example captures. A record follows the schema it
// is built with: [event.Legacy] gives what sysdig 0.29.3 reads.
package evtest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
)

// Tuple is a socket tuple value: source and destination address and port.
type Tuple struct{ Src, Dst netip.AddrPort }

// UnixTuple is a unix socket tuple value.
type UnixTuple struct {
	Src, Dst uint64
	Path     string
}

// Unix is a unix socket address value.
type Unix string

// Poll is one entry of an fd list value.
type Poll struct {
	FD    int64
	Flags uint16
}

// Record builds the record of an event of type t named per schema s, with
// parameter values taken by name from vals. A parameter missing from vals
// gets the zero value of its type, full width (empty for strings and
// buffers). Values are Go integers, strings, []byte (used as they are),
// []string (a list of NUL-terminated strings), netip.AddrPort, Unix, Tuple,
// UnixTuple or []Poll, as the parameter type requires.
func Record(s *event.Schema, ts uint64, tid int64, t event.Type, vals map[string]any) ([]byte, error) {
	info := s.Lookup(t)
	if info == nil || !info.Known() {
		return nil, fmt.Errorf("event type %d is not in the %s schema", t, s.Name)
	}
	used := 0
	out := make([][]byte, len(info.Params))
	for i := range info.Params {
		p := &info.Params[i]
		v, ok := vals[p.Name]
		if ok {
			used++
		}
		b, err := encode(p.Type, v, ok)
		if err != nil {
			return nil, fmt.Errorf("%s parameter %s: %w", info.Name, p.Name, err)
		}
		out[i] = b
	}
	if used != len(vals) {
		var names []string
		for i := range info.Params {
			names = append(names, info.Params[i].Name)
		}
		return nil, fmt.Errorf("%s (type %d): some values name no parameter; the parameters are %s", info.Name, t, strings.Join(names, ", "))
	}
	return event.AppendRecord(nil, ts, tid, t, out...)
}

// MustRecord is Record for values known to be right; it panics otherwise.
func MustRecord(s *event.Schema, ts uint64, tid int64, t event.Type, vals map[string]any) []byte {
	b, err := Record(s, ts, tid, t, vals)
	if err != nil {
		panic(err)
	}
	return b
}

func width(t event.ParamType) int {
	switch t {
	case event.PTInt8, event.PTUint8, event.PTSigType, event.PTFlags8, event.PTEnumFlags8, event.PTL4Proto, event.PTSockFamily:
		return 1
	case event.PTInt16, event.PTUint16, event.PTFlags16, event.PTEnumFlags16, event.PTSyscallID, event.PTPort:
		return 2
	case event.PTInt32, event.PTUint32, event.PTFlags32, event.PTEnumFlags32, event.PTMode, event.PTUID,
		event.PTGID, event.PTSigSet, event.PTBool, event.PTFD32, event.PTPID32, event.PTIPv4Addr:
		return 4
	case event.PTInt64, event.PTUint64, event.PTErrno, event.PTFD, event.PTPID, event.PTRelTime,
		event.PTAbsTime, event.PTDouble:
		return 8
	}
	return 0
}

func encode(t event.ParamType, v any, present bool) ([]byte, error) {
	if raw, ok := v.([]byte); ok {
		return raw, nil
	}
	if w := width(t); w > 0 {
		n, err := toUint(v, present)
		if err != nil {
			return nil, err
		}
		b := binary.LittleEndian.AppendUint64(nil, n)
		return b[:w], nil
	}
	if !present {
		switch t {
		case event.PTCharBuf, event.PTFSPath, event.PTFSRelPath:
			return []byte{0}, nil
		}
		return nil, nil
	}
	switch x := v.(type) {
	case string:
		if t == event.PTByteBuf {
			return []byte(x), nil
		}
		return append([]byte(x), 0), nil
	case []string:
		var b []byte
		for _, s := range x {
			b = append(append(b, s...), 0)
		}
		return b, nil
	case netip.AddrPort:
		return sockaddr(x), nil
	case Unix:
		return append(append([]byte{event.AFUnix}, x...), 0), nil
	case Tuple:
		return tuple(x), nil
	case UnixTuple:
		b := []byte{event.AFUnix}
		b = binary.LittleEndian.AppendUint64(b, x.Src)
		b = binary.LittleEndian.AppendUint64(b, x.Dst)
		return append(append(b, x.Path...), 0), nil
	case []Poll:
		b := binary.LittleEndian.AppendUint16(nil, uint16(len(x)))
		for _, p := range x {
			b = binary.LittleEndian.AppendUint64(b, uint64(p.FD))
			b = binary.LittleEndian.AppendUint16(b, p.Flags)
		}
		return b, nil
	}
	return nil, fmt.Errorf("cannot encode %T as parameter type %s", v, event.TypeName(t))
}

func toUint(v any, present bool) (uint64, error) {
	if !present {
		return 0, nil
	}
	switch x := v.(type) {
	case int:
		return uint64(x), nil
	case int64:
		return uint64(x), nil
	case int32:
		return uint64(uint32(x)), nil
	case uint:
		return uint64(x), nil
	case uint64:
		return x, nil
	case uint32:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint8:
		return uint64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case netip.Addr:
		if x.Is4() {
			a := x.As4()
			return uint64(binary.LittleEndian.Uint32(a[:])), nil
		}
	}
	return 0, fmt.Errorf("cannot encode %T as a number", v)
}

func sockaddr(a netip.AddrPort) []byte {
	var b []byte
	if a.Addr().Is4() {
		ip := a.Addr().As4()
		b = append([]byte{event.AFInet}, ip[:]...)
	} else {
		ip := a.Addr().As16()
		b = append([]byte{event.AFInet6}, ip[:]...)
	}
	return binary.LittleEndian.AppendUint16(b, a.Port())
}

func tuple(t Tuple) []byte {
	if t.Src.Addr().Is4() && t.Dst.Addr().Is4() {
		s, d := t.Src.Addr().As4(), t.Dst.Addr().As4()
		b := append([]byte{event.AFInet}, s[:]...)
		b = binary.LittleEndian.AppendUint16(b, t.Src.Port())
		b = append(b, d[:]...)
		return binary.LittleEndian.AppendUint16(b, t.Dst.Port())
	}
	s, d := t.Src.Addr().As16(), t.Dst.Addr().As16()
	b := append([]byte{event.AFInet6}, s[:]...)
	b = binary.LittleEndian.AppendUint16(b, t.Src.Port())
	b = append(b, d[:]...)
	return binary.LittleEndian.AppendUint16(b, t.Dst.Port())
}
