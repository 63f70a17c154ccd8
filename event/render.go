package event

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"time"
)

// Resolver supplies the state-dependent text that sysdig prints in
// parentheses after some values: the fd's type and name, the process name of
// a pid, user and group names, the absolute form of a relative path. Each
// method appends the text (without parentheses) to dst and reports whether
// it knew any. A nil Resolver knows nothing.
//
// What does not depend on state is rendered without a Resolver: errno names,
// "AT_FDCWD" and errno names after negative fds, "<NONE>" after uid/gid -1,
// signal, flag and syscall names.
type Resolver interface {
	// AppendFD is asked about fds >= 0 only. sysdig shows "<t>name" (t is
	// the type character, name may be empty) for an fd in the thread's
	// table, and nothing otherwise.
	AppendFD(dst []byte, e *Event, fd int64) ([]byte, bool)
	// AppendPID: sysdig shows the comm of a known thread.
	AppendPID(dst []byte, e *Event, pid int64) ([]byte, bool)
	// AppendUser and AppendGroup are asked about ids other than
	// 0xFFFFFFFF. sysdig shows the name, or "<NA>" for an id missing from
	// its user list.
	AppendUser(dst []byte, e *Event, uid uint32) ([]byte, bool)
	AppendGroup(dst []byte, e *Event, gid uint32) ([]byte, bool)
	// AppendPath is asked about relative paths (the empty one included)
	// and gets the raw bytes up to the NUL; dirfd is -100 (AT_FDCWD) for
	// paths relative to the working directory.
	AppendPath(dst []byte, e *Event, dirfd int64, path []byte) ([]byte, bool)
	// FDTypeChar returns the type character of an fd of the thread's
	// table ('f', '4', …), or '?' when unknown.
	FDTypeChar(e *Event, fd int64) byte
}

// DefaultBufLen is how many characters of a byte buffer sysdig prints in
// evt.args before cutting it with "...".
const DefaultBufLen = 80

// AppendArgs appends the event's arguments the way sysdig 0.29.3 prints
// %evt.args: "name=value " for each parameter, with the resolved text in
// parentheses where sysdig has it. Generic syscall events print no
// arguments. An event code sysdig 0.29.3 knows is printed with its schema
// and, like sysdig, only as many parameters as both the schema and the
// record have; newer codes are printed with the current schema.
func AppendArgs(dst []byte, e *Event, r Resolver) []byte {
	return appendArgs(dst, e, r, DefaultBufLen)
}

// AppendArgsLen is AppendArgs with byte buffers cut at bufLen characters
// instead of DefaultBufLen (0: never cut), as sysdig's JSON output needs.
func AppendArgsLen(dst []byte, e *Event, r Resolver, bufLen int) []byte {
	return appendArgs(dst, e, r, bufLen)
}

// appendArgs is AppendArgs with byte buffers cut at bufLen characters
// (0: never cut).
func appendArgs(dst []byte, e *Event, r Resolver, bufLen int) []byte {
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
		dst = appendValue(dst, e, Param{Info: pi, Raw: e.raw[e.offs[i]:e.offs[i+1]]}, pi.Type, pi.Fmt, r, bufLen)
		dst = append(dst, ' ')
	}
	return dst
}

// AppendValue appends parameter i of e rendered as sysdig renders it in
// evt.args, using the schema pi (which may differ from e's own, see
// [Display]).
//
// A value too short for its fixed-size type (the empty value that current
// producers write for "not available", in particular) renders as nothing:
// sysdig 0.29.3 reads whatever bytes follow instead.
func AppendValue(dst []byte, e *Event, i int, pi *ParamInfo, r Resolver) []byte {
	p := Param{Info: pi, Raw: e.raw[e.offs[i]:e.offs[i+1]]}
	return appendValue(dst, e, p, pi.Type, pi.Fmt, r, DefaultBufLen)
}

