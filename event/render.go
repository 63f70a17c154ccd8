package event

import (
	"encoding/binary"
	"math/bits"
	"strconv"

	"golang.org/x/sys/unix"
)

// Resolver supplies the state-dependent text that sysdig prints in
// parentheses after some values: the fd's type and name, the process name of
// a pid, user and group names, the absolute form of a relative path. Each
// method appends the text (without parentheses) to dst and reports whether
// it knew any. A nil Resolver knows nothing.
type Resolver interface {
	AppendFD(dst []byte, e *Event, fd int64) ([]byte, bool)
	AppendPID(dst []byte, e *Event, pid int64) ([]byte, bool)
	AppendUser(dst []byte, e *Event, uid uint32) ([]byte, bool)
	AppendGroup(dst []byte, e *Event, gid uint32) ([]byte, bool)
	AppendPath(dst []byte, e *Event, dirfd int64, path []byte) ([]byte, bool)
	FDTypeChar(e *Event, fd int64) byte
}

// DefaultBufLen is how many characters of a byte buffer sysdig prints in
// evt.args before cutting it with "...".
const DefaultBufLen = 80

// AppendArgs appends the event's arguments the way sysdig prints %evt.args:
// "name=value " for each parameter, with the resolved text in parentheses
// where sysdig has it. Generic syscall events print no arguments.
func AppendArgs(dst []byte, e *Event, r Resolver) []byte {
	t := e.Type()
	if t <= 1 { // generic syscall events: sysdig prints no arguments
		return dst
	}
	info := Display(t, e.n)
	if info == nil {
		return dst
	}
	n := min(e.n, len(info.Params))
	for i := 0; i < n; i++ {
		pi := &info.Params[i]
		dst = append(dst, pi.Name...)
		dst = append(dst, '=')
		dst = AppendValue(dst, e, i, pi, r)
		dst = append(dst, ' ')
	}
	return dst
}

// AppendValue appends parameter i of e rendered as sysdig renders it in
// evt.args, using the schema pi (which may differ from e's own, see
// [Display]).
func AppendValue(dst []byte, e *Event, i int, pi *ParamInfo, r Resolver) []byte {
	p := Param{Info: pi, Raw: e.raw[e.offs[i]:e.offs[i+1]]}
	return appendValue(dst, e, p, pi.Type, pi.Fmt, r)
}

func appendValue(dst []byte, e *Event, p Param, t ParamType, f PrintFmt, r Resolver) []byte {
	v := p.Raw
	switch t {
	case PTInt8, PTUint8:
		return appendNum(dst, v, 1, f)
	case PTInt16, PTUint16:
		return appendNum(dst, v, 2, f)
	case PTInt32, PTUint32, PTFD32, PTPID32:
		return appendNum(dst, v, 4, f)
	case PTInt64, PTUint64:
		return appendNum(dst, v, 8, f)
	case PTFD:
		return appendResolved(dst, v, func(d []byte, x int64) ([]byte, bool) {
			if r == nil {
				return d, false
			}
			return r.AppendFD(d, e, x)
		})
	case PTPID:
		return appendResolved(dst, v, func(d []byte, x int64) ([]byte, bool) {
			if r == nil {
				return d, false
			}
			return r.AppendPID(d, e, x)
		})
	case PTErrno:
		return appendErrno(dst, v)
	case PTCharBuf:
		return append(dst, cstr(v)...)
	case PTFSPath, PTFSRelPath:
		return appendPath(dst, e, p, r)
	case PTByteBuf:
		return AppendBuffer(dst, v, DefaultBufLen)
	case PTSockAddr:
		return appendSockAddr(dst, p)
	case PTSockTuple:
		return appendSockTuple(dst, p)
	case PTFDList:
		return appendFDList(dst, e, p, r)
	case PTSyscallID:
		return appendSyscallID(dst, v)
	case PTSigType:
		return appendSignal(dst, v)
	case PTRelTime:
		return appendRelTime(dst, v)
	case PTFlags8, PTFlags16, PTFlags32, PTEnumFlags8, PTEnumFlags16, PTEnumFlags32:
		return appendFlagNames(strconv.AppendUint(dst, p.Uint(), 10), p)
	case PTMode:
		return appendFlagNames(appendNum(dst, v, 4, f), p)
	case PTUID, PTGID:
		return appendID(dst, e, p, t, r)
	case PTSigSet:
		return appendSigSet(dst, v)
	case PTDyn:
		dt, sub, ok := p.Dyn()
		if !ok {
			return append(dst, "INVALID DYNAMIC PARAMETER"...)
		}
		return appendValue(dst, e, sub, dt.Type, f, r)
	case PTAbsTime:
		return strconv.AppendUint(dst, p.Uint(), 10)
	case PTIPv4Addr, PTIPv6Addr, PTIPAddr:
		return appendIPAddr(dst, v)
	case PTPort:
		return strconv.AppendUint(dst, p.Uint(), 10)
	case PTCharBufArray:
		return AppendBuffer(dst, v, DefaultBufLen)
	}
	return append(dst, "(n.a.)"...)
}

