package scap

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// maxHostnameLen keeps the NUL that ends the machine block's 128-byte
// host name.
const maxHostnameLen = 127

// stateBuf encodes the section header and the metadata blocks of a
// section, one block at a time, in a buffer reused between blocks.
type stateBuf struct {
	b []byte
}

// encodeSection writes the section header and sec's metadata blocks to
// out, in the order libscap writes them: MI, IL, UL, PL, then one FDL per
// thread.
func (s *stateBuf) encodeSection(sec *Section, out io.Writer) error {
	s.begin(blockSHB)
	s.u32(shbMagic)
	s.u16(1)
	s.u16(2)
	s.u64(math.MaxUint64) // section length unknown
	if err := s.emit(out, "section header"); err != nil {
		return err
	}
	if sec == nil {
		sec = &Section{}
	}
	if sec.Machine != nil {
		s.machine(sec.Machine)
		if err := s.emit(out, "machine info"); err != nil {
			return err
		}
	}
	if len(sec.Interfaces) > 0 {
		s.interfaces(sec.Interfaces)
		if err := s.emit(out, "interface list"); err != nil {
			return err
		}
	}
	if len(sec.Users) > 0 || len(sec.Groups) > 0 {
		s.users(sec.Users, sec.Groups)
		if err := s.emit(out, "user list"); err != nil {
			return err
		}
	}
	s.begin(blockPLV9)
	for i := range sec.Threads {
		s.thread(&sec.Threads[i])
	}
	if err := s.emit(out, "process list"); err != nil {
		return err
	}
	return s.fdLists(sec, out)
}

// fdLists writes one FDL block per thread, in process-list order, with
// every fd list sec holds for its tid. Threads without one get an empty
// list; lists of tids that have no thread are left out, as there is no
// thread to hold them.
func (s *stateBuf) fdLists(sec *Section, out io.Writer) error {
	byTID := make(map[int64][]int, len(sec.FDs))
	for i := range sec.FDs {
		byTID[sec.FDs[i].TID] = append(byTID[sec.FDs[i].TID], i)
	}
	done := make(map[int64]bool, len(sec.Threads))
	for i := range sec.Threads {
		tid := sec.Threads[i].TID
		if done[tid] {
			continue
		}
		done[tid] = true
		s.begin(blockFDLV2)
		s.i64(tid)
		for _, l := range byTID[tid] {
			for j := range sec.FDs[l].FDs {
				s.fd(&sec.FDs[l].FDs[j])
			}
		}
		if err := s.emit(out, "fd list"); err != nil {
			return fmt.Errorf("thread %d: %w", tid, err)
		}
	}
	return nil
}

func (s *stateBuf) machine(m *Machine) {
	s.begin(blockMI)
	s.u32(m.NumCPUs)
	s.u64(m.MemoryBytes)
	s.u64(m.MaxPID)
	var host [128]byte
	copy(host[:], truncated(m.Hostname, maxHostnameLen))
	s.b = append(s.b, host[:]...)
	s.u64(m.BootTS)
	s.u64(m.Flags)
	s.u64(0) // reserved3
	s.u64(0) // reserved4
}

// validateSection reports what in sec cannot be written: interfaces of
// unknown type, which readers reject.
func validateSection(sec *Section) error {
	if sec == nil {
		return nil
	}
	for i := range sec.Interfaces {
		switch sec.Interfaces[i].Type {
		case IfaceIPv4, IfaceIPv6, IfaceIPv4NoLinkSpeed, IfaceIPv6NoLinkSpeed:
		default:
			return fmt.Errorf("interface %d (%q): unknown type %d", i, sec.Interfaces[i].Name, sec.Interfaces[i].Type)
		}
	}
	return nil
}

// interfaces encodes an IL_V2 block: the IPv4 entries first, then the
// IPv6 ones, as libscap writes them. Entries without a link speed (types
// 3 and 4) are written as types 1 and 2 with a zero speed.
func (s *stateBuf) interfaces(ifs []Interface) {
	s.begin(blockILV2)
	for _, v6 := range []bool{false, true} {
		for i := range ifs {
			if ifs[i].IPv6() == v6 {
				s.iface(&ifs[i])
			}
		}
	}
}

