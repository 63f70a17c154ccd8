package scap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// Block types (scap_savefile.h).
const (
	blockSHB          = 0x0A0D0D0A
	blockMI           = 0x201
	blockMIAlias      = 0x8002ABCD
	blockPLV1         = 0x202
	blockPLV1Alias    = 0x8000ABCD
	blockPLV2         = 0x207
	blockPLV2Alias    = 0x8013ABCD
	blockPLV3         = 0x209
	blockPLV3Alias    = 0x8014ABCD
	blockPLV4         = 0x210
	blockPLV5         = 0x211
	blockPLV6         = 0x212
	blockPLV7         = 0x213
	blockPLV8         = 0x214
	blockPLV9         = 0x215
	blockFDL          = 0x203
	blockFDLAlias     = 0x8001ABCD
	blockFDLV2        = 0x218
	blockIL           = 0x205
	blockILAlias      = 0x8011ABCD
	blockILV2         = 0x219
	blockUL           = 0x206
	blockULAlias      = 0x8012ABCD
	blockULV2         = 0x220
	blockEV           = 0x204
	blockEVAlias      = 0x8010ABCD
	blockEVF          = 0x208
	blockEVV2         = 0x216
	blockEVFV2        = 0x217
	blockEVV2Large    = 0x221
	blockEVFV2Large   = 0x222
	shbMagic          = 0x1A2B3C4D
	shbBodyLen        = 16
	machineBodyLen    = 180
	maxStateStringLen = 1024 // process list strings (SCAP_MAX_PATH_SIZE)
	maxFDNameLen      = 1023 // fd names must be shorter than SCAP_MAX_PATH_SIZE
	maxListLen        = 4096 // args, env, cgroups
	maxCredStrLen     = 255  // user list strings
	maxIfNameLen      = 1023
)

func isEventBlock(t uint32) bool {
	switch t {
	case blockEV, blockEVAlias, blockEVF, blockEVV2, blockEVFV2, blockEVV2Large, blockEVFV2Large:
		return true
	}
	return false
}

func plVersion(t uint32) int {
	switch t {
	case blockPLV1, blockPLV1Alias:
		return 1
	case blockPLV2, blockPLV2Alias:
		return 2
	case blockPLV3, blockPLV3Alias:
		return 3
	case blockPLV4:
		return 4
	case blockPLV5:
		return 5
	case blockPLV6:
		return 6
	case blockPLV7:
		return 7
	case blockPLV8:
		return 8
	case blockPLV9:
		return 9
	}
	return 0
}

// errShort is returned by the cursor when a field overruns its entry.
var errShort = errors.New("entry too short")

// cursor reads little-endian fields from a block body, remembering the
// first overrun instead of panicking.
type cursor struct {
	b   []byte
	o   int
	err error
}

func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.o {
		c.err = fmt.Errorf("%w: need %d bytes at body offset %d, %d left", errShort, n, c.o, len(c.b)-c.o)
		return nil
	}
	v := c.b[c.o : c.o+n]
	c.o += n
	return v
}