// appendNum renders a fixed-size integer of size bytes with print format f,
// as sysdig does: decimal values are printed signed, hex in upper case
// without a prefix, octal with a leading 0.
func appendNum(dst, v []byte, size int, f PrintFmt) []byte {
	if len(v) < size {
		return dst
	}
	var u uint64
	switch size {
	case 1:
		u = uint64(v[0])
	case 2:
		u = uint64(binary.LittleEndian.Uint16(v))
	case 4:
		u = uint64(binary.LittleEndian.Uint32(v))
	default:
		u = binary.LittleEndian.Uint64(v)
	}
	switch f {
	case FmtHex:
		return appendUpperHex(dst, u)
	case FmtOct:
		if u == 0 {
			return append(dst, '0')
		}
		return strconv.AppendUint(append(dst, '0'), u, 8)
	case FmtPaddedDec:
		return appendPadded(dst, signExtend(u, size), 9)
	}
	return strconv.AppendInt(dst, signExtend(u, size), 10)
}

func signExtend(u uint64, size int) int64 {
	shift := uint(64 - 8*size)
	return int64(u<<shift) >> shift
}

// appendPadded renders s like C's "%0*d": zero padded to width characters,
// the sign included.
func appendPadded(dst []byte, s int64, width int) []byte {
	var tmp [24]byte
	b := strconv.AppendInt(tmp[:0], s, 10)
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
		width--
	}
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

func appendUpperHex(dst []byte, u uint64) []byte {
	const digits = "0123456789ABCDEF"
	if u == 0 {
		return append(dst, '0')
	}
	n := (bits.Len64(u) + 3) / 4
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, digits[(u>>(4*uint(i)))&0xf])
	}
	return dst
}

func appendResolved(dst, v []byte, resolve func([]byte, int64) ([]byte, bool)) []byte {
	if len(v) < 8 {
		return dst
	}
	x := int64(binary.LittleEndian.Uint64(v))
	dst = strconv.AppendInt(dst, x, 10)
	return appendParen(dst, func(d []byte) ([]byte, bool) { return resolve(d, x) })
}

// appendParen appends "(text)" when fill produces some text, and nothing otherwise.
func appendParen(dst []byte, fill func([]byte) ([]byte, bool)) []byte {
	mark := len(dst)
	dst = append(dst, '(')
	dst, ok := fill(dst)
	if !ok {
		return dst[:mark]
	}
	return append(dst, ')')
}

func appendErrno(dst, v []byte) []byte {
	if len(v) < 8 {
		return dst
	}
	x := int64(binary.LittleEndian.Uint64(v))
	dst = strconv.AppendInt(dst, x, 10)
	if x >= 0 {
		return dst
	}
	dst = append(dst, '(')
	dst = append(dst, ErrnoName(-x)...)
	return append(dst, ')')
}

// ErrnoName returns the symbolic name of a Linux errno value ("ENOENT"),
// or "UNKNOWN" when it has none.
func ErrnoName(n int64) string {
	if n <= 0 || n > 4095 {
		return "UNKNOWN"
	}
	if s := unix.ErrnoName(unix.Errno(n)); s != "" {
		return s
	}
	return "UNKNOWN"
}

func appendPath(dst []byte, e *Event, p Param, r Resolver) []byte {
	s := cstr(p.Raw)
	for _, c := range s {
		if isPrint(c) {
			dst = append(dst, c)
		}
	}
	if len(s) == 0 || s[0] == '/' || r == nil {
		return dst
	}
	dirfd := int64(-100) // AT_FDCWD
	if p.Info != nil && p.Info.DirFD >= 0 && int(p.Info.DirFD) < e.n {
		dirfd = e.Param(int(p.Info.DirFD)).Int()
	}
	return appendParen(dst, func(d []byte) ([]byte, bool) { return r.AppendPath(d, e, dirfd, s) })
}