func (s *stateBuf) iface(it *Interface) {
	typ, alen := uint16(IfaceIPv4), 4
	if it.IPv6() {
		typ, alen = IfaceIPv6, 16
	}
	name := truncated(it.Name, maxIfNameLen)
	start := s.beginEntry()
	s.u16(typ)
	s.u16(uint16(len(name)))
	s.addr(it.Addr, alen)
	s.addr(it.Netmask, alen)
	s.addr(it.Broadcast, alen)
	s.u64(it.LinkSpeed)
	s.b = append(s.b, name...)
	s.endEntry(start, false) // IL_V2 entry lengths do not count the prefix
}

// users encodes a UL_V2 block: users, then groups.
func (s *stateBuf) users(users []User, groups []Group) {
	s.begin(blockULV2)
	for i := range users {
		u := &users[i]
		start := s.beginEntry()
		s.u8(0)
		s.u32(u.UID)
		s.u32(u.GID)
		s.str(u.Name, maxCredStrLen)
		s.str(u.Home, maxCredStrLen)
		s.str(u.Shell, maxCredStrLen)
		s.endEntry(start, true)
	}
	for i := range groups {
		g := &groups[i]
		start := s.beginEntry()
		s.u8(1)
		s.u32(g.GID)
		s.str(g.Name, maxCredStrLen)
		s.endEntry(start, true)
	}
}

// thread encodes a PL_V9 entry with the tail of libraries before 0.10
// (loginuid, exe_writable and, when known, the capability sets): the one
// layout both sysdig 0.29.3 and current readers decode. The fields only
// the newer 80-byte tail carries are not written.
func (s *stateBuf) thread(t *Thread) {
	start := s.beginEntry()
	s.i64(t.TID)
	s.i64(t.PID)
	s.i64(t.PTID)
	s.i64(t.SID)
	s.i64(t.VPGID)
	s.str(t.Comm, maxStateStringLen)
	s.str(t.Exe, maxStateStringLen)
	s.str(t.ExePath, maxStateStringLen)
	s.bytes(t.Args, maxListLen)
	s.str(t.Cwd, maxStateStringLen)
	s.u64(t.FDLimit)
	s.u32(t.Flags)
	s.u32(t.UID)
	s.u32(t.GID)
	s.u32(t.VMSize)
	s.u32(t.VMRSS)
	s.u32(t.VMSwap)
	s.u64(t.PFMajor)
	s.u64(t.PFMinor)
	s.bytes(t.Env, maxListLen)
	s.i64(t.VTID)
	s.i64(t.VPID)
	s.bytes(t.Cgroups, maxListLen)
	s.str(t.Root, maxStateStringLen)
	s.u32(t.LoginUID)
	s.bool(t.ExeWritable)
	if t.HasCaps {
		s.u64(t.CapInheritable)
		s.u64(t.CapPermitted)
		s.u64(t.CapEffective)
	}
	s.endEntry(start, true)
}

// fd encodes an FDL_V2 entry. Fds of unknown type are left out, as
// libscap does. The types of newer libraries (bpf, userfaultfd, io_uring,
// memfd, pidfd, and any later one), which sysdig 0.29.3 rejects, are
// written as unsupported fds with their name. Files are written as
// FILE_V2 entries, which always carry the device number: for a legacy
// FILE entry sysdig 0.29.3 leaves the device uninitialised, so fd.dev
// would show garbage.
func (s *stateBuf) fd(fd *FD) {
	typ := fd.Type
	switch {
	case typ == FDUnknown:
		return
	case typ == FDFile:
		typ = FDFileV2
	case typ > FDFileV2:
		typ = FDUnsupported
	}
	start := s.beginEntry()
	s.i64(fd.FD)
	s.u64(fd.Ino)
	s.u8(typ)
	switch typ {
	case FDIPv4Sock, FDIPv6Sock:
		alen := 4
		if typ == FDIPv6Sock {
			alen = 16
		}
		s.addr(fd.SrcIP, alen)
		s.addr(fd.DstIP, alen)
		s.u16(fd.SrcPort)
		s.u16(fd.DstPort)
		s.u8(fd.L4Proto)
	case FDIPv4ServSock, FDIPv6ServSock:
		alen := 4
		if typ == FDIPv6ServSock {
			alen = 16
		}
		s.addr(fd.SrcIP, alen)
		s.u16(fd.SrcPort)
		s.u8(fd.L4Proto)
	case FDUnixSock:
		s.u64(fd.SrcID)
		s.u64(fd.DstID)
		s.str(fd.Name, maxFDNameLen)
	case FDFileV2:
		s.u32(fd.OpenFlags)
		s.str(fd.Name, maxFDNameLen)
		s.u32(fd.Dev) // 0 when unknown
	default:
		s.str(fd.Name, maxFDNameLen)
	}
	s.endEntry(start, true)
}

