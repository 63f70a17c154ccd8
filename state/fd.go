package state

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// L4 protocols of sockets (scap_l4_proto).
const (
	L4Unknown = 0
	L4NA      = 1
	L4TCP     = 2
	L4UDP     = 3
	L4ICMP    = 4
	L4Raw     = 5
)

// Socket roles: which end of a connection the fd is, as far as the model knows.
const (
	RoleNone   = 0
	RoleClient = 1
	RoleServer = 2
)

// FD is one open file descriptor of an fd table. Type is one of the scap.FD*
// constants; Name is what sysdig shows after the type: the absolute path of
// a file, the "sip:sport->dip:dport" tuple of a connected socket, the
// "ip:port" of a listening one, the path of a unix socket, or nothing.
type FD struct {
	Num   int64
	Type  uint8
	L4    uint8 // L4* (inet sockets)
	Role  uint8 // Role* (sockets)
	Flags uint32
	Ino   uint64
	Name  string

	// NameRaw is the path as the opening syscall gave it (files only).
	NameRaw string
	// The ends of an inet socket, as sysdig keeps them: for a connected
	// socket the client's address and port (Src) and the server's (Dst);
	// for a listening one the bound address and port in Src. IPv4
	// addresses take the first 4 bytes. See [FD.SrcAddr].
	SrcIP, DstIP     [16]byte
	SrcPort, DstPort uint16
	// Connected is set once a connect, accept or successful transfer
	// shows the socket connected.
	Connected bool
	// Dev is the device number of a file, as its open exit reported it.
	Dev uint32

	// renamedNum and renamedTS identify the event that last changed Name.
	renamedNum, renamedTS uint64
}

// TypeChar returns the character sysdig shows for the fd's type.
func (f *FD) TypeChar() byte {
	switch f.Type {
	case scap.FDFile, scap.FDFileV2:
		return 'f'
	case scap.FDDirectory:
		return 'd'
	case scap.FDIPv4Sock, scap.FDIPv4ServSock:
		return '4'
	case scap.FDIPv6Sock, scap.FDIPv6ServSock:
		return '6'
	case scap.FDFifo:
		return 'p'
	case scap.FDUnixSock:
		return 'u'
	case scap.FDEvent:
		return 'e'
	case scap.FDUnknown:
		return 'o'
	case scap.FDUnsupported:
		return 'X'
	case scap.FDSignalFD:
		return 's'
	case scap.FDEventPoll:
		return 'l'
	case scap.FDInotify:
		return 'i'
	case scap.FDTimerFD:
		return 't'
	case scap.FDNetlink:
		return 'n'
	case scap.FDBPF:
		return 'b'
	case scap.FDUserfaultFD:
		return 'u'
	case scap.FDIOUring:
		return 'r'
	case scap.FDMemFD:
		return 'm'
	case scap.FDPidFD:
		return 'P'
	}
	return '?'
}

// L4Char returns the protocol character sysdig shows after the type of an
// inet socket ('t', 'u', 'i', 'r'), or 0. A connected-socket fd whose role
// is not known yet shows none.
func (f *FD) L4Char() byte {
	l4 := f.L4
	switch f.Type {
	case scap.FDIPv4Sock, scap.FDIPv6Sock:
		if l4 != L4Raw && f.Role == RoleNone {
			return 0
		}
	case scap.FDIPv4ServSock, scap.FDIPv6ServSock:
	default:
		return 0
	}
	switch l4 {
	case L4TCP:
		return 't'
	case L4UDP:
		return 'u'
	case L4ICMP:
		return 'i'
	case L4Raw:
		return 'r'
	}
	return 0
}

func (f *FD) isInet() bool {
	switch f.Type {
	case scap.FDIPv4Sock, scap.FDIPv6Sock, scap.FDIPv4ServSock, scap.FDIPv6ServSock:
		return true
	}
	return false
}

// FDTable is the fd table of a process (or of a thread that does not share
// its process's table). Threads created with CLONE_FILES share one.
type FDTable struct {
	fds  map[int64]*FD
	refs int // threads using the table
}

// newFDTable returns an empty table, reusing a released one when it can.
func (s *State) newFDTable() *FDTable {
	if n := len(s.freeTables); n > 0 {
		t := s.freeTables[n-1]
		s.freeTables = s.freeTables[:n-1]
		return t
	}
	return &FDTable{fds: make(map[int64]*FD)}
}

// setFDs makes t the fd table of thread th, releasing its previous one.
func (s *State) setFDs(th *Thread, t *FDTable) {
	if old := th.fdt; old != nil {
		if old.refs--; old.refs <= 0 {
			s.releaseTable(old)
		}
	}
	th.fdt = t
	if t != nil {
		t.refs++
	}
}