func appendValue(dst []byte, e *Event, p Param, t ParamType, f PrintFmt, r Resolver, bufLen int) []byte {
	v := p.Raw
	switch t {
	case PTInt8, PTInt16, PTInt32, PTInt64, PTUint8, PTUint16, PTUint32, PTUint64, PTFD32, PTPID32:
		return appendNum(dst, v, t, f)
	case PTFD:
		return appendFD(dst, e, v, r)
	case PTPID:
		if len(v) < 8 {
			return dst
		}
		pid := int64(binary.LittleEndian.Uint64(v))
		dst = strconv.AppendInt(dst, pid, 10)
		if r == nil {
			return dst
		}
		return appendParen(dst, func(d []byte) ([]byte, bool) { return r.AppendPID(d, e, pid) })
	case PTErrno:
		return appendErrno(dst, v)
	case PTCharBuf:
		return append(dst, cstr(v)...)
	case PTFSPath, PTFSRelPath:
		return appendPath(dst, e, p, r)
	case PTByteBuf:
		return AppendBuffer(dst, v, bufLen)
	case PTSockAddr:
		return appendSockAddr(dst, v)
	case PTSockTuple:
		return appendSockTuple(dst, v)
	case PTFDList:
		return appendFDList(dst, e, p, r)
	case PTSyscallID:
		return appendSyscallID(dst, v)
	case PTSigType:
		return appendSignal(dst, v)
	case PTRelTime:
		return appendRelTime(dst, v)
	case PTFlags8, PTFlags16, PTFlags32, PTEnumFlags8, PTEnumFlags16, PTEnumFlags32:
		x, ok := fixedUint(v, t)
		if !ok {
			return dst
		}
		dst = strconv.AppendUint(dst, x, 10)
		return appendFlagNames(dst, p.Info, uint32(x), t >= PTEnumFlags8)
	case PTMode:
		x, ok := fixedUint(v, t)
		if !ok {
			return dst
		}
		return appendFlagNames(appendNum(dst, v, PTUint32, f), p.Info, uint32(x), false)
	case PTUID, PTGID:
		return appendID(dst, e, v, t, r)
	case PTSigSet:
		if len(v) < 4 {
			return dst
		}
		return appendSigSet(dst, binary.LittleEndian.Uint32(v))
	case PTDyn:
		dt, sub, ok := p.Dyn()
		if !ok {
			return append(dst, "INVALID DYNAMIC PARAMETER"...)
		}
		// The alternative decides the type; the print format stays the
		// outer parameter's.
		return appendValue(dst, e, sub, dt.Type, f, r, bufLen)
	case PTAbsTime:
		return appendAbsTime(dst, v)
	case PTIPv4Addr, PTIPv6Addr, PTIPAddr:
		return AppendIP(dst, v)
	case PTPort:
		x, ok := fixedUint(v, t)
		if !ok {
			return dst
		}
		return strconv.AppendUint(dst, x, 10)
	case PTCharBufArray:
		return AppendBuffer(dst, v, bufLen)
	}
	return append(dst, "(n.a.)"...)
}

// fixedSize returns the on-disk size of a fixed-size numeric type, or 0.
func fixedSize(t ParamType) int {
	switch t {
	case PTInt8, PTUint8, PTSigType, PTFlags8, PTEnumFlags8, PTL4Proto, PTSockFamily:
		return 1
	case PTInt16, PTUint16, PTSyscallID, PTFlags16, PTEnumFlags16, PTPort:
		return 2
	case PTInt32, PTUint32, PTFlags32, PTEnumFlags32, PTUID, PTGID, PTSigSet, PTMode, PTFD32, PTPID32, PTBool:
		return 4
	case PTInt64, PTUint64, PTErrno, PTFD, PTPID, PTRelTime, PTAbsTime, PTDouble:
		return 8
	}
	return 0
}

// fixedUint reads a value of fixed-size type t, zero-extended. ok is false
// when v is shorter than the type; longer values are read from the start,
// as sysdig does.
func fixedUint(v []byte, t ParamType) (uint64, bool) {
	n := fixedSize(t)
	if n == 0 || len(v) < n {
		return 0, false
	}
	switch n {
	case 1:
		return uint64(v[0]), true
	case 2:
		return uint64(binary.LittleEndian.Uint16(v)), true
	case 4:
		return uint64(binary.LittleEndian.Uint32(v)), true
	}
	return binary.LittleEndian.Uint64(v), true
}