// begin starts a block of type btype; its length is filled in by emit.
func (s *stateBuf) begin(btype uint32) {
	s.b = binary.LittleEndian.AppendUint32(s.b[:0], btype)
	s.b = append(s.b, 0, 0, 0, 0)
}

// emit pads the block to a multiple of 4, adds the trailer, sets the
// length and writes the block to out.
func (s *stateBuf) emit(out io.Writer, what string) error {
	for len(s.b)%4 != 0 {
		s.b = append(s.b, 0)
	}
	total := len(s.b) + 4
	if uint64(total) > math.MaxUint32 {
		return fmt.Errorf("%s block of %d bytes exceeds the 4 GiB block limit", what, total)
	}
	binary.LittleEndian.PutUint32(s.b[4:], uint32(total))
	s.u32(uint32(total))
	if _, err := out.Write(s.b); err != nil {
		return fmt.Errorf("%s block: %w", what, err)
	}
	return nil
}

// beginEntry reserves a u32 entry length and returns where it is.
func (s *stateBuf) beginEntry() int {
	start := len(s.b)
	s.b = append(s.b, 0, 0, 0, 0)
	return start
}

// endEntry sets the length of the entry that starts at start; inclusive
// says whether it counts the 4 bytes of the length itself.
func (s *stateBuf) endEntry(start int, inclusive bool) {
	n := len(s.b) - start
	if !inclusive {
		n -= 4
	}
	binary.LittleEndian.PutUint32(s.b[start:], uint32(n))
}

func (s *stateBuf) u8(v uint8)   { s.b = append(s.b, v) }
func (s *stateBuf) u16(v uint16) { s.b = binary.LittleEndian.AppendUint16(s.b, v) }
func (s *stateBuf) u32(v uint32) { s.b = binary.LittleEndian.AppendUint32(s.b, v) }
func (s *stateBuf) u64(v uint64) { s.b = binary.LittleEndian.AppendUint64(s.b, v) }
func (s *stateBuf) i64(v int64)  { s.u64(uint64(v)) }

func (s *stateBuf) bool(v bool) {
	if v {
		s.u8(1)
	} else {
		s.u8(0)
	}
}

// str appends a u16-length string of at most max bytes, without a NUL.
func (s *stateBuf) str(v string, max int) {
	v = truncated(v, max)
	s.u16(uint16(len(v)))
	s.b = append(s.b, v...)
}

// bytes appends a u16-length byte string (a NUL-separated list) of at
// most max bytes.
func (s *stateBuf) bytes(v []byte, max int) {
	v = truncated(v, max)
	s.u16(uint16(len(v)))
	s.b = append(s.b, v...)
}

// addr appends an address of exactly n bytes: a 16-byte IPv4-mapped
// address becomes its 4 IPv4 bytes, other sizes are cut or zero-filled.
func (s *stateBuf) addr(a []byte, n int) {
	if n == 4 && len(a) == 16 && isV4Mapped(a) {
		a = a[12:]
	}
	start := len(s.b)
	s.b = append(s.b, make([]byte, n)...)
	copy(s.b[start:], a)
}

func isV4Mapped(a []byte) bool {
	for _, c := range a[:10] {
		if c != 0 {
			return false
		}
	}
	return a[10] == 0xff && a[11] == 0xff
}

// truncated returns v cut to at most max bytes.
func truncated[S ~string | ~[]byte](v S, max int) S {
	if len(v) > max {
		return v[:max]
	}
	return v
}