// releaseTable recycles a table no thread uses any more.
func (s *State) releaseTable(t *FDTable) {
	for n := range t.fds {
		s.removeFD(t, n)
	}
	t.refs = 0
	if s.closeT == t {
		s.closeT, s.closeFD = nil, -1
	}
	if len(s.freeTables) < maxFree {
		s.freeTables = append(s.freeTables, t)
	}
}

// Get returns fd n, or nil.
func (t *FDTable) Get(n int64) *FD {
	if t == nil {
		return nil
	}
	return t.fds[n]
}

// Len returns the number of open fds.
func (t *FDTable) Len() int {
	if t == nil {
		return 0
	}
	return len(t.fds)
}

// Each calls fn for every fd of the table, in no particular order.
func (t *FDTable) Each(fn func(*FD)) {
	if t == nil {
		return
	}
	for _, f := range t.fds {
		fn(f)
	}
}

// MaxFDs bounds each fd table; fds past it are not recorded and are
// counted in [Stats].
const MaxFDs = 1 << 16

// addFD puts fd n in table t, replacing what was there, and returns it
// zeroed but for its number. It returns nil when the table is full.
func (s *State) addFD(t *FDTable, n int64) *FD {
	if t == nil || n < 0 {
		return nil
	}
	if f := t.fds[n]; f != nil {
		*f = FD{Num: n}
		return f
	}
	if len(t.fds) >= MaxFDs {
		s.stats.FDOverflow++
		return nil
	}
	var f *FD
	if k := len(s.freeFDs); k > 0 {
		f, s.freeFDs = s.freeFDs[k-1], s.freeFDs[:k-1]
		*f = FD{Num: n}
	} else {
		f = &FD{Num: n}
	}
	t.fds[n] = f
	return f
}

// removeFD takes fd n out of table t.
func (s *State) removeFD(t *FDTable, n int64) {
	if t == nil {
		return
	}
	f := t.fds[n]
	if f == nil {
		return
	}
	delete(t.fds, n)
	if len(s.freeFDs) < maxFree {
		s.freeFDs = append(s.freeFDs, f)
	}
}

// copyTable returns a new table with copies of t's fds (a forked process's).
func (s *State) copyTable(t *FDTable) *FDTable {
	nt := s.newFDTable()
	if t == nil {
		return nt
	}
	for n, f := range t.fds {
		if c := s.addFD(nt, n); c != nil {
			*c = *f
		}
	}
	return nt
}

// fdFromSection converts an fd of a capture's initial state, naming it as
// sysdig does.
func fdFromSection(f *scap.FD) FD {
	fd := FD{Num: f.FD, Type: f.Type, Ino: f.Ino, L4: f.L4Proto}
	var b []byte
	switch f.Type {
	case scap.FDIPv4Sock:
		b = appendTuple(b, f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
		fd.setEnds(f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
		fd.Role, fd.Connected = RoleClient, f.L4Proto == L4TCP
	case scap.FDIPv6Sock:
		if v4Mapped(f.SrcIP) && v4Mapped(f.DstIP) {
			fd.Type = scap.FDIPv4Sock
			b = appendTuple(b, f.SrcIP[12:], f.SrcPort, f.DstIP[12:], f.DstPort)
			fd.setEnds(f.SrcIP[12:], f.SrcPort, f.DstIP[12:], f.DstPort)
			fd.Role = RoleClient
		} else {
			b = appendTuple(b, f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
			fd.setEnds(f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
		}
		fd.Connected = f.L4Proto == L4TCP
	case scap.FDIPv4ServSock, scap.FDIPv6ServSock:
		b = appendIPPort(b, f.SrcIP, f.SrcPort)
		fd.setEnds(f.SrcIP, f.SrcPort, nil, 0)
	case scap.FDUnixSock:
		b = append(b, f.Name...)
		if f.Name == "" {
			fd.Role = RoleClient
		} else {
			fd.Role = RoleServer
		}
	case scap.FDFileV2:
		fd.Flags = f.OpenFlags
		fd.Dev = f.Dev
		b = append(b, f.Name...)
	default:
		b = append(b, f.Name...)
	}
	fd.Name = string(b)
	return fd
}

// v4Mapped reports whether a 16-byte address is IPv4-mapped or all zero,
// which sysdig treats as IPv4.
func v4Mapped(a []byte) bool {
	if len(a) != 16 {
		return false
	}
	for _, c := range a[:10] {
		if c != 0 {
			return false
		}
	}
	if a[10] == 0xff && a[11] == 0xff {
		return true
	}
	return a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0
}

func appendTuple(dst, sip []byte, sport uint16, dip []byte, dport uint16) []byte {
	dst = appendIPPort(dst, sip, sport)
	dst = append(dst, "->"...)
	return appendIPPort(dst, dip, dport)
}

func appendIPPort(dst, ip []byte, port uint16) []byte {
	dst = event.AppendIP(dst, ip)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(port), 10)
}