// appendNum renders an integer of type t with print format f the way
// sysdig's printf formats do ("%d"-style conversions of the C value after
// the usual argument promotions):
//
//   - decimal (DEC, and NA/ID/DIR): INT* signed; UINT8 and UINT16 unsigned;
//     UINT32 and UINT64 signed (4294967295 prints -1).
//   - HEX: upper case, no prefix; 8-, 16- and 32-bit signed values as 32-bit
//     two's complement (-1 prints FFFFFFFF), 64-bit values in 64 bits.
//   - OCT: like "%#o": a leading 0, the same widths as HEX, 0 alone for zero.
//   - 10_PADDED_DEC: the decimal value zero padded to 9 characters, sign included.
func appendNum(dst, v []byte, t ParamType, f PrintFmt) []byte {
	u, ok := fixedUint(v, t)
	if !ok {
		return dst
	}
	var s int64 // the value as "%d" sees it
	switch t {
	case PTInt8:
		s = int64(int8(u))
	case PTInt16:
		s = int64(int16(u))
	case PTInt32, PTUint32, PTFD32, PTPID32:
		s = int64(int32(u))
	default: // UINT8 and UINT16 promote to a non-negative int; 64-bit values print signed
		s = int64(u)
	}
	if fixedSize(t) < 8 && (f == FmtHex || f == FmtOct) {
		u = uint64(uint32(s)) // promoted to int, printed as unsigned int
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
		return appendPadded(dst, s, 9)
	}
	return strconv.AppendInt(dst, s, 10)
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

// appendParen appends "(text)" when fill produces some text, and nothing otherwise.
func appendParen(dst []byte, fill func([]byte) ([]byte, bool)) []byte {
	mark := len(dst)
	dst = append(dst, '(')
	dst, ok := fill(dst)
	if !ok || len(dst) == mark+1 {
		return dst[:mark]
	}
	return append(dst, ')')
}

// appendFD renders a PT_FD value: the number, then "(AT_FDCWD)" for -100,
// "(ENAME)" for other negative values with an errno name (the low 32 bits
// decide, as in sysdig), or what the resolver knows about fds >= 0.
func appendFD(dst []byte, e *Event, v []byte, r Resolver) []byte {
	if len(v) < 8 {
		return dst
	}
	fd := int64(binary.LittleEndian.Uint64(v))
	dst = strconv.AppendInt(dst, fd, 10)
	switch {
	case fd == -100:
		return append(dst, "(AT_FDCWD)"...)
	case fd < 0:
		return appendErrnoName(dst, fd)
	case r != nil:
		return appendParen(dst, func(d []byte) ([]byte, bool) { return r.AppendFD(d, e, fd) })
	}
	return dst
}

// appendErrno renders a PT_ERRNO value: the number and, when negative and
// known, the errno name in parentheses.
func appendErrno(dst, v []byte) []byte {
	if len(v) < 8 {
		return dst
	}
	x := int64(binary.LittleEndian.Uint64(v))
	dst = strconv.AppendInt(dst, x, 10)
	if x < 0 {
		dst = appendErrnoName(dst, x)
	}
	return dst
}

// appendErrnoName appends "(ENAME)" for a negative return value x. Like
// sysdig, it looks at x truncated to 32 bits, so -4294967298 is ENOENT.
func appendErrnoName(dst []byte, x int64) []byte {
	name := ErrnoName(-int64(int32(x)))
	if name == "" {
		return dst
	}
	dst = append(dst, '(')
	dst = append(dst, name...)
	return append(dst, ')')
}

// errnoNames are the errno names sysdig 0.29.3 knows: Linux's 1–125 and the
// kernel-internal 512–530 (some of them), but not 126–133.
var errnoNames = [...]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
	9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK",
	16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
	23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE",
	30: "EROFS", 31: "EMLINK", 32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLK",
	36: "ENAMETOOLONG", 37: "ENOLCK", 38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 42: "ENOMSG",
	43: "EIDRM", 44: "ECHRNG", 45: "EL2NSYNC", 46: "EL3HLT", 47: "EL3RST", 48: "ELNRNG",
	49: "EUNATCH", 50: "ENOCSI", 51: "EL2HLT", 52: "EBADE", 53: "EBADR", 54: "EXFULL", 55: "ENOANO",
	56: "EBADRQC", 57: "EBADSLT", 59: "EBFONT", 60: "ENOSTR", 61: "ENODATA", 62: "ETIME",
	63: "ENOSR", 64: "ENONET", 65: "ENOPKG", 66: "EREMOTE", 67: "ENOLINK", 68: "EADV", 69: "ESRMNT",
	70: "ECOMM", 71: "EPROTO", 72: "EMULTIHOP", 73: "EDOTDOT", 74: "EBADMSG", 75: "EOVERFLOW",
	76: "ENOTUNIQ", 77: "EBADFD", 78: "EREMCHG", 79: "ELIBACC", 80: "ELIBBAD", 81: "ELIBSCN",
	82: "ELIBMAX", 83: "ELIBEXEC", 84: "EILSEQ", 85: "ERESTART", 86: "ESTRPIPE", 87: "EUSERS",
	88: "ENOTSOCK", 89: "EDESTADDRREQ", 90: "EMSGSIZE", 91: "EPROTOTYPE", 92: "ENOPROTOOPT",
	93: "EPROTONOSUPPORT", 94: "ESOCKTNOSUPPORT", 95: "EOPNOTSUPP", 96: "EPFNOSUPPORT",
	97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH",
	102: "ENETRESET", 103: "ECONNABORTED", 104: "ECONNRESET", 105: "ENOBUFS", 106: "EISCONN",
	107: "ENOTCONN", 108: "ESHUTDOWN", 109: "ETOOMANYREFS", 110: "ETIMEDOUT", 111: "ECONNREFUSED",
	112: "EHOSTDOWN", 113: "EHOSTUNREACH", 114: "EALREADY", 115: "EINPROGRESS", 116: "ESTALE",
	117: "EUCLEAN", 118: "ENOTNAM", 119: "ENAVAIL", 120: "EISNAM", 121: "EREMOTEIO", 122: "EDQUOT",
	123: "ENOMEDIUM", 124: "EMEDIUMTYPE", 125: "ECANCELED",
	512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND", 515: "ENOIOCTLCMD",
	516: "ERESTART_RESTARTBLOCK", 521: "EBADHANDLE", 522: "ENOTSYNC", 523: "EBADCOOKIE",
	524: "ENOTSUPP", 525: "ETOOSMALL", 526: "ESERVERFAULT", 527: "EBADTYPE", 528: "EJUKEBOX",
	529: "EIOCBQUEUED", 530: "EIOCBRETRY",
}