func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7e }

// AppendBuffer appends a byte buffer as sysdig prints it: printable ASCII
// kept, every other byte shown as '.', and a buffer longer than max cut to
// max-3 characters followed by "...". A max of 0 means no limit.
func AppendBuffer(dst, v []byte, max int) []byte {
	cut := false
	if max > 0 && len(v) > max {
		v, cut = v[:max-3], true
	}
	for _, c := range v {
		if !isPrint(c) {
			c = '.'
		}
		dst = append(dst, c)
	}
	if cut {
		dst = append(dst, "..."...)
	}
	return dst
}

func appendSyscallID(dst, v []byte) []byte {
	if len(v) < 2 {
		return dst
	}
	id := binary.LittleEndian.Uint16(v)
	dst = strconv.AppendUint(dst, uint64(id), 10)
	if name := legacySchema.SyscallName(id); name != "" {
		dst = append(dst, '(')
		dst = append(dst, name...)
		dst = append(dst, ')')
	}
	return dst
}

func appendSignal(dst, v []byte) []byte {
	if len(v) < 1 {
		return dst
	}
	dst = strconv.AppendUint(dst, uint64(v[0]), 10)
	if name := SignalName(v[0]); name != "" {
		dst = append(dst, '(')
		dst = append(dst, name...)
		dst = append(dst, ')')
	}
	return dst
}

var signalNames = [...]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
	8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
	14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
	20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
	26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
}

// SignalName returns the name of a Linux signal number ("SIGKILL"), or "".
func SignalName(sig uint8) string {
	if int(sig) < len(signalNames) {
		return signalNames[sig]
	}
	return ""
}

func appendRelTime(dst, v []byte) []byte {
	if len(v) < 8 {
		return dst
	}
	u := binary.LittleEndian.Uint64(v)
	if u == ^uint64(0) {
		return append(dst, "none"...)
	}
	return strconv.AppendUint(dst, u, 10)
}

func appendSigSet(dst, v []byte) []byte {
	if len(v) < 4 {
		return dst
	}
	m := binary.LittleEndian.Uint32(v)
	first := true
	for s := 0; s < 32; s++ {
		if m&(1<<s) == 0 {
			continue
		}
		name := SignalName(uint8(s + 1))
		if name == "" {
			continue
		}
		if !first {
			dst = append(dst, ' ')
		}
		dst = append(dst, name...)
		first = false
	}
	return dst
}

// appendFlagNames appends "(NAME|NAME)" after an already rendered number
// when the parameter has a flag table and some names match. Like sysdig, it
// scans the table in order: entries before the first one equal to the whole
// value contribute the bits they cover, and that exact entry ends the list.
func appendFlagNames(dst []byte, p Param) []byte {
	if p.Info == nil || p.Info.Flags == nil || len(p.Raw) == 0 {
		return dst
	}
	initial := uint32(p.Uint())
	val := initial
	mark := len(dst)
	dst = append(dst, '(')
	sep := false
	add := func(name string) {
		if sep {
			dst = append(dst, '|')
		}
		dst = append(dst, name...)
		sep = true
	}
	tab := p.Info.Flags.Entries
	i := 0
	for ; i < len(tab) && tab[i].Value != initial; i++ {
		fv := tab[i].Value
		if (fv == 0 && initial == 0) || (fv != 0 && val&fv == fv && val != 0) {
			add(tab[i].Name)
			val &^= fv
		}
	}
	if i < len(tab) {
		add(tab[i].Name)
	}
	if !sep {
		return dst[:mark]
	}
	return append(dst, ')')
}

func appendID(dst []byte, e *Event, p Param, t ParamType, r Resolver) []byte {
	if len(p.Raw) < 4 {
		return dst
	}
	id := uint32(p.Uint())
	if id == ^uint32(0) {
		return append(dst, "-1(<NONE>)"...)
	}
	dst = strconv.AppendInt(dst, int64(int32(id)), 10)
	if r == nil {
		return dst
	}
	return appendParen(dst, func(d []byte) ([]byte, bool) {
		if t == PTUID {
			return r.AppendUser(d, e, id)
		}
		return r.AppendGroup(d, e, id)
	})
}

func appendIPAddr(dst, v []byte) []byte {
	switch len(v) {
	case 4:
		return appendIPv4(dst, v)
	case 16:
		return appendIPv6(dst, v)
	}
	return dst
}