func (c *cursor) u8() uint8 {
	if v := c.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if v := c.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if v := c.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (c *cursor) u64() uint64 {
	if v := c.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (c *cursor) i64() int64 { return int64(c.u64()) }

// str reads a u16-length string of at most max bytes.
func (c *cursor) str(max int) string { return string(c.lstr(max)) }

func (c *cursor) lstr(max int) []byte {
	n := int(c.u16())
	if c.err == nil && n > max {
		c.err = fmt.Errorf("%w: string of %d bytes at body offset %d exceeds %d", errShort, n, c.o-2, max)
		return nil
	}
	return c.take(n)
}

// list reads a u16-length list of NUL-terminated strings, adding the final
// NUL when the producer left it out.
func (c *cursor) list(max int) []byte {
	v := c.lstr(max)
	if len(v) == 0 {
		return nil
	}
	out := make([]byte, len(v), len(v)+1)
	copy(out, v)
	if out[len(out)-1] != 0 {
		out = append(out, 0)
	}
	return out
}

func (c *cursor) left() int { return len(c.b) - c.o }

func (r *Reader) parseSHB() (*Section, error) {
	body, err := r.bodyLoose()
	if err != nil {
		return nil, err
	}
	if len(body) < shbBodyLen {
		return nil, r.errf(blockSHB, nil, "section header body of %d bytes, need %d", len(body), shbBodyLen)
	}
	if m := binary.LittleEndian.Uint32(body); m != shbMagic {
		if m == 0x4D3C2B1A {
			return nil, r.errf(blockSHB, nil, "big-endian captures are not supported")
		}
		return nil, r.errf(blockSHB, nil, "bad byte-order magic %#x", m)
	}
	sec := &Section{Major: binary.LittleEndian.Uint16(body[4:]), Minor: binary.LittleEndian.Uint16(body[6:])}
	if sec.Major > 1 {
		return nil, r.errf(blockSHB, nil, "capture format version %d.%d is newer than 1.x", sec.Major, sec.Minor)
	}
	// Options (pcapng style) may follow; like current readers, skip them.
	return sec, nil
}

// bodyLoose returns the block body after checking the trailer.
func (r *Reader) bodyLoose() ([]byte, error) { return r.body(binary.LittleEndian.Uint32(r.buf)) }

// parseMeta parses one metadata block into the current section. Unknown
// block types are skipped, as libscap does.
func (r *Reader) parseMeta(btype uint32) error {
	body, err := r.body(btype)
	if err != nil {
		return err
	}
	sec := r.section
	switch {
	case btype == blockMI || btype == blockMIAlias:
		err = parseMachine(sec, body)
	case btype == blockIL || btype == blockILAlias || btype == blockILV2:
		err = parseInterfaces(sec, body, btype == blockILV2, &r.budget)
	case btype == blockUL || btype == blockULAlias || btype == blockULV2:
		err = parseUsers(sec, body, btype == blockULV2, &r.budget)
	case plVersion(btype) > 0:
		err = parseThreads(sec, body, plVersion(btype), &r.budget)
	case btype == blockFDL || btype == blockFDLAlias || btype == blockFDLV2:
		err = parseFDs(sec, body, btype == blockFDLV2, &r.budget)
	}
	if err != nil {
		return r.errf(btype, err, "bad %s block", blockName(btype))
	}
	return nil
}

// budget bounds the memory a section's decoded state may take, so that
// metadata made of many tiny entries cannot make the reader allocate far
// more than the capture holds.
type budget int64

// errStateTooLarge is returned when a section's state exceeds its budget.
var errStateTooLarge = errors.New("the capture's initial state exceeds the memory limit (ReaderOptions.MaxStateBytes)")

// spend takes the cost of one decoded entry: its struct and its data.
func (b *budget) spend(size uintptr, data int) error {
	*b -= budget(size) + budget(data)
	if *b < 0 {
		return errStateTooLarge
	}
	return nil
}

func blockName(t uint32) string {
	switch {
	case t == blockMI || t == blockMIAlias:
		return "machine info"
	case t == blockIL || t == blockILAlias || t == blockILV2:
		return "interface list"
	case t == blockUL || t == blockULAlias || t == blockULV2:
		return "user list"
	case plVersion(t) > 0:
		return fmt.Sprintf("process list (v%d)", plVersion(t))
	case t == blockFDL || t == blockFDLAlias || t == blockFDLV2:
		return "fd list"
	case isEventBlock(t):
		return "event"
	}
	return "unknown"
}

func parseMachine(sec *Section, body []byte) error {
	if len(body) < machineBodyLen {
		return fmt.Errorf("body of %d bytes, need %d", len(body), machineBodyLen)
	}
	host := body[20:148]
	for i, c := range host {
		if c == 0 {
			host = host[:i]
			break
		}
	}
	sec.Machine = &Machine{
		NumCPUs:     binary.LittleEndian.Uint32(body[0:]),
		MemoryBytes: binary.LittleEndian.Uint64(body[4:]),
		MaxPID:      binary.LittleEndian.Uint64(body[12:]),
		Hostname:    string(host),
		BootTS:      binary.LittleEndian.Uint64(body[148:]),
		Flags:       binary.LittleEndian.Uint64(body[156:]),
	}
	return nil
}

func parseInterfaces(sec *Section, body []byte, v2 bool, budget *budget) error {
	c := &cursor{b: body}
	var out []Interface
	for c.left() >= 4 {
		end := -1
		if v2 {
			n := int(c.u32())
			end = c.o + n
			if c.err == nil && n > c.left() {
				return fmt.Errorf("entry %d: length %d overruns the block", len(out), n)
			}
		}
		var it Interface
		it.Type = c.u16()
		nameLen := int(c.u16())
		if nameLen > maxIfNameLen {
			return fmt.Errorf("entry %d: interface name of %d bytes", len(out), nameLen)
		}
		alen := 4
		switch it.Type {
		case IfaceIPv4, IfaceIPv4NoLinkSpeed:
		case IfaceIPv6, IfaceIPv6NoLinkSpeed:
			alen = 16
		default:
			if c.err == nil {
				return fmt.Errorf("entry %d: unknown interface type %d", len(out), it.Type)
			}
		}
		it.Addr = clone(c.take(alen))
		it.Netmask = clone(c.take(alen))
		it.Broadcast = clone(c.take(alen))
		if it.Type == IfaceIPv4 || it.Type == IfaceIPv6 {
			it.LinkSpeed = c.u64()
		}
		it.Name = string(c.take(nameLen))
		if c.err != nil {
			return fmt.Errorf("entry %d: %w", len(out), c.err)
		}
		if end >= 0 {
			if c.o > end {
				return fmt.Errorf("entry %d overruns its length", len(out))
			}
			c.o = end
		}
		if err := budget.spend(unsafe.Sizeof(it), len(it.Name)+3*len(it.Addr)); err != nil {
			return err
		}
		out = append(out, it)
	}
	sec.Interfaces = out
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// entry starts a length-prefixed entry (the prefix counts itself) and
// returns where it ends.
func entry(c *cursor, what string, i int) (int, error) {
	start := c.o
	n := int(c.u32())
	if c.err != nil {
		return 0, fmt.Errorf("%s %d: %w", what, i, c.err)
	}
	if n < 4 || n > len(c.b)-start {
		return 0, fmt.Errorf("%s %d: entry length %d outside 4..%d", what, i, n, len(c.b)-start)
	}
	return start + n, nil
}

// endEntry checks that the fields read stayed within the entry and skips
// what is left of it.
func endEntry(c *cursor, end int, what string, i int) error {
	if c.err != nil {
		return fmt.Errorf("%s %d: %w", what, i, c.err)
	}
	if end >= 0 {
		if c.o > end {
			return fmt.Errorf("%s %d overruns its length by %d bytes", what, i, c.o-end)
		}
		c.o = end
	}
	return nil
}

func parseUsers(sec *Section, body []byte, v2 bool, budget *budget) error {
	c := &cursor{b: body}
	var users []User
	var groups []Group
	for i := 0; c.left() >= 4; i++ {
		end := -1
		if v2 {
			var err error
			if end, err = entry(c, "user entry", i); err != nil {
				return err
			}
		}
		kind := c.u8()
		if kind == 0 {
			var u User
			u.UID, u.GID = c.u32(), c.u32()
			u.Name, u.Home, u.Shell = c.str(maxCredStrLen), c.str(maxCredStrLen), c.str(maxCredStrLen)
			if err := budget.spend(unsafe.Sizeof(u), len(u.Name)+len(u.Home)+len(u.Shell)); err != nil {
				return err
			}
			users = append(users, u)
		} else {
			var g Group
			g.GID = c.u32()
			g.Name = c.str(maxCredStrLen)
			if err := budget.spend(unsafe.Sizeof(g), len(g.Name)); err != nil {
				return err
			}
			groups = append(groups, g)
		}
		if err := endEntry(c, end, "user entry", i); err != nil {
			return err
		}
	}
	sec.Users, sec.Groups = users, groups
	return nil
}

func parseThreads(sec *Section, body []byte, ver int, budget *budget) error {
	c := &cursor{b: body}
	for i := 0; c.left() >= 4; i++ {
		end := -1
		if ver >= 9 {
			var err error
			if end, err = entry(c, "thread entry", i); err != nil {
				return err
			}
		}
		t := readThread(c, ver)
		if ver >= 9 && c.err == nil {
			readThreadTail(c, &t, end)
		}
		if err := endEntry(c, end, "thread entry", i); err != nil {
			return err
		}
		if err := budget.spend(unsafe.Sizeof(t), len(t.Comm)+len(t.Exe)+len(t.ExePath)+len(t.Args)+
			len(t.Cwd)+len(t.Env)+len(t.Cgroups)+len(t.Root)); err != nil {
			return err
		}
		sec.Threads = append(sec.Threads, t)
	}
	return nil
}

func readThread(c *cursor, ver int) Thread {
	t := Thread{SID: -1, VPGID: -1, PGID: -1, VTID: -1, VPID: -1, LoginUID: ^uint32(0)}
	t.TID, t.PID, t.PTID = c.i64(), c.i64(), c.i64()
	if ver >= 6 {
		t.SID = c.i64()
	}
	if ver >= 8 {
		t.VPGID = c.i64()
	}
	t.Comm = c.str(maxStateStringLen)
	t.Exe = c.str(maxStateStringLen)
	if ver >= 7 {
		t.ExePath = c.str(maxStateStringLen)
	}
	t.Args = c.list(maxListLen)
	t.Cwd = c.str(maxStateStringLen)
	t.FDLimit = c.u64()
	t.Flags, t.UID, t.GID = c.u32(), c.u32(), c.u32()
	if ver >= 2 {
		t.VMSize, t.VMRSS, t.VMSwap = c.u32(), c.u32(), c.u32()
		t.PFMajor, t.PFMinor = c.u64(), c.u64()
	}
	if ver >= 3 {
		t.Env = c.list(maxListLen)
	}
	if ver >= 4 {
		t.VTID, t.VPID = c.i64(), c.i64()
		t.Cgroups = c.list(maxListLen)
	}
	if ver >= 5 {
		t.Root = c.str(maxStateStringLen)
	}
	return t
}

// oldTailMax is the most bytes the tail after root can have in the layout
// of libraries before 0.10 (loginuid, exe_writable, three capability sets).
const oldTailMax = 29

// readThreadTail reads the optional fields after root, in whichever of the
// two layouts the entry uses.
func readThreadTail(c *cursor, t *Thread, end int) {
	has := func(n int) bool { return end-c.o >= n }
	if end-c.o > oldTailMax {
		t.PidnsInitStartTS = c.u64()
		t.TTY = c.u32()
	}
	if has(4) {
		t.LoginUID = c.u32()
	}
	if has(1) {
		t.ExeWritable = c.u8() != 0
	}
	// Each capability set is present on its own, as far as the entry
	// length allows.
	if has(8) {
		t.HasCaps = true
		t.CapInheritable = c.u64()
	}
	if has(8) {
		t.CapPermitted = c.u64()
	}
	if has(8) {
		t.CapEffective = c.u64()
	}
	if has(1) {
		t.ExeUpperLayer = c.u8() != 0
	}
	if has(8) {
		t.ExeIno = c.u64()
	}
	if has(8) {
		t.ExeInoCtime = c.u64()
	}
	if has(8) {
		t.ExeInoMtime = c.u64()
	}
	if has(1) {
		t.ExeFromMemfd = c.u8() != 0
	}
	if has(1) {
		t.ExeLowerLayer = c.u8() != 0
	}
	if has(8) {
		t.PGID = c.i64()
	}
}

func parseFDs(sec *Section, body []byte, v2 bool, budget *budget) error {
	c := &cursor{b: body}
	l := FDList{TID: c.i64()}
	if c.err != nil {
		return fmt.Errorf("fd list: %w", c.err)
	}
	for i := 0; c.left() >= 4; i++ {
		end := -1
		if v2 {
			var err error
			if end, err = entry(c, "fd entry", i); err != nil {
				return err
			}
		}
		fd, err := readFD(c, end)
		if err != nil {
			return fmt.Errorf("fd entry %d: %w", i, err)
		}
		if err := endEntry(c, end, "fd entry", i); err != nil {
			return err
		}
		if err := budget.spend(unsafe.Sizeof(fd), len(fd.Name)+len(fd.SrcIP)+len(fd.DstIP)); err != nil {
			return err
		}
		l.FDs = append(l.FDs, fd)
	}
	sec.FDs = append(sec.FDs, l)
	return nil
}

func readFD(c *cursor, end int) (FD, error) {
	fd := FD{FD: c.i64(), Ino: c.u64(), Type: c.u8()}
	if c.err == nil && end >= 0 && c.o > end {
		return fd, fmt.Errorf("fd, inode and type overrun the entry length by %d bytes", c.o-end)
	}
	switch fd.Type {
	case FDIPv4Sock:
		fd.SrcIP, fd.DstIP = clone(c.take(4)), clone(c.take(4))
		fd.SrcPort, fd.DstPort, fd.L4Proto = c.u16(), c.u16(), c.u8()
	case FDIPv6Sock:
		fd.SrcIP, fd.DstIP = clone(c.take(16)), clone(c.take(16))
		fd.SrcPort, fd.DstPort, fd.L4Proto = c.u16(), c.u16(), c.u8()
	case FDIPv4ServSock:
		fd.SrcIP, fd.SrcPort, fd.L4Proto = clone(c.take(4)), c.u16(), c.u8()
	case FDIPv6ServSock:
		fd.SrcIP, fd.SrcPort, fd.L4Proto = clone(c.take(16)), c.u16(), c.u8()
	case FDUnixSock:
		fd.SrcID, fd.DstID = c.u64(), c.u64()
		fd.Name = c.str(maxFDNameLen)
	case FDFileV2:
		fd.OpenFlags = c.u32()
		fd.Name = c.str(maxFDNameLen)
		if end >= 0 && end-c.o >= 4 {
			fd.Dev, fd.HasDev = c.u32(), true
		}
	case FDUnknown:
	case FDFile, FDDirectory, FDFifo, FDEvent, FDUnsupported, FDSignalFD, FDEventPoll,
		FDInotify, FDTimerFD, FDNetlink, FDBPF, FDUserfaultFD, FDIOUring, FDMemFD, FDPidFD:
		fd.Name = c.str(maxFDNameLen)
	default:
		if end < 0 {
			return fd, fmt.Errorf("unknown fd type %d in a version 1 list, which cannot be skipped", fd.Type)
		}
		// Current readers keep unknown types as unsupported fds and
		// skip their payload.
		fd.Name = fmt.Sprintf("unknown-type:[%d]", fd.Type)
		fd.Type = FDUnsupported
		c.o = end
	}
	return fd, c.err
}