// ErrnoName returns the name sysdig gives the Linux errno value n
// ("ENOENT" for 2), or "" when it has none.
func ErrnoName(n int64) string {
	if n <= 0 || n >= int64(len(errnoNames)) {
		return ""
	}
	return errnoNames[n]
}

// appendPath renders a PT_FSPATH or PT_FSRELPATH value: the bytes up to the
// NUL with everything but printable ASCII dropped, then the resolver's
// absolute form for a relative path. The resolver is not asked about empty
// values or paths starting with "<NA>", as in sysdig.
func appendPath(dst []byte, e *Event, p Param, r Resolver) []byte {
	s := cstr(p.Raw)
	dst = appendPrintable(dst, s)
	if len(p.Raw) == 0 || (len(s) > 0 && s[0] == '/') || r == nil || hasNAPrefix(s) {
		return dst
	}
	dirfd := int64(-100) // AT_FDCWD
	if p.Info != nil && p.Info.DirFD >= 0 && int(p.Info.DirFD) < e.n {
		dirfd = e.Param(int(p.Info.DirFD)).Int()
	}
	return appendParen(dst, func(d []byte) ([]byte, bool) { return r.AppendPath(d, e, dirfd, s) })
}

func hasNAPrefix(s []byte) bool {
	return len(s) >= 4 && s[0] == '<' && s[1] == 'N' && s[2] == 'A' && s[3] == '>'
}

func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7e }

// appendPrintable appends the printable ASCII bytes of s, dropping the
// others (sysdig's sanitising of paths and socket names).
func appendPrintable(dst, s []byte) []byte {
	for _, c := range s {
		if isPrint(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendBuffer appends a byte buffer as sysdig prints it: printable ASCII
// kept, every other byte shown as '.', and a buffer longer than max cut to
// max-3 characters followed by "..." (to max characters when max is 3 or
// less). A max of 0 means no limit.
func AppendBuffer(dst, v []byte, max int) []byte {
	cut := false
	if max > 0 && len(v) > max {
		if max > 3 {
			v, cut = v[:max-3], true
		} else {
			v = v[:max]
		}
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

// sysdigSCMax is PPM_SC_MAX of sysdig 0.29.3: syscall ids from here on
// print as "<unknown syscall>".
const sysdigSCMax = 329

// SyscallDisplayName returns the name sysdig 0.29.3 shows for PPM_SC code id
// ("<unknown>" for 0, "llseek" for PPM_SC__LLSEEK), or "" for codes it does
// not know.
func SyscallDisplayName(id uint16) string {
	if id >= sysdigSCMax {
		return ""
	}
	switch id {
	case 0:
		return "<unknown>"
	case 283:
		return "newselect"
	case 292:
		return "llseek"
	case 300:
		return "newfstatat"
	case 305:
		return "setuid"
	case 306:
		return "getuid"
	case 307:
		return "setgid"
	case 308:
		return "geteuid"
	case 309:
		return "getgid"
	case 310:
		return "setresuid"
	case 311:
		return "setresgid"
	case 312:
		return "getresuid"
	case 313:
		return "getresgid"
	}
	return legacySchema.SyscallName(id)
}

func appendSyscallID(dst, v []byte) []byte {
	if len(v) < 2 {
		return dst
	}
	id := binary.LittleEndian.Uint16(v)
	name := SyscallDisplayName(id)
	if name == "" {
		return append(dst, "<unknown syscall>"...)
	}
	dst = strconv.AppendUint(dst, uint64(id), 10)
	dst = append(dst, '(')
	dst = append(dst, name...)
	return append(dst, ')')
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

// SignalName returns the name of a Linux signal number ("SIGKILL"), or ""
// (sysdig names only signals 1–31).
func SignalName(sig uint8) string {
	if int(sig) < len(signalNames) {
		return signalNames[sig]
	}
	return ""
}

// appendRelTime renders a PT_RELTIME value: "none" for all ones, otherwise
// the nanoseconds followed by the seconds as C's "%lg" prints them
// ("1500000000(1.5s)").
func appendRelTime(dst, v []byte) []byte {
	if len(v) < 8 {
		return dst
	}
	u := binary.LittleEndian.Uint64(v)
	if u == ^uint64(0) {
		return append(dst, "none"...)
	}
	dst = strconv.AppendUint(dst, u, 10)
	dst = append(dst, '(')
	dst = strconv.AppendFloat(dst, float64(u)/1e9, 'g', 6, 64)
	return append(dst, "s)"...)
}

// appendSigSet renders a PT_SIGSET value as the names of its signals
// separated by spaces, without the number (bit n is signal n+1; signal 32
// has no name and is left out).
func appendSigSet(dst []byte, m uint32) []byte {
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
// when the parameter has a flag table and some names match.
//
// For bitmasks (FLAGS*, MODE) it scans the table in order, as sysdig does:
// entries before the first one equal to the whole value contribute the bits
// they cover (a zero entry only for a zero value), and that exact entry
// ends the list. For enumerations (ENUMFLAGS*, current schema only) every
// entry equal to the value is listed, as current Falco libraries do.
func appendFlagNames(dst []byte, pi *ParamInfo, initial uint32, enum bool) []byte {
	if pi == nil || pi.Flags == nil {
		return dst
	}
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
	tab := pi.Flags.Entries
	if enum {
		for i := range tab {
			if tab[i].Value == initial {
				add(tab[i].Name)
			}
		}
	} else {
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
	}
	if !sep {
		return dst[:mark]
	}
	return append(dst, ')')
}

// appendID renders a PT_UID or PT_GID value: "-1(<NONE>)" for 0xFFFFFFFF,
// otherwise the id as a signed 32-bit number and the resolver's name.
func appendID(dst []byte, e *Event, v []byte, t ParamType, r Resolver) []byte {
	if len(v) < 4 {
		return dst
	}
	id := binary.LittleEndian.Uint32(v)
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

// appendAbsTime renders a PT_ABSTIME value (ns since the epoch) the way
// current Falco libraries do, in local time: "2006-01-02 15:04:05.000000000 -0700".
// No event sysdig 0.29.3 knows has such a parameter.
func appendAbsTime(dst, v []byte) []byte {
	if len(v) < 8 {
		return dst
	}
	ns := binary.LittleEndian.Uint64(v)
	t := time.Unix(int64(ns/1e9), int64(ns%1e9))
	return t.AppendFormat(dst, "2006-01-02 15:04:05.000000000 -0700")
}
