package scap

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// ---------------------------------------------------------------------------
// Block builder: captures are assembled from raw blocks in the tests, so
// that every layout of spec §1 can be written exactly, including the ones
// no current producer emits.

// fxBuf appends little-endian fields.
type fxBuf []byte

func (b fxBuf) u8(v uint8) fxBuf   { return append(b, v) }
func (b fxBuf) u16(v uint16) fxBuf { return binary.LittleEndian.AppendUint16(b, v) }
func (b fxBuf) u32(v uint32) fxBuf { return binary.LittleEndian.AppendUint32(b, v) }
func (b fxBuf) u64(v uint64) fxBuf { return binary.LittleEndian.AppendUint64(b, v) }
func (b fxBuf) i64(v int64) fxBuf  { return b.u64(uint64(v)) }
func (b fxBuf) raw(v []byte) fxBuf { return append(b, v...) }
func (b fxBuf) s16(v string) fxBuf { return b.u16(uint16(len(v))).raw([]byte(v)) }
func (b fxBuf) b16(v []byte) fxBuf { return b.u16(uint16(len(v))).raw(v) }

func (b fxBuf) bool(v bool) fxBuf {
	if v {
		return b.u8(1)
	}
	return b.u8(0)
}

// fxBlock frames body as a block: header, body, zero padding to a multiple
// of 4, trailer.
func fxBlock(typ uint32, body []byte) []byte {
	total := (8 + len(body) + 4 + 3) &^ 3
	b := fxBuf(nil).u32(typ).u32(uint32(total)).raw(body)
	for len(b) < total-4 {
		b = append(b, 0)
	}
	return b.u32(uint32(total))
}

// fxRawBlock writes a block whose header and trailer say total, whatever
// the body holds.
func fxRawBlock(typ, total uint32, body []byte, trailer uint32) []byte {
	return fxBuf(nil).u32(typ).u32(total).raw(body).u32(trailer)
}

func fxSHBBody(major, minor uint16, opts []byte) []byte {
	return fxBuf(nil).u32(shbMagic).u16(major).u16(minor).i64(-1).raw(opts)
}

// fxSHB is a version 1.2 section header without options, as writers emit.
func fxSHB() []byte { return fxBlock(blockSHB, fxSHBBody(1, 2, nil)) }

// fxOpt encodes one pcapng option, its value padded to 4 bytes.
func fxOpt(code uint16, val string) []byte {
	b := fxBuf(nil).u16(code).u16(uint16(len(val))).raw([]byte(val))
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func fxCapture(blocks ...[]byte) []byte { return bytes.Join(blocks, nil) }

func fxGzip(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func fxMIBody(m Machine) []byte {
	host := make([]byte, 128)
	copy(host, m.Hostname)
	return fxBuf(nil).u32(m.NumCPUs).u64(m.MemoryBytes).u64(m.MaxPID).raw(host).
		u64(m.BootTS).u64(m.Flags).u64(0).u64(0)
}

// fxEntry prefixes a UL, PL (V9) or FDL v2 entry with its length, which
// counts the prefix itself.
func fxEntry(prefixed bool, b []byte) []byte {
	if !prefixed {
		return b
	}
	return fxBuf(nil).u32(uint32(len(b) + 4)).raw(b)
}

// fxIface encodes an interface entry; v2 entries get a length prefix that
// does not count itself.
func fxIface(v2 bool, it Interface, extra []byte) []byte {
	b := fxBuf(nil).u16(it.Type).u16(uint16(len(it.Name))).raw(it.Addr).raw(it.Netmask).raw(it.Broadcast)
	if it.Type == IfaceIPv4 || it.Type == IfaceIPv6 {
		b = b.u64(it.LinkSpeed)
	}
	b = b.raw([]byte(it.Name)).raw(extra)
	if !v2 {
		return b
	}
	return fxBuf(nil).u32(uint32(len(b))).raw(b)
}

func fxUser(v2 bool, u User, extra []byte) []byte {
	return fxEntry(v2, fxBuf(nil).u8(0).u32(u.UID).u32(u.GID).s16(u.Name).s16(u.Home).s16(u.Shell).raw(extra))
}

func fxGroup(v2 bool, kind uint8, g Group, extra []byte) []byte {
	return fxEntry(v2, fxBuf(nil).u8(kind).u32(g.GID).s16(g.Name).raw(extra))
}

// fxThread encodes t as a process-list entry of version ver. The tail is
// written only in V9 entries, after root.
func fxThread(ver int, t Thread, tail []byte) []byte {
	b := fxBuf(nil).i64(t.TID).i64(t.PID).i64(t.PTID)
	if ver >= 6 {
		b = b.i64(t.SID)
	}
	if ver >= 8 {
		b = b.i64(t.VPGID)
	}
	b = b.s16(t.Comm).s16(t.Exe)
	if ver >= 7 {
		b = b.s16(t.ExePath)
	}
	b = b.b16(t.Args).s16(t.Cwd).u64(t.FDLimit).u32(t.Flags).u32(t.UID).u32(t.GID)
	if ver >= 2 {
		b = b.u32(t.VMSize).u32(t.VMRSS).u32(t.VMSwap).u64(t.PFMajor).u64(t.PFMinor)
	}
	if ver >= 3 {
		b = b.b16(t.Env)
	}
	if ver >= 4 {
		b = b.i64(t.VTID).i64(t.VPID).b16(t.Cgroups)
	}
	if ver >= 5 {
		b = b.s16(t.Root)
	}
	if ver < 9 {
		return b
	}
	return fxEntry(true, b.raw(tail))
}

// fxOldTail is the V9 tail of libraries before 0.10: loginuid,
// exe_writable and the first ncaps capability sets.
func fxOldTail(t Thread, ncaps int) []byte {
	b := fxBuf(nil).u32(t.LoginUID).bool(t.ExeWritable)
	for _, c := range []uint64{t.CapInheritable, t.CapPermitted, t.CapEffective}[:ncaps] {
		b = b.u64(c)
	}
	return b
}

// fxNewTail is the 80-byte V9 tail of current libraries.
func fxNewTail(t Thread) []byte {
	return fxBuf(nil).u64(t.PidnsInitStartTS).u32(t.TTY).u32(t.LoginUID).bool(t.ExeWritable).
		u64(t.CapInheritable).u64(t.CapPermitted).u64(t.CapEffective).bool(t.ExeUpperLayer).
		u64(t.ExeIno).u64(t.ExeInoCtime).u64(t.ExeInoMtime).bool(t.ExeFromMemfd).
		bool(t.ExeLowerLayer).i64(t.PGID)
}

// fxFD encodes an fd entry; v2 entries get a length prefix.
func fxFD(v2 bool, fd FD, extra []byte) []byte {
	b := fxBuf(nil).i64(fd.FD).u64(fd.Ino).u8(fd.Type)
	switch fd.Type {
	case FDIPv4Sock, FDIPv6Sock:
		b = b.raw(fd.SrcIP).raw(fd.DstIP).u16(fd.SrcPort).u16(fd.DstPort).u8(fd.L4Proto)
	case FDIPv4ServSock, FDIPv6ServSock:
		b = b.raw(fd.SrcIP).u16(fd.SrcPort).u8(fd.L4Proto)
	case FDUnixSock:
		b = b.u64(fd.SrcID).u64(fd.DstID).s16(fd.Name)
	case FDFileV2:
		b = b.u32(fd.OpenFlags).s16(fd.Name)
		if fd.HasDev {
			b = b.u32(fd.Dev)
		}
	case FDUnknown:
	default:
		b = b.s16(fd.Name)
	}
	return fxEntry(v2, b.raw(extra))
}

func fxFDLBody(tid int64, entries ...[]byte) []byte {
	return fxBuf(nil).i64(tid).raw(bytes.Join(entries, nil))
}

// fxV1Record builds a v1 event record: 22-byte header without nparams,
// u16 lengths. lenExtra is added to the header's len (old producers wrote
// it 3 too large for some types).
func fxV1Record(ts uint64, tid int64, typ event.Type, lenExtra int, params ...[]byte) []byte {
	n := v1HeaderLen + 2*len(params)
	for _, p := range params {
		n += len(p)
	}
	b := fxBuf(nil).u64(ts).i64(tid).u32(uint32(n + lenExtra)).u16(uint16(typ))
	for _, p := range params {
		b = b.u16(uint16(len(p)))
	}
	for _, p := range params {
		b = b.raw(p)
	}
	return b
}

func fxV2Record(tb testing.TB, ts uint64, tid int64, typ event.Type, params ...[]byte) []byte {
	tb.Helper()
	rec, err := event.AppendRecord(nil, ts, tid, typ, params...)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

func fxFlagged(btype uint32) bool {
	return btype == blockEVF || btype == blockEVFV2 || btype == blockEVFV2Large
}

// fxEvent frames a record as an event block of type btype; flags are
// written for the EVF types. trailing goes after the record, inside the
// block (padding or foreign options).
func fxEvent(btype uint32, cpu uint16, flags uint32, rec, trailing []byte) []byte {
	b := fxBuf(nil).u16(cpu)
	if fxFlagged(btype) {
		b = b.u32(flags)
	}
	return fxBlock(btype, b.raw(rec).raw(trailing))
}

func fxU16(v uint16) []byte  { return fxBuf(nil).u16(v) }
func fxU32(v uint32) []byte  { return fxBuf(nil).u32(v) }
func fxU64(v uint64) []byte  { return fxBuf(nil).u64(v) }
func fxCStr(s string) []byte { return append([]byte(s), 0) }

const (
	fxOpenX      event.Type = 3
	fxProcinfoT  event.Type = 234
	fxPluginEv   event.Type = 322
	fxContainer  event.Type = 324
	fxAsyncEvent event.Type = 402
)

// fxProcinfo is a small valid v2 event block (procinfo, two u64 values).
func fxProcinfo(tb testing.TB, ts uint64, tid int64) []byte {
	return fxEvent(blockEVV2, 1, 0, fxV2Record(tb, ts, tid, fxProcinfoT, fxU64(ts%1000), fxU64(7)), nil)
}

// ---------------------------------------------------------------------------
// Reading helpers.

type fxEvt struct {
	Num    uint64
	CPU    uint16
	Flags  uint32
	TS     uint64
	TID    int64
	Type   event.Type
	Raw    []byte
	Params [][]byte
}

type fxResult struct {
	Sections []*Section
	Events   []fxEvt
	Err      error // nil when the stream ended cleanly
}

func fxRead(data []byte, opts ReaderOptions) fxResult {
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		return fxResult{Err: err}
	}
	defer r.Close()
	res := fxResult{Sections: []*Section{r.Section()}}
	var ev event.Event
	for {
		err := r.Next(&ev)
		for len(res.Sections) < r.SectionNum() {
			res.Sections = append(res.Sections, r.Section())
		}
		if err == io.EOF {
			return res
		}
		if err != nil {
			res.Err = err
			return res
		}
		e := fxEvt{Num: ev.Num, CPU: ev.CPU, Flags: ev.DumpFlags, TS: ev.TS(), TID: ev.TID(),
			Type: ev.Type(), Raw: bytes.Clone(ev.Raw())}
		for i := range ev.NumParams() {
			e.Params = append(e.Params, bytes.Clone(ev.Param(i).Raw))
		}
		res.Events = append(res.Events, e)
	}
}

func fxMustRead(tb testing.TB, data []byte) fxResult {
	tb.Helper()
	res := fxRead(data, ReaderOptions{})
	if res.Err != nil {
		tb.Fatalf("read: %v", res.Err)
	}
	return res
}

// fxWantErr checks that err is a FormatError at offset off whose text
// names the offset and contains every one of want.
func fxWantErr(tb testing.TB, err error, off int64, want ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error; want one at offset %d containing %q", off, want)
	}
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
		tb.Fatalf("error %v (%T) is not a FormatError matching ErrFormat", err, err)
	}
	if fe.Offset != off {
		tb.Errorf("error %q at offset %d, want %d", err, fe.Offset, off)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, fmt.Sprintf("offset %d", off)) {
		tb.Errorf("error %q does not start with %q", msg, fmt.Sprintf("offset %d", off))
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			tb.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

func fxDeepEqual(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// fxWithMeta builds SHB, the given metadata blocks and one event, and
// returns the decoded section.
func fxWithMeta(tb testing.TB, meta ...[]byte) *Section {
	tb.Helper()
	data := fxCapture(fxSHB(), bytes.Join(meta, nil), fxProcinfo(tb, 100, 1))
	res := fxMustRead(tb, data)
	if len(res.Events) != 1 {
		tb.Fatalf("%d events, want 1", len(res.Events))
	}
	return res.Sections[0]
}

// ---------------------------------------------------------------------------
// Reference values.

var fxMachine = Machine{NumCPUs: 8, MemoryBytes: 16 << 30, MaxPID: 4194304, Hostname: "kestrel-host",
	BootTS: 1700000000123456789, Flags: 0x5}

func fxIP4(s string) []byte { a := netip.MustParseAddr(s).As4(); return a[:] }
func fxIP6(s string) []byte { a := netip.MustParseAddr(s).As16(); return a[:] }

var fxIfaces = []Interface{
	{Type: IfaceIPv4, Name: "eth0", Addr: fxIP4("10.0.0.5"), Netmask: fxIP4("255.255.255.0"), Broadcast: fxIP4("10.0.0.255"), LinkSpeed: 1000},
	{Type: IfaceIPv6, Name: "eth0", Addr: fxIP6("2001:db8::5"), Netmask: fxIP6("ffff:ffff:ffff:ffff::"), Broadcast: fxIP6("::"), LinkSpeed: 10000},
	{Type: IfaceIPv4NoLinkSpeed, Name: "lo", Addr: fxIP4("127.0.0.1"), Netmask: fxIP4("255.0.0.0"), Broadcast: fxIP4("127.255.255.255")},
	{Type: IfaceIPv6NoLinkSpeed, Name: "lo", Addr: fxIP6("::1"), Netmask: fxIP6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Broadcast: fxIP6("::")},
}

var fxUsers = []User{
	{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"},
	{UID: 1000, GID: 1001, Name: "alice", Home: "/home/alice", Shell: "/bin/zsh"},
}

var fxGroups = []Group{{GID: 0, Name: "root"}, {GID: 1001, Name: "alice"}, {GID: 27, Name: "sudo"}}

// fxFullThread has every field set, tail included.
var fxFullThread = Thread{
	TID: 1234, PID: 1200, PTID: 1, SID: 1100, VPGID: 1150, PGID: 1199,
	Comm: "nginx", Exe: "/usr/sbin/nginx", ExePath: "/usr/sbin/nginx.real",
	Args: []byte("-g\x00daemon off;\x00"), Cwd: "/srv", FDLimit: 65536, Flags: 0x2001,
	UID: 33, GID: 34, VMSize: 10240, VMRSS: 2048, VMSwap: 16, PFMajor: 7, PFMinor: 9000,
	Env: []byte("PATH=/bin\x00HOME=/\x00"), VTID: 12, VPID: 10,
	Cgroups: []byte("cpu=/docker/abc\x00memory=/docker/abc\x00"), Root: "/var/lib/root",
	LoginUID: 1000, ExeWritable: true, HasCaps: true,
	CapInheritable: 0x1, CapPermitted: 0x3ff, CapEffective: 0x3fe,
	PidnsInitStartTS: 1690000000000000000, TTY: 34816, ExeUpperLayer: true, ExeLowerLayer: true,
	ExeFromMemfd: true, ExeIno: 123456, ExeInoCtime: 1690000000000000001, ExeInoMtime: 1690000000000000002,
}

// fxThreadWant is what a reader should decode from fxThread(ver, t, nil):
// the fields of that version, and the defaults for the rest.
func fxThreadWant(ver int, t Thread) Thread {
	w := t
	if ver < 6 {
		w.SID = -1
	}
	if ver < 8 {
		w.VPGID = -1
	}
	if ver < 7 {
		w.ExePath = ""
	}
	if ver < 2 {
		w.VMSize, w.VMRSS, w.VMSwap, w.PFMajor, w.PFMinor = 0, 0, 0, 0, 0
	}
	if ver < 3 {
		w.Env = nil
	}
	if ver < 4 {
		w.VTID, w.VPID, w.Cgroups = -1, -1, nil
	}
	if ver < 5 {
		w.Root = ""
	}
	w.LoginUID, w.ExeWritable, w.HasCaps = ^uint32(0), false, false
	w.CapInheritable, w.CapPermitted, w.CapEffective = 0, 0, 0
	w.PidnsInitStartTS, w.TTY, w.PGID = 0, 0, -1
	w.ExeUpperLayer, w.ExeLowerLayer, w.ExeFromMemfd = false, false, false
	w.ExeIno, w.ExeInoCtime, w.ExeInoMtime = 0, 0, 0
	return w
}

// fxFDs has one entry of every fd type (FILE_V2 with a device number).
var fxFDs = []FD{
	{FD: 0, Ino: 0, Type: FDUnknown},
	{FD: 1, Ino: 11, Type: FDFile, Name: "/var/log/app.log"},
	{FD: 2, Ino: 12, Type: FDDirectory, Name: "/etc"},
	{FD: 3, Ino: 13, Type: FDIPv4Sock, SrcIP: fxIP4("10.0.0.5"), DstIP: fxIP4("93.184.216.34"), SrcPort: 40000, DstPort: 443, L4Proto: 2},
	{FD: 4, Ino: 14, Type: FDIPv6Sock, SrcIP: fxIP6("2001:db8::5"), DstIP: fxIP6("2001:db8::9"), SrcPort: 40001, DstPort: 80, L4Proto: 2},
	{FD: 5, Ino: 15, Type: FDIPv4ServSock, SrcIP: fxIP4("0.0.0.0"), SrcPort: 22, L4Proto: 2},
	{FD: 6, Ino: 16, Type: FDIPv6ServSock, SrcIP: fxIP6("::"), SrcPort: 53, L4Proto: 3},
	{FD: 7, Ino: 17, Type: FDFifo, Name: "pipe:[17]"},
	{FD: 8, Ino: 18, Type: FDUnixSock, SrcID: 0xffff888000001000, DstID: 0xffff888000002000, Name: "/run/app.sock"},
	{FD: 9, Ino: 19, Type: FDEvent, Name: "anon_inode:[eventfd]"},
	{FD: 10, Ino: 20, Type: FDUnsupported, Name: "anon_inode:[perf_event]"},
	{FD: 11, Ino: 21, Type: FDSignalFD, Name: "anon_inode:[signalfd]"},
	{FD: 12, Ino: 22, Type: FDEventPoll, Name: "anon_inode:[eventpoll]"},
	{FD: 13, Ino: 23, Type: FDInotify, Name: "anon_inode:inotify"},
	{FD: 14, Ino: 24, Type: FDTimerFD, Name: "anon_inode:[timerfd]"},
	{FD: 15, Ino: 25, Type: FDNetlink, Name: "socket:[25]"},
	{FD: 16, Ino: 26, Type: FDFileV2, OpenFlags: 0x1003, Name: "/data/db", Dev: 0x803, HasDev: true},
	{FD: 17, Ino: 27, Type: FDBPF, Name: "anon_inode:bpf-map"},
	{FD: 18, Ino: 28, Type: FDUserfaultFD, Name: "anon_inode:[userfaultfd]"},
	{FD: 19, Ino: 29, Type: FDIOUring, Name: "anon_inode:[io_uring]"},
	{FD: 20, Ino: 30, Type: FDMemFD, Name: "/memfd:payload (deleted)"},
	{FD: 21, Ino: 31, Type: FDPidFD, Name: "anon_inode:[pidfd]"},
}

// ---------------------------------------------------------------------------
// Every block id of spec §1.4.

// fxAllBlockIDs lists every id of the block registry, aliases included.
var fxAllBlockIDs = []uint32{
	0x0A0D0D0A,
	0x201, 0x8002ABCD,
	0x202, 0x8000ABCD, 0x207, 0x8013ABCD, 0x209, 0x8014ABCD, 0x210, 0x211, 0x212, 0x213, 0x214, 0x215,
	0x203, 0x8001ABCD, 0x218,
	0x205, 0x8011ABCD, 0x219,
	0x206, 0x8012ABCD, 0x220,
	0x204, 0x8010ABCD, 0x208, 0x216, 0x217, 0x221, 0x222,
}

func TestEveryBlockID(t *testing.T) {
	thread2 := fxFullThread
	thread2.TID, thread2.Comm, thread2.Flags = 1235, "nginx-worker", 0x2001
	type metaCase struct {
		id   uint32
		body []byte
		want Section
	}
	var cases []metaCase
	for _, id := range []uint32{blockMI, blockMIAlias} {
		cases = append(cases, metaCase{id, fxMIBody(fxMachine), Section{Machine: &fxMachine}})
	}
	for _, id := range []uint32{blockPLV1, blockPLV1Alias, blockPLV2, blockPLV2Alias, blockPLV3, blockPLV3Alias,
		blockPLV4, blockPLV5, blockPLV6, blockPLV7, blockPLV8, blockPLV9} {
		ver := plVersion(id)
		body := fxCapture(fxThread(ver, fxFullThread, nil), fxThread(ver, thread2, nil))
		cases = append(cases, metaCase{id, body, Section{Threads: []Thread{fxThreadWant(ver, fxFullThread), fxThreadWant(ver, thread2)}}})
	}
	for _, id := range []uint32{blockFDL, blockFDLAlias, blockFDLV2} {
		v2 := id == blockFDLV2
		fds := []FD{fxFDs[1], fxFDs[3], fxFDs[8]}
		var ents [][]byte
		for _, fd := range fds {
			ents = append(ents, fxFD(v2, fd, nil))
		}
		cases = append(cases, metaCase{id, fxFDLBody(1200, ents...), Section{FDs: []FDList{{TID: 1200, FDs: fds}}}})
	}
	for _, id := range []uint32{blockIL, blockILAlias, blockILV2} {
		var ents [][]byte
		for _, it := range fxIfaces {
			ents = append(ents, fxIface(id == blockILV2, it, nil))
		}
		cases = append(cases, metaCase{id, bytes.Join(ents, nil), Section{Interfaces: fxIfaces}})
	}
	for _, id := range []uint32{blockUL, blockULAlias, blockULV2} {
		v2 := id == blockULV2
		body := fxCapture(fxUser(v2, fxUsers[0], nil), fxUser(v2, fxUsers[1], nil),
			fxGroup(v2, 1, fxGroups[0], nil), fxGroup(v2, 1, fxGroups[1], nil), fxGroup(v2, 1, fxGroups[2], nil))
		cases = append(cases, metaCase{id, body, Section{Users: fxUsers, Groups: fxGroups}})
	}

	seen := map[uint32]bool{blockSHB: true}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%#x", c.id), func(t *testing.T) {
			seen[c.id] = true
			got := fxWithMeta(t, fxBlock(c.id, c.body))
			c.want.Major, c.want.Minor = 1, 2
			fxDeepEqual(t, "section", *got, c.want)
		})
	}
	for _, id := range []uint32{blockEV, blockEVAlias, blockEVF, blockEVV2, blockEVFV2, blockEVV2Large, blockEVFV2Large} {
		t.Run(fmt.Sprintf("%#x", id), func(t *testing.T) {
			seen[id] = true
			params := [][]byte{fxU64(96), fxU64(215)}
			rec := fxV2Record(t, 1534527342999999999, 1, fxProcinfoT, params...)
			if id == blockEV || id == blockEVAlias || id == blockEVF {
				rec = fxV1Record(1534527342999999999, 1, fxProcinfoT, 0, params...)
			}
			res := fxMustRead(t, fxCapture(fxSHB(), fxEvent(id, 3, 1, rec, nil)))
			wantFlags := uint32(0)
			if fxFlagged(id) {
				wantFlags = 1
			}
			want := []fxEvt{{Num: 1, CPU: 3, Flags: wantFlags, TS: 1534527342999999999, TID: 1, Type: fxProcinfoT,
				Raw: fxV2Record(t, 1534527342999999999, 1, fxProcinfoT, params...), Params: params}}
			fxDeepEqual(t, "events", res.Events, want)
		})
	}
	for _, id := range fxAllBlockIDs {
		if !seen[id] {
			t.Errorf("block id %#x is not covered", id)
		}
	}
}

// ---------------------------------------------------------------------------
// Section header and machine info.

func TestSectionHeader(t *testing.T) {
	ev := fxProcinfo(t, 5, 1)
	t.Run("no options", func(t *testing.T) {
		data := fxCapture(fxBlock(blockSHB, fxSHBBody(1, 0, nil)), ev)
		if len(fxSHB()) != 28 {
			t.Fatalf("SHB without options is %d bytes, want 28", len(fxSHB()))
		}
		res := fxMustRead(t, data)
		fxDeepEqual(t, "section", *res.Sections[0], Section{Major: 1, Minor: 0})
	})
	t.Run("pcapng options", func(t *testing.T) {
		opts := fxCapture(fxOpt(1, "File-level comment"), fxOpt(4, "Editcap (Wireshark) 4.5.0"), fxOpt(0, ""))
		data := fxCapture(fxBlock(blockSHB, fxSHBBody(1, 2, opts)), fxBlock(blockMI, fxMIBody(fxMachine)), ev)
		res := fxMustRead(t, data)
		fxDeepEqual(t, "section", *res.Sections[0], Section{Major: 1, Minor: 2, Machine: &fxMachine})
		if len(res.Events) != 1 {
			t.Fatalf("%d events", len(res.Events))
		}
	})
	t.Run("newer minor version", func(t *testing.T) {
		res := fxMustRead(t, fxCapture(fxBlock(blockSHB, fxSHBBody(1, 99, nil)), ev))
		if s := res.Sections[0]; s.Major != 1 || s.Minor != 99 {
			t.Errorf("version %d.%d", s.Major, s.Minor)
		}
	})
	t.Run("major version 2", func(t *testing.T) {
		res := fxRead(fxCapture(fxBlock(blockSHB, fxSHBBody(2, 0, nil)), ev), ReaderOptions{})
		fxWantErr(t, res.Err, 0, "block 0xa0d0d0a", "capture format version 2.0 is newer than 1.x")
	})
	t.Run("byte-swapped magic", func(t *testing.T) {
		be := fxBuf(nil).u32(blockSHB)
		be = binary.BigEndian.AppendUint32(be, 28)
		be = binary.BigEndian.AppendUint32(be, shbMagic)
		be = binary.BigEndian.AppendUint16(be, 1)
		be = binary.BigEndian.AppendUint16(be, 2)
		be = be.i64(-1)
		be = binary.BigEndian.AppendUint32(be, 28)
		res := fxRead(fxCapture(be, ev), ReaderOptions{})
		fxWantErr(t, res.Err, 0, "big-endian captures are not supported")
	})
	t.Run("byte-swapped magic in a little-endian frame", func(t *testing.T) {
		body := fxSHBBody(1, 2, nil)
		binary.BigEndian.PutUint32(body, shbMagic)
		res := fxRead(fxCapture(fxBlock(blockSHB, body), ev), ReaderOptions{})
		fxWantErr(t, res.Err, 0, "big-endian captures are not supported")
	})
	t.Run("bad magic", func(t *testing.T) {
		body := fxSHBBody(1, 2, nil)
		binary.LittleEndian.PutUint32(body, 0xdeadbeef)
		res := fxRead(fxCapture(fxBlock(blockSHB, body), ev), ReaderOptions{})
		fxWantErr(t, res.Err, 0, "bad byte-order magic 0xdeadbeef")
	})
	t.Run("short body", func(t *testing.T) {
		res := fxRead(fxCapture(fxBlock(blockSHB, fxSHBBody(1, 2, nil)[:8]), ev), ReaderOptions{})
		fxWantErr(t, res.Err, 0, "section header body of 8 bytes, need 16")
	})
	t.Run("bad trailer", func(t *testing.T) {
		shb := fxSHB()
		binary.LittleEndian.PutUint32(shb[24:], 32)
		res := fxRead(fxCapture(shb, ev), ReaderOptions{})
		fxWantErr(t, res.Err, 0, "block trailer 32 does not match the length 28")
	})
}

func TestMachineInfo(t *testing.T) {
	long := fxMachine
	long.Hostname = strings.Repeat("h", 128) // fills the field: no NUL
	for _, m := range []Machine{fxMachine, long, {Hostname: ""}} {
		got := fxWithMeta(t, fxBlock(blockMI, fxMIBody(m)))
		fxDeepEqual(t, "machine", got.Machine, &m)
	}
	if got := fxWithMeta(t); got.Machine != nil {
		t.Errorf("capture without MI has machine %+v", got.Machine)
	}
}

// ---------------------------------------------------------------------------
// Interface and user lists.

func TestInterfaceLists(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v2=%v", v2), func(t *testing.T) {
			id := uint32(blockIL)
			if v2 {
				id = blockILV2
			}
			var ents [][]byte
			for _, it := range fxIfaces {
				ents = append(ents, fxIface(v2, it, nil))
			}
			got := fxWithMeta(t, fxBlock(id, bytes.Join(ents, nil)))
			fxDeepEqual(t, "interfaces", got.Interfaces, fxIfaces)
		})
	}
	t.Run("v2 entries with appended fields", func(t *testing.T) {
		var ents [][]byte
		for i, it := range fxIfaces {
			ents = append(ents, fxIface(true, it, bytes.Repeat([]byte{0xee}, i+1)))
		}
		got := fxWithMeta(t, fxBlock(blockILV2, bytes.Join(ents, nil)))
		fxDeepEqual(t, "interfaces", got.Interfaces, fxIfaces)
	})
	t.Run("second list replaces the first", func(t *testing.T) {
		got := fxWithMeta(t, fxBlock(blockILV2, fxIface(true, fxIfaces[0], nil)), fxBlock(blockIL, fxIface(false, fxIfaces[3], nil)))
		fxDeepEqual(t, "interfaces", got.Interfaces, fxIfaces[3:])
	})
	t.Run("empty list", func(t *testing.T) {
		got := fxWithMeta(t, fxBlock(blockILV2, nil))
		if got.Interfaces != nil {
			t.Errorf("interfaces %+v", got.Interfaces)
		}
	})
}

func TestUserLists(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v2=%v", v2), func(t *testing.T) {
			id := uint32(blockUL)
			if v2 {
				id = blockULV2
			}
			// Any kind other than 0 is a group.
			body := fxCapture(fxUser(v2, fxUsers[0], nil), fxGroup(v2, 1, fxGroups[0], nil),
				fxUser(v2, fxUsers[1], nil), fxGroup(v2, 1, fxGroups[1], nil), fxGroup(v2, 0xff, fxGroups[2], nil))
			got := fxWithMeta(t, fxBlock(id, body))
			fxDeepEqual(t, "users", got.Users, fxUsers)
			fxDeepEqual(t, "groups", got.Groups, fxGroups)
		})
	}
	t.Run("v2 entries with appended fields", func(t *testing.T) {
		body := fxCapture(fxUser(true, fxUsers[0], []byte{1, 2, 3}), fxGroup(true, 1, fxGroups[0], []byte{9}))
		got := fxWithMeta(t, fxBlock(blockULV2, body))
		fxDeepEqual(t, "users", got.Users, fxUsers[:1])
		fxDeepEqual(t, "groups", got.Groups, fxGroups[:1])
	})
	t.Run("longest strings", func(t *testing.T) {
		u := User{UID: 1, GID: 2, Name: strings.Repeat("n", 255), Home: strings.Repeat("h", 255), Shell: strings.Repeat("s", 255)}
		got := fxWithMeta(t, fxBlock(blockULV2, fxUser(true, u, nil)))
		fxDeepEqual(t, "users", got.Users, []User{u})
	})
	t.Run("second list replaces the first", func(t *testing.T) {
		got := fxWithMeta(t, fxBlock(blockULV2, fxUser(true, fxUsers[0], nil)), fxBlock(blockULV2, fxGroup(true, 1, fxGroups[2], nil)))
		if got.Users != nil {
			t.Errorf("users %+v", got.Users)
		}
		fxDeepEqual(t, "groups", got.Groups, fxGroups[2:])
	})
}

// ---------------------------------------------------------------------------
// Process lists.

func TestProcessListVersions(t *testing.T) {
	for ver := 1; ver <= 9; ver++ {
		t.Run(fmt.Sprintf("V%d", ver), func(t *testing.T) {
			var id uint32
			for _, cand := range fxAllBlockIDs {
				if plVersion(cand) == ver {
					id = cand
					break
				}
			}
			got := fxWithMeta(t, fxBlock(id, fxThread(ver, fxFullThread, nil)))
			fxDeepEqual(t, "threads", got.Threads, []Thread{fxThreadWant(ver, fxFullThread)})
		})
	}
	t.Run("lists without final NUL and empty lists", func(t *testing.T) {
		th := fxFullThread
		th.Args, th.Env, th.Cgroups = []byte("-v\x00-x"), nil, []byte("cpu=/")
		got := fxWithMeta(t, fxBlock(blockPLV5, fxThread(5, th, nil)))
		want := fxThreadWant(5, th)
		want.Args, want.Cgroups = []byte("-v\x00-x\x00"), []byte("cpu=/\x00")
		fxDeepEqual(t, "threads", got.Threads, []Thread{want})
	})
	t.Run("several blocks add up", func(t *testing.T) {
		a, b := fxFullThread, fxFullThread
		b.TID = 99
		got := fxWithMeta(t, fxBlock(blockPLV9, fxThread(9, a, nil)), fxBlock(blockPLV5, fxThread(5, b, nil)))
		fxDeepEqual(t, "threads", got.Threads, []Thread{fxThreadWant(9, a), fxThreadWant(5, b)})
	})
	t.Run("longest strings", func(t *testing.T) {
		th := fxFullThread
		th.Comm, th.Exe, th.ExePath, th.Cwd, th.Root = strings.Repeat("c", 1024), strings.Repeat("e", 1024),
			strings.Repeat("p", 1024), strings.Repeat("w", 1024), strings.Repeat("r", 1024)
		th.Args = append(bytes.Repeat([]byte("a"), 4095), 0)
		th.Env = append(bytes.Repeat([]byte("E"), 4095), 0)
		th.Cgroups = append(bytes.Repeat([]byte("g"), 4095), 0)
		got := fxWithMeta(t, fxBlock(blockPLV9, fxThread(9, th, nil)))
		fxDeepEqual(t, "threads", got.Threads, []Thread{fxThreadWant(9, th)})
	})
}

func TestProcessListV9Tail(t *testing.T) {
	base := fxThreadWant(9, fxFullThread)
	full := fxFullThread
	cases := []struct {
		name string
		tail []byte
		want func(w *Thread)
	}{
		{"no tail", nil, func(w *Thread) {}},
		{"old 5-byte tail", fxOldTail(full, 0), func(w *Thread) {
			w.LoginUID, w.ExeWritable = full.LoginUID, true
		}},
		{"old tail with one capability set", fxOldTail(full, 1), func(w *Thread) {
			w.LoginUID, w.ExeWritable, w.HasCaps, w.CapInheritable = full.LoginUID, true, true, full.CapInheritable
		}},
		{"old tail with capabilities (29 bytes)", fxOldTail(full, 3), func(w *Thread) {
			w.LoginUID, w.ExeWritable, w.HasCaps = full.LoginUID, true, true
			w.CapInheritable, w.CapPermitted, w.CapEffective = full.CapInheritable, full.CapPermitted, full.CapEffective
		}},
		{"new tail", fxNewTail(full), func(w *Thread) { *w = full }},
		{"new 80-byte tail", append(fxNewTail(full), 1, 2, 3, 4), func(w *Thread) { *w = full }},
		{"new tail and unknown fields", append(fxNewTail(full), 1, 2, 3, 4, 5, 6, 7), func(w *Thread) { *w = full }},
		{"new layout, 33 bytes (up to cap_permitted)", fxNewTail(full)[:33], func(w *Thread) {
			w.PidnsInitStartTS, w.TTY, w.LoginUID, w.ExeWritable = full.PidnsInitStartTS, full.TTY, full.LoginUID, true
			w.HasCaps, w.CapInheritable, w.CapPermitted = true, full.CapInheritable, full.CapPermitted
		}},
		{"new tail up to the inode", fxNewTail(full)[:50], func(w *Thread) {
			*w = full
			w.ExeInoCtime, w.ExeInoMtime, w.ExeFromMemfd, w.ExeLowerLayer, w.PGID = 0, 0, false, false, -1
		}},
	}
	if n := len(fxOldTail(full, 3)); n != oldTailMax {
		t.Fatalf("old tail with capabilities is %d bytes, want %d", n, oldTailMax)
	}
	// The fields spec §1.9 lists for the current tail add up to 76
	// bytes; with 4 more (a field this reader does not know yet) the
	// tail is 80 bytes.
	if n := len(fxNewTail(full)); n != 76 {
		t.Fatalf("new tail is %d bytes, want 76", n)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := base
			c.want(&want)
			got := fxWithMeta(t, fxBlock(blockPLV9, fxThread(9, full, c.tail)))
			fxDeepEqual(t, "threads", got.Threads, []Thread{want})
		})
	}
}

// ---------------------------------------------------------------------------
// Fd lists.

func TestFDLists(t *testing.T) {
	t.Run("v1 every type", func(t *testing.T) {
		var ents [][]byte
		var want []FD
		for _, fd := range fxFDs {
			if fd.Type == FDFileV2 {
				fd.Dev, fd.HasDev = 0, false // v1 entries cannot carry a device
			}
			ents = append(ents, fxFD(false, fd, nil))
			want = append(want, fd)
		}
		got := fxWithMeta(t, fxBlock(blockFDL, fxFDLBody(1200, ents...)))
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 1200, FDs: want}})
	})
	t.Run("v2 every type", func(t *testing.T) {
		var ents [][]byte
		for _, fd := range fxFDs {
			ents = append(ents, fxFD(true, fd, nil))
		}
		got := fxWithMeta(t, fxBlock(blockFDLV2, fxFDLBody(1200, ents...)))
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 1200, FDs: fxFDs}})
	})
	t.Run("v2 file without device", func(t *testing.T) {
		fd := FD{FD: 3, Ino: 9, Type: FDFileV2, OpenFlags: 1, Name: "/dev/null"}
		got := fxWithMeta(t, fxBlock(blockFDLV2, fxFDLBody(7, fxFD(true, fd, nil))))
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 7, FDs: []FD{fd}}})
	})
	t.Run("v2 unknown types are kept as unsupported", func(t *testing.T) {
		unknown := fxEntry(true, fxBuf(nil).i64(5).u64(55).u8(99).raw([]byte("payload of a newer type")))
		bare := fxEntry(true, fxBuf(nil).i64(6).u64(56).u8(200))
		ents := [][]byte{fxFD(true, fxFDs[1], nil), unknown, bare, fxFD(true, fxFDs[2], nil)}
		got := fxWithMeta(t, fxBlock(blockFDLV2, fxFDLBody(7, ents...)))
		want := []FD{fxFDs[1], {FD: 5, Ino: 55, Type: FDUnsupported, Name: "unknown-type:[99]"},
			{FD: 6, Ino: 56, Type: FDUnsupported, Name: "unknown-type:[200]"}, fxFDs[2]}
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 7, FDs: want}})
	})
	t.Run("v2 entries with appended fields", func(t *testing.T) {
		var ents [][]byte
		for i, fd := range fxFDs {
			extra := bytes.Repeat([]byte{0xaa}, i%5+1)
			if fd.Type == FDFileV2 {
				extra = nil // bytes after the name would be read as the device
			}
			ents = append(ents, fxFD(true, fd, extra))
		}
		got := fxWithMeta(t, fxBlock(blockFDLV2, fxFDLBody(1200, ents...)))
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 1200, FDs: fxFDs}})
	})
	t.Run("empty lists, one per thread", func(t *testing.T) {
		got := fxWithMeta(t, fxBlock(blockFDLV2, fxFDLBody(1, fxFD(true, fxFDs[1], nil))),
			fxBlock(blockFDLV2, fxFDLBody(2)), fxBlock(blockFDL, fxFDLBody(3)))
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 1, FDs: fxFDs[1:2]}, {TID: 2}, {TID: 3}})
	})
	t.Run("longest name", func(t *testing.T) {
		fd := FD{FD: 1, Type: FDFile, Name: strings.Repeat("n", 1023)}
		got := fxWithMeta(t, fxBlock(blockFDL, fxFDLBody(1, fxFD(false, fd, nil))))
		fxDeepEqual(t, "fds", got.FDs, []FDList{{TID: 1, FDs: []FD{fd}}})
	})
}

// TestMetadataErrors checks that every kind of bad metadata block is
// refused with its offset (28, right after the section header), its type
// and what is wrong.
func TestMetadataErrors(t *testing.T) {
	short := fxThread(5, fxFullThread, nil)
	v9 := fxThread(9, fxFullThread, nil)
	binary.LittleEndian.PutUint32(v9, 40) // entry length shorter than its fields
	longName := fxFullThread
	longName.Comm = strings.Repeat("c", 1025)
	longArgs := fxFullThread
	longArgs.Args = bytes.Repeat([]byte("a"), 4097)
	cases := []struct {
		name  string
		block []byte
		want  []string
	}{
		{"MI body too short", fxBlock(blockMI, fxMIBody(fxMachine)[:176]), []string{"(block 0x201)", "bad machine info block: body of 176 bytes, need 180"}},
		{"MI trailer", fxRawBlock(blockMI, 192, fxMIBody(fxMachine), 196), []string{"block trailer 196 does not match the length 192"}},
		{"IL unknown type", fxBlock(blockIL, fxBuf(nil).u16(9).u16(0).raw(make([]byte, 12))), []string{"(block 0x205)", "bad interface list block: entry 0: unknown interface type 9"}},
		{"IL v2 unknown type", fxBlock(blockILV2, fxBuf(nil).u32(16).u16(5).u16(0).raw(make([]byte, 12))), []string{"(block 0x219)", "unknown interface type 5"}},
		{"IL name too long", fxBlock(blockIL, fxIface(false, Interface{Type: 3, Name: strings.Repeat("i", 1024), Addr: fxIP4("1.1.1.1"), Netmask: fxIP4("1.1.1.1"), Broadcast: fxIP4("1.1.1.1")}, nil)), []string{"entry 0: interface name of 1024 bytes"}},
		{"IL truncated entry", fxBlock(blockIL, fxIface(false, fxIfaces[1], nil)[:40]), []string{"entry 0: entry too short"}},
		{"IL v2 length overruns the block", fxBlock(blockILV2, fxBuf(nil).u32(500).raw(fxIface(false, fxIfaces[0], nil))), []string{"entry 0: length 500 overruns the block"}},
		{"IL v2 length too short", fxBlock(blockILV2, fxCapture(fxBuf(nil).u32(8).raw(fxIface(false, fxIfaces[0], nil)))), []string{"entry 0 overruns its length"}},
		{"UL name too long", fxBlock(blockUL, fxUser(false, User{Name: strings.Repeat("u", 256)}, nil)), []string{"(block 0x206)", "bad user list block", "string of 256 bytes", "exceeds 255"}},
		{"UL shell too long", fxBlock(blockULV2, fxUser(true, User{Shell: strings.Repeat("s", 300)}, nil)), []string{"string of 300 bytes"}},
		{"UL v2 entry length below 4", fxBlock(blockULV2, fxBuf(nil).u32(2).raw(fxUser(false, fxUsers[0], nil))), []string{"user entry 0: entry length 2 outside 4.."}},
		{"UL v2 entry length beyond the block", fxBlock(blockULV2, fxBuf(nil).u32(4000).raw(fxUser(false, fxUsers[0], nil))), []string{"user entry 0: entry length 4000 outside 4.."}},
		{"UL v2 fields overrun the entry", fxBlock(blockULV2, fxCapture(fxBuf(nil).u32(12).raw(fxUser(false, fxUsers[0], nil)))), []string{"user entry 0 overruns its length by"}},
		{"UL truncated", fxBlock(blockUL, fxUser(false, fxUsers[1], nil)[:12]), []string{"user entry 0: entry too short"}},
		{"PL comm too long", fxBlock(blockPLV5, fxThread(5, longName, nil)), []string{"(block 0x211)", "bad process list (v5) block", "string of 1025 bytes", "exceeds 1024"}},
		{"PL args too long", fxBlock(blockPLV1, fxThread(1, longArgs, nil)), []string{"(block 0x202)", "string of 4097 bytes", "exceeds 4096"}},
		{"PL truncated entry", fxBlock(blockPLV5, short[:len(short)-10]), []string{"thread entry 0: entry too short"}},
		{"PL V9 entry length too short", fxBlock(blockPLV9, v9), []string{"(block 0x215)", "thread entry 0 overruns its length by"}},
		{"PL V9 entry length beyond the block", fxBlock(blockPLV9, fxBuf(nil).u32(1<<20).raw(v9[4:])), []string{"thread entry 0: entry length 1048576 outside 4.."}},
		{"FDL without tid", fxBlock(blockFDL, []byte{1, 2, 3, 4}), []string{"(block 0x203)", "bad fd list block: fd list: entry too short"}},
		{"FDL v1 unknown type", fxBlock(blockFDL, fxFDLBody(1, fxBuf(nil).i64(3).u64(4).u8(30).raw([]byte("xxxx")))), []string{"fd entry 0: unknown fd type 30 in a version 1 list, which cannot be skipped"}},
		{"FDL v1 name too long", fxBlock(blockFDL, fxFDLBody(1, fxFD(false, FD{Type: FDFile, Name: strings.Repeat("f", 1024)}, nil))), []string{"fd entry 0: entry too short: string of 1024 bytes", "exceeds 1023"}},
		{"FDL v1 truncated socket", fxBlock(blockFDL, fxFDLBody(1, fxFD(false, fxFDs[4], nil)[:30])), []string{"fd entry 0: entry too short"}},
		{"FDL v2 entry length 0", fxBlock(blockFDLV2, fxFDLBody(1, fxBuf(nil).u32(0).raw(fxFD(false, fxFDs[1], nil)))), []string{"(block 0x218)", "fd entry 0: entry length 0 outside 4.."}},
		{"FDL v2 fields overrun the entry", fxBlock(blockFDLV2, fxFDLBody(1, fxBuf(nil).u32(24).raw(fxFD(false, fxFDs[1], nil)))), []string{"fd entry 0 overruns its length by"}},
		{"FDL v2 unknown type overruns the entry", fxBlock(blockFDLV2, fxFDLBody(1, fxBuf(nil).u32(8).i64(5).u64(6).u8(99).raw(make([]byte, 8)))), []string{"fd entry 0: fd, inode and type overrun the entry length by 13 bytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := fxRead(fxCapture(fxSHB(), c.block, fxProcinfo(t, 1, 1)), ReaderOptions{})
			fxWantErr(t, res.Err, 28, c.want...)
		})
	}
}

// ---------------------------------------------------------------------------
// Event blocks.

func TestEventBlocks(t *testing.T) {
	const ts, tid = uint64(1534527348514682170), int64(17497)
	openParams := [][]byte{fxU64(3), fxCStr("/etc/ld.so.cache"), fxU32(4097), fxU32(0), fxU32(0x803), fxU64(77)}
	type want struct {
		cpu    uint16
		flags  uint32
		typ    event.Type
		params [][]byte
	}
	cases := []struct {
		name  string
		block []byte
		want  want
	}{
		{"v2", fxEvent(blockEVV2, 1, 0, fxV2Record(t, ts, tid, fxOpenX, openParams...), nil),
			want{1, 0, fxOpenX, openParams}},
		{"v2 with flags", fxEvent(blockEVFV2, 2, event.DumpFlagStateOnly, fxV2Record(t, ts, tid, fxOpenX, openParams...), nil),
			want{2, 1, fxOpenX, openParams}},
		{"v2 with trailing options", fxEvent(blockEVV2, 0, 0, fxV2Record(t, ts, tid, fxOpenX, openParams[:4]...), fxCapture(fxOpt(1, "comment"), fxOpt(0, ""))),
			want{0, 0, fxOpenX, openParams[:4]}},
		{"v2 with no parameters", fxEvent(blockEVV2, 0, 0, fxV2Record(t, ts, tid, fxOpenX), nil),
			want{0, 0, fxOpenX, nil}},
		{"v2 with empty values", fxEvent(blockEVV2, 0, 0, fxV2Record(t, ts, tid, fxOpenX, nil, nil, nil), nil),
			want{0, 0, fxOpenX, [][]byte{{}, {}, {}}}},
		{"v2 with more parameters than the schema", fxEvent(blockEVV2, 0, 0, fxV2Record(t, ts, tid, fxProcinfoT, fxU64(1), fxU64(2), []byte("new")), nil),
			want{0, 0, fxProcinfoT, [][]byte{fxU64(1), fxU64(2), []byte("new")}}},
		{"large", fxEvent(blockEVV2Large, 0, 0, fxV2Record(t, ts, -1, fxContainer, bytes.Repeat([]byte("j"), 70000)), nil),
			want{0, 0, fxContainer, [][]byte{bytes.Repeat([]byte("j"), 70000)}}},
		{"large with flags", fxEvent(blockEVFV2Large, 5, 3, fxV2Record(t, ts, tid, fxPluginEv, fxU32(999), []byte("plugin data")), nil),
			want{5, 3, fxPluginEv, [][]byte{fxU32(999), []byte("plugin data")}}},
		{"large type in a small block has u32 lengths", fxEvent(blockEVV2, 0, 0, fxV2Record(t, ts, -1, fxContainer, fxCStr(`{"id":"abc"}`)), nil),
			want{0, 0, fxContainer, [][]byte{fxCStr(`{"id":"abc"}`)}}},
		{"small type in a large block has u16 lengths", fxEvent(blockEVV2Large, 0, 0, fxV2Record(t, ts, tid, fxOpenX, openParams...), nil),
			want{0, 0, fxOpenX, openParams}},
		{"asyncevent (current only, large)", fxEvent(blockEVV2Large, 0, 0, fxV2Record(t, ts, 0, fxAsyncEvent, fxU32(0), fxCStr("container"), []byte("{}")), nil),
			want{0, 0, fxAsyncEvent, [][]byte{fxU32(0), fxCStr("container"), []byte("{}")}}},
		{"v1 all parameters", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, fxOpenX, 0, openParams...), nil),
			want{0, 0, fxOpenX, openParams}},
		{"v1 alias", fxEvent(blockEVAlias, 0, 0, fxV1Record(ts, tid, fxOpenX, 0, openParams...), nil),
			want{0, 0, fxOpenX, openParams}},
		{"v1 with flags", fxEvent(blockEVF, 7, 1, fxV1Record(ts, tid, fxOpenX, 0, openParams...), nil),
			want{7, 1, fxOpenX, openParams}},
		{"v1 older producer (fewer parameters)", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, fxOpenX, 0, openParams[:4]...), nil),
			want{0, 0, fxOpenX, openParams[:4]}},
		{"v1 no parameters", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, fxOpenX, 0), nil),
			want{0, 0, fxOpenX, nil}},
		{"v1 empty values", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, fxOpenX, 0, nil, nil), nil),
			want{0, 0, fxOpenX, [][]byte{{}, {}}}},
		{"v1 trailing bytes", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, fxOpenX, 0, openParams[:4]...), fxOpt(1, "editcap comment")),
			want{0, 0, fxOpenX, openParams[:4]}},
		{"v1 notification (len 3 too large)", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, 280, 3, fxCStr("id1"), fxCStr("description")), nil),
			want{0, 0, 280, [][]byte{fxCStr("id1"), fxCStr("description")}}},
		{"v1 infrastructure event (len 3 too large)", fxEvent(blockEV, 0, 0, fxV1Record(ts, tid, 286, 3, fxCStr("src"), fxCStr("name"), fxCStr("desc"), fxCStr("scope")), nil),
			want{0, 0, 286, [][]byte{fxCStr("src"), fxCStr("name"), fxCStr("desc"), fxCStr("scope")}}},
		{"v1 large type gets u32 lengths", fxEvent(blockEV, 0, 0, fxV1Record(ts, -1, fxContainer, 0, fxCStr(`{"id":"abc"}`)), nil),
			want{0, 0, fxContainer, [][]byte{fxCStr(`{"id":"abc"}`)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := fxMustRead(t, fxCapture(fxSHB(), c.block))
			evTS, evTID := ts, tid
			if c.want.typ == fxContainer {
				evTID = -1
			}
			if c.want.typ == fxAsyncEvent {
				evTID = 0
			}
			want := []fxEvt{{Num: 1, CPU: c.want.cpu, Flags: c.want.flags, TS: evTS, TID: evTID, Type: c.want.typ,
				Raw: fxV2Record(t, evTS, evTID, c.want.typ, c.want.params...), Params: c.want.params}}
			fxDeepEqual(t, "events", res.Events, want)
		})
	}
}

func TestUnknownEventTypesAreSkipped(t *testing.T) {
	unknown := func(typ event.Type) []byte {
		// A record of a type beyond the table is skipped before its bytes
		// are checked.
		return fxEvent(blockEVV2, 0, 0, fxBuf(nil).u64(9).i64(9).u32(0xffffffff).u16(uint16(typ)).u32(1000), nil)
	}
	data := fxCapture(fxSHB(), unknown(454), fxProcinfo(t, 1, 1), unknown(0xffff),
		fxEvent(blockEV, 0, 0, fxV1Record(2, 1, 1000, 0, []byte("x")), nil), fxProcinfo(t, 3, 1), unknown(500))
	res := fxMustRead(t, data)
	if len(res.Events) != 2 {
		t.Fatalf("%d events, want 2", len(res.Events))
	}
	for i, e := range res.Events {
		if e.Num != uint64(i+1) || e.TS != uint64(2*i+1) {
			t.Errorf("event %d: num %d ts %d", i, e.Num, e.TS)
		}
	}
}

func TestEventSizeLimits(t *testing.T) {
	// A procinfo record whose second value fills the block: the reader
	// does not check value sizes, only that they fit.
	rec := func(n int) []byte {
		return fxV2Record(t, 1, 1, fxProcinfoT, fxU64(1), make([]byte, n-event.HeaderLen-4-8))
	}
	biggest := fxEvent(blockEVV2, 0, 0, rec(65530), nil) // 8 + 2 + 65530 + 4 = 65544
	if len(biggest) != 65544 {
		t.Fatalf("block of %d bytes", len(biggest))
	}
	if res := fxMustRead(t, fxCapture(fxSHB(), biggest)); len(res.Events) != 1 {
		t.Errorf("%d events", len(res.Events))
	}
	tooBig := fxEvent(blockEVV2, 0, 0, rec(65534), nil)
	res := fxRead(fxCapture(fxSHB(), tooBig), ReaderOptions{})
	fxWantErr(t, res.Err, 28, "(block 0x216)", "event block of 65548 bytes", "large-payload block type")
	if res := fxMustRead(t, fxCapture(fxSHB(), fxEvent(blockEVV2Large, 0, 0, rec(65534), nil))); len(res.Events) != 1 {
		t.Errorf("large block: %d events", len(res.Events))
	}
	huge := fxV2Record(t, 1, 1, fxContainer, make([]byte, 1<<20))
	res = fxRead(fxCapture(fxSHB(), fxEvent(blockEVV2Large, 0, 0, huge, nil)), ReaderOptions{MaxBlockLen: 1 << 20})
	fxWantErr(t, res.Err, 28, "block length 1048620 exceeds the limit of 1048576")
}

// TestEventErrors checks bad event records. The event block is the first
// block after the section header, at offset 28.
func TestEventErrors(t *testing.T) {
	good := fxV2Record(t, 1, 1, fxOpenX, fxU64(3), fxCStr("/x"), fxU32(1), fxU32(0))
	with := func(off int, v []byte) []byte {
		r := bytes.Clone(good)
		copy(r[off:], v)
		return r
	}
	v1 := fxV1Record(1, 1, fxOpenX, 0, fxU64(3), fxCStr("/x"), fxU32(1), fxU32(0))
	v1With := func(off int, v []byte) []byte {
		r := bytes.Clone(v1)
		copy(r[off:], v)
		return r
	}
	cases := []struct {
		name  string
		block []byte
		want  []string
	}{
		{"nparams above 32", fxEvent(blockEVV2, 0, 0, with(22, fxU32(33)), nil), []string{"(block 0x216)", "event type 3", "has 33 parameters, more than 32"}},
		{"nparams huge", fxEvent(blockEVV2, 0, 0, with(22, fxU32(0xffffffff)), nil), []string{"4294967295 parameters, more than 32"}},
		{"lengths overrun the record", fxEvent(blockEVV2, 0, 0, with(22, fxU32(30)), nil), []string{"30 parameter lengths overrun the"}},
		{"value overruns the record", fxEvent(blockEVV2, 0, 0, with(28, fxU16(100)), nil), []string{"parameter 1 (100 bytes) overruns the"}},
		{"last value overruns the record", fxEvent(blockEVV2, 0, 0, with(32, fxU16(5)), nil), []string{"parameter 3 (5 bytes) overruns"}},
		{"record longer than the block", fxEvent(blockEVV2, 0, 0, with(16, fxU32(500)), nil), []string{"record length 500 outside 26.."}},
		{"record shorter than its header", fxEvent(blockEVV2, 0, 0, with(16, fxU32(10)), nil), []string{"record length 10 outside 26.."}},
		{"large record lengths overrun", fxEvent(blockEVV2Large, 0, 0, with(20, fxU16(uint16(fxContainer))), nil), []string{"(block 0x221)", "event type 324", "overruns"}},
		{"block shorter than the header", fxEvent(blockEVV2, 0, 0, good[:20], nil), []string{"event record of 22 bytes is shorter than its 26-byte header"}},
		{"flags block shorter than its prefix", fxBlock(blockEVFV2, []byte{1, 2, 3, 4}), []string{"(block 0x217)", "event block body of 4 bytes"}},
		{"v1 shorter than its header", fxEvent(blockEV, 0, 0, v1[:18], nil), []string{"(block 0x204)", "event record of 18 bytes is shorter than its 22-byte header"}},
		{"v1 lengths cover too little", fxEvent(blockEV, 0, 0, v1With(22, fxU16(4)), nil), []string{"event type 3: parameter lengths cover", "cannot infer the parameter count"}},
		{"v1 record longer than the block", fxEvent(blockEV, 0, 0, v1With(16, fxU32(1000)), nil), []string{"record length 1000 outside 22.."}},
		{"v1 record shorter than its header", fxEvent(blockEV, 0, 0, v1With(16, fxU32(21)), nil), []string{"record length 21 outside 22.."}},
		{"v1 notification shorter than its header", fxEvent(blockEV, 0, 0, fxV1Record(1, 1, 280, -1), nil), []string{"event type 280", "record length 21 outside 25..25"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := fxRead(fxCapture(fxSHB(), c.block), ReaderOptions{})
			fxWantErr(t, res.Err, 28, c.want...)
		})
	}
	t.Run("error after good events names the block", func(t *testing.T) {
		first := fxProcinfo(t, 1, 1)
		data := fxCapture(fxSHB(), first, fxProcinfo(t, 2, 1), fxEvent(blockEVV2, 0, 0, with(22, fxU32(40)), nil))
		res := fxRead(data, ReaderOptions{})
		fxWantErr(t, res.Err, int64(28+2*len(first)), "has 40 parameters")
		if len(res.Events) != 2 {
			t.Errorf("%d events before the error, want 2", len(res.Events))
		}
	})
}

// ---------------------------------------------------------------------------
// File structure.

func TestUnknownMetadataBlocksAreSkipped(t *testing.T) {
	got := fxWithMeta(t, fxBlock(0x999, []byte("a block from the future")), fxBlock(blockMI, fxMIBody(fxMachine)),
		fxBlock(0x7fff0000, nil), fxBlock(0x223, make([]byte, 1000)))
	fxDeepEqual(t, "section", *got, Section{Major: 1, Minor: 2, Machine: &fxMachine})
}

func TestConcatenatedSections(t *testing.T) {
	m2 := fxMachine
	m2.Hostname = "second-host"
	th := fxFullThread
	sec1 := fxCapture(fxSHB(), fxBlock(blockMI, fxMIBody(fxMachine)), fxBlock(blockPLV9, fxThread(9, th, nil)),
		fxBlock(blockFDLV2, fxFDLBody(th.TID, fxFD(true, fxFDs[1], nil))), fxProcinfo(t, 1, 1), fxProcinfo(t, 2, 1))
	sec2 := fxCapture(fxBlock(blockSHB, fxSHBBody(1, 0, nil)), fxBlock(blockMI, fxMIBody(m2)), fxProcinfo(t, 3, 2))
	r, err := NewReader(bytes.NewReader(fxCapture(sec1, sec2, sec1)), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	var got []string
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s := r.Section()
		got = append(got, fmt.Sprintf("%d:%d:%s:%d.%d:threads=%d:fds=%d", ev.Num, r.SectionNum(), s.Machine.Hostname,
			s.Major, s.Minor, len(s.Threads), len(s.FDs)))
	}
	want := []string{
		"1:1:kestrel-host:1.2:threads=1:fds=1",
		"2:1:kestrel-host:1.2:threads=1:fds=1",
		"3:2:second-host:1.0:threads=0:fds=0",
		"4:3:kestrel-host:1.2:threads=1:fds=1",
		"5:3:kestrel-host:1.2:threads=1:fds=1",
	}
	fxDeepEqual(t, "events", got, want)
	if r.Offset() != int64(2*len(sec1)+len(sec2)) {
		t.Errorf("offset %d at the end, want %d", r.Offset(), 2*len(sec1)+len(sec2))
	}
}

func TestStructureErrors(t *testing.T) {
	shb, ev := fxSHB(), fxProcinfo(t, 1, 1)
	mi := fxBlock(blockMI, fxMIBody(fxMachine))
	cases := []struct {
		name string
		data []byte
		off  int64
		want []string
	}{
		{"empty", nil, 0, []string{"empty capture"}},
		{"short header", []byte{0x0a, 0x0d, 0x0d}, 0, []string{"truncated block header (3 of 8 bytes)"}},
		{"not a capture", []byte("#!/bin/sh\necho this is not a capture\n"), 0, []string{"not a capture: the first block is not a section header"}},
		{"first block is metadata", fxCapture(mi, shb, ev), 0, []string{"(block 0x201)", "not a capture"}},
		{"no events", fxCapture(shb, mi), 220, []string{"no events in capture section"}},
		{"only a section header", shb, 28, []string{"no events in capture section"}},
		{"metadata after events", fxCapture(shb, ev, ev, mi, ev), int64(28 + 2*len(ev)), []string{"(block 0x201)", "metadata block after events"}},
		{"unknown block after events", fxCapture(shb, ev, fxBlock(0x999, nil)), int64(28 + len(ev)), []string{"(block 0x999)", "metadata block after events"}},
		{"second section without events", fxCapture(shb, ev, shb, mi), int64(28 + len(ev) + 28 + len(mi)), []string{"no events in capture section"}},
		{"second section with a bad header", fxCapture(shb, ev, fxBlock(blockSHB, fxSHBBody(3, 0, nil))), int64(28 + len(ev)), []string{"version 3.0"}},
		{"block length not a multiple of 4", fxCapture(shb, fxRawBlock(blockMI, 190, make([]byte, 178), 190)), 28, []string{"bad block length 190: need a multiple of 4, at least 12"}},
		{"block length below 12", fxCapture(shb, fxBuf(nil).u32(blockMI).u32(8)), 28, []string{"bad block length 8"}},
		{"truncated block", fxCapture(shb, mi[:100]), 28, []string{"(block 0x201)", "truncated block: 100 of 192 bytes"}},
		{"truncated header after events", fxCapture(shb, ev, ev[:5]), int64(28 + len(ev)), []string{"truncated block header (5 of 8 bytes)"}},
		{"truncated event", fxCapture(shb, ev, ev[:30]), int64(28 + len(ev)), []string{"(block 0x216)", fmt.Sprintf("truncated block: 30 of %d bytes", len(ev))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := fxRead(c.data, ReaderOptions{})
			fxWantErr(t, res.Err, c.off, c.want...)
		})
	}
}

func TestErrorsAreSticky(t *testing.T) {
	ev := fxProcinfo(t, 1, 1)
	for _, data := range [][]byte{
		fxCapture(fxSHB(), ev, ev[:20]),
		fxCapture(fxSHB(), ev, fxBlock(blockMI, fxMIBody(fxMachine)), ev),
	} {
		r, err := NewReader(bytes.NewReader(data), ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		if err := r.Next(&e); err != nil {
			t.Fatal(err)
		}
		first := r.Next(&e)
		if first == nil || first == io.EOF {
			t.Fatalf("got %v, want an error", first)
		}
		for range 3 {
			if err := r.Next(&e); err != first {
				t.Errorf("later call returned %v, want %v", err, first)
			}
		}
	}
}

func TestGzip(t *testing.T) {
	plain := fxSample(t)
	want := fxMustRead(t, plain)
	zipped := fxGzip(t, plain)
	t.Run("gzip", func(t *testing.T) {
		fxDeepEqual(t, "gzip", fxMustRead(t, zipped), want)
	})
	t.Run("members", func(t *testing.T) {
		// libscap reads with zlib, which reads concatenated members as one
		// stream; the split falls inside a block.
		data := fxCapture(fxGzip(t, plain[:100]), fxGzip(t, plain[100:300]), fxGzip(t, plain[300:]))
		fxDeepEqual(t, "members", fxMustRead(t, data), want)
	})
	t.Run("trailing garbage", func(t *testing.T) {
		// zlib ignores what follows the last member unless it starts
		// another member.
		data := fxCapture(zipped, make([]byte, 100))
		fxDeepEqual(t, "trailing zeros", fxMustRead(t, data), want)
	})
	t.Run("offsets count decompressed bytes", func(t *testing.T) {
		ev := fxProcinfo(t, 1, 1)
		res := fxRead(fxGzip(t, fxCapture(fxSHB(), ev, fxBlock(blockMI, fxMIBody(fxMachine)))), ReaderOptions{})
		fxWantErr(t, res.Err, int64(28+len(ev)), "metadata block after events")
	})
	t.Run("truncated", func(t *testing.T) {
		res := fxRead(zipped[:len(zipped)-10], ReaderOptions{})
		var fe *FormatError
		if !errors.As(res.Err, &fe) || !errors.Is(res.Err, io.ErrUnexpectedEOF) && !strings.Contains(res.Err.Error(), "truncated") {
			t.Errorf("truncated gzip: %v", res.Err)
		}
	})
	t.Run("corrupt checksum", func(t *testing.T) {
		bad := bytes.Clone(zipped)
		bad[len(bad)-6] ^= 0xff // CRC-32
		res := fxRead(bad, ReaderOptions{})
		if !errors.Is(res.Err, gzip.ErrChecksum) || !errors.Is(res.Err, ErrFormat) {
			t.Errorf("corrupt checksum: %v", res.Err)
		}
		if !strings.HasPrefix(res.Err.Error(), fmt.Sprintf("offset %d", len(plain))) {
			t.Errorf("corrupt checksum: %q does not name the end of the stream", res.Err)
		}
	})
	t.Run("bad gzip header", func(t *testing.T) {
		res := fxRead([]byte{0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, ReaderOptions{})
		fxWantErr(t, res.Err, 0, "open gzip stream", "gzip: invalid header")
	})
}

// fxSample is a small capture with one block of every kind, used by the
// gzip, truncation and corruption tests and as a fuzzing seed.
func fxSample(tb testing.TB) []byte {
	th := fxFullThread
	return fxCapture(
		fxBlock(blockSHB, fxSHBBody(1, 2, fxCapture(fxOpt(1, "kestrel"), fxOpt(0, "")))),
		fxBlock(blockMI, fxMIBody(fxMachine)),
		fxBlock(blockILV2, fxCapture(fxIface(true, fxIfaces[0], nil), fxIface(true, fxIfaces[1], nil))),
		fxBlock(blockULV2, fxCapture(fxUser(true, fxUsers[0], nil), fxGroup(true, 1, fxGroups[0], nil))),
		fxBlock(blockPLV9, fxThread(9, th, fxNewTail(th))),
		fxBlock(blockFDLV2, fxFDLBody(th.TID, fxFD(true, fxFDs[16], nil), fxFD(true, fxFDs[3], nil), fxFD(true, fxFDs[8], nil))),
		fxProcinfo(tb, 1, th.TID),
		fxEvent(blockEVFV2, 1, 1, fxV2Record(tb, 2, th.TID, fxOpenX, fxU64(3), fxCStr("/etc/passwd"), fxU32(1), fxU32(0)), nil),
		fxEvent(blockEV, 0, 0, fxV1Record(3, th.TID, fxOpenX, 0, fxU64(4), fxCStr("/etc/hosts"), fxU32(1), fxU32(0)), nil),
		fxEvent(blockEVV2Large, 0, 0, fxV2Record(tb, 4, -1, fxContainer, fxCStr(`{"container":{"id":"3ad7b26ded6d"}}`)), nil),
	)
}

// fxBlockEnds returns the end offset of every block of a plain capture
// and the number of event blocks that end at or before each.
func fxBlockEnds(data []byte) (ends []int, events []int) {
	n := 0
	for off := 0; off+8 <= len(data); {
		typ := binary.LittleEndian.Uint32(data[off:])
		off += int(binary.LittleEndian.Uint32(data[off+4:]))
		if isEventBlock(typ) {
			n++
		}
		ends = append(ends, off)
		events = append(events, n)
	}
	return ends, events
}

// ---------------------------------------------------------------------------
// Hostile input.

// TestTruncation reads every prefix of a valid capture. Each must give
// either a clean shorter read (the prefix ends at a block boundary after
// the first event) or a FormatError naming an offset within the prefix.
func TestTruncation(t *testing.T) {
	data := fxSample(t)
	full := fxMustRead(t, data)
	ends, events := fxBlockEnds(data)
	clean := map[int]int{}
	for i, e := range ends {
		if events[i] > 0 {
			clean[e] = events[i]
		}
	}
	for n := 0; n < len(data); n++ {
		res := fxRead(data[:n], ReaderOptions{})
		if want, ok := clean[n]; ok {
			if res.Err != nil {
				t.Fatalf("prefix %d ends at a block boundary: %v", n, res.Err)
			}
			if len(res.Events) != want {
				t.Fatalf("prefix %d: %d events, want %d", n, len(res.Events), want)
			}
			fxDeepEqual(t, fmt.Sprintf("prefix %d", n), res.Events, full.Events[:want])
			continue
		}
		var fe *FormatError
		if !errors.As(res.Err, &fe) || !errors.Is(res.Err, ErrFormat) {
			t.Fatalf("prefix %d: got %v, want a FormatError", n, res.Err)
		}
		if fe.Offset < 0 || fe.Offset > int64(n) || !strings.HasPrefix(res.Err.Error(), fmt.Sprintf("offset %d", fe.Offset)) {
			t.Fatalf("prefix %d: error %q at offset %d", n, res.Err, fe.Offset)
		}
	}
	zipped := fxGzip(t, data)
	for n := 0; n < len(zipped); n++ {
		res := fxRead(zipped[:n], ReaderOptions{})
		var fe *FormatError
		if !errors.As(res.Err, &fe) {
			t.Fatalf("gzip prefix %d: got %v, want a FormatError", n, res.Err)
		}
	}
}

// fxCheckErr checks the promises every read error keeps.
func fxCheckErr(tb testing.TB, err error, limit int64) {
	tb.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
		tb.Fatalf("got %v (%T), want a FormatError", err, err)
	}
	if fe.Offset < 0 || (limit >= 0 && fe.Offset > limit) {
		tb.Fatalf("error %q: offset %d outside 0..%d", err, fe.Offset, limit)
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("offset %d", fe.Offset)) || fe.Msg == "" {
		tb.Fatalf("error %q does not say where and what", err)
	}
}

func TestByteFlips(t *testing.T) {
	data := fxSample(t)
	zipped := fxGzip(t, data)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 4000 {
		src, limit := data, int64(len(data))
		if i%8 == 7 {
			src, limit = zipped, -1
		}
		mut := bytes.Clone(src)
		for range 1 + rng.IntN(4) {
			p := rng.IntN(len(mut))
			switch rng.IntN(3) {
			case 0:
				mut[p] ^= 1 << rng.IntN(8)
			case 1:
				mut[p] = byte(rng.IntN(256))
			default:
				mut[p] = []byte{0, 0xff, 0x7f, 0x80}[rng.IntN(4)]
			}
		}
		res := fxRead(mut, ReaderOptions{})
		if res.Err != nil {
			fxCheckErr(t, res.Err, limit)
		}
	}
}

// TestLyingLengths feeds blocks whose length claims far more than the
// stream holds. They must fail fast, without allocating for the claim.
func TestLyingLengths(t *testing.T) {
	ev := fxProcinfo(t, 1, 1)
	liar := func(typ, n uint32) []byte { return fxBuf(nil).u32(typ).u32(n).raw(make([]byte, 64)) }
	cases := []struct {
		name string
		data []byte
		opts ReaderOptions
		want string
	}{
		{"metadata over the limit", fxCapture(fxSHB(), liar(blockPLV9, 0xfffffff0)), ReaderOptions{}, "block length 4294967280 exceeds the limit of 268435456"},
		{"metadata within the limit", fxCapture(fxSHB(), liar(blockPLV9, 200<<20)), ReaderOptions{}, "truncated block: 72 of 209715200 bytes"},
		{"metadata with no limit", fxCapture(fxSHB(), liar(blockPLV9, 0xfffffff0)), ReaderOptions{MaxBlockLen: math.MaxUint32}, "truncated block: 72 of 4294967280 bytes"},
		{"event with no limit", fxCapture(fxSHB(), ev, liar(blockEVV2Large, 0xfffffff0)), ReaderOptions{MaxBlockLen: math.MaxUint32}, "truncated block: 72 of 4294967280 bytes"},
		{"section header with no limit", liar(blockSHB, 0xfffffff0), ReaderOptions{MaxBlockLen: math.MaxUint32}, "truncated block: 72 of 4294967280 bytes"},
		{"gzip with no limit", fxGzip(t, fxCapture(fxSHB(), liar(blockFDLV2, 0xfffffff0))), ReaderOptions{MaxBlockLen: math.MaxUint32}, "truncated block: 72 of 4294967280 bytes"},
		{"string length", fxCapture(fxSHB(), fxBlock(blockFDL, fxFDLBody(1, fxBuf(nil).i64(1).u64(1).u8(FDFile).u16(1000).raw([]byte("short"))))), ReaderOptions{}, "need 1000 bytes"},
		{"entry length", fxCapture(fxSHB(), fxBlock(blockPLV9, fxBuf(nil).u32(0xffffffff).raw(make([]byte, 40)))), ReaderOptions{}, "entry length 4294967295 outside 4..44"},
		{"interface entry length", fxCapture(fxSHB(), fxBlock(blockILV2, fxBuf(nil).u32(0xfffffff0).raw(make([]byte, 40)))), ReaderOptions{}, "length 4294967280 overruns the block"},
		{"event record length", fxCapture(fxSHB(), fxEvent(blockEVV2Large, 0, 0, fxBuf(nil).u64(1).u64(1).u32(0xfffffff0).u16(uint16(fxContainer)).u32(1).u32(0xfffffff0), nil)), ReaderOptions{}, "record length 4294967280 outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := fxRead(c.data, c.opts)
			fxCheckErr(t, res.Err, -1)
			if !strings.Contains(res.Err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", res.Err, c.want)
			}
			const runs = 20
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range runs {
				fxRead(c.data, c.opts)
			}
			runtime.ReadMemStats(&after)
			// The reader's own buffers (64 KiB, and as much again for
			// gzip) are all a run may cost.
			if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 512<<10 {
				t.Errorf("a read allocates %d bytes, want at most 512 KiB", per)
			}
		})
	}
}

// TestLargeBlockMemory checks that a real large block still reads, and
// costs about its size.
func TestLargeBlockMemory(t *testing.T) {
	const size = 8 << 20
	data := fxCapture(fxSHB(), fxEvent(blockEVV2Large, 0, 0, fxV2Record(t, 1, -1, fxContainer, make([]byte, size)), nil))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := NewReader(bytes.NewReader(data), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if err := r.Next(&ev); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := ev.Param(0).Raw; len(got) != size {
		t.Fatalf("value of %d bytes", len(got))
	}
	// The buffer doubles as data arrives (about 2 times the block; the
	// race detector adds to that).
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*size {
		t.Errorf("reading a %d-byte block allocated %d bytes", size, alloc)
	}
}

// ---------------------------------------------------------------------------
// Real captures (shared/testdata/scap). Values checked here were read with
// shared/tools/scapdump.py.

func fxRealCaptures(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range testenv.Captures(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	for _, name := range []string{"curl_google.scap", "curl_google_comments.scap", "single_ipv6_conn.scap"} {
		if out[name] == nil {
			testenv.Missing(t, name)
		}
	}
	return out
}

func fxCountFDs(s *Section) int {
	n := 0
	for _, l := range s.FDs {
		n += len(l.FDs)
	}
	return n
}

func fxFDOf(t *testing.T, s *Section, tid, fd int64) FD {
	t.Helper()
	for _, l := range s.FDs {
		if l.TID != tid {
			continue
		}
		for _, f := range l.FDs {
			if f.FD == fd {
				return f
			}
		}
	}
	t.Fatalf("no fd %d of thread %d", fd, tid)
	return FD{}
}

// fxEventAt reads the capture to event number num and returns a copy of
// its decoded view.
func fxEventAt(t *testing.T, data []byte, num uint64) (*event.Event, []byte) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	for {
		if err := r.Next(&ev); err != nil {
			t.Fatalf("event %d: %v", num, err)
		}
		if ev.Num == num {
			raw := bytes.Clone(ev.Raw())
			var cp event.Event
			if err := cp.Reset(raw); err != nil {
				t.Fatal(err)
			}
			cp.Num, cp.CPU, cp.DumpFlags = ev.Num, ev.CPU, ev.DumpFlags
			return &cp, raw
		}
	}
}

func TestRealCaptures(t *testing.T) {
	caps := fxRealCaptures(t)
	t.Run("curl_google", func(t *testing.T) {
		data := caps["curl_google.scap"]
		res := fxMustRead(t, data)
		s := res.Sections[0]
		if len(res.Events) != 1536 || len(res.Sections) != 1 {
			t.Fatalf("%d events in %d sections", len(res.Events), len(res.Sections))
		}
		if len(s.Threads) != 54 || len(s.FDs) != 54 || fxCountFDs(s) != 316 || len(s.Users) != 31 || len(s.Groups) != 55 || len(s.Interfaces) != 5 {
			t.Errorf("threads %d, fd lists %d, fds %d, users %d, groups %d, interfaces %d",
				len(s.Threads), len(s.FDs), fxCountFDs(s), len(s.Users), len(s.Groups), len(s.Interfaces))
		}
		if s.Major != 1 || s.Minor != 0 {
			t.Errorf("version %d.%d", s.Major, s.Minor)
		}
		fxDeepEqual(t, "machine", s.Machine, &Machine{NumCPUs: 1, MemoryBytes: 1038864384, Hostname: "ip-10-0-0-79"})
		fxDeepEqual(t, "interface 0", s.Interfaces[0], Interface{Type: IfaceIPv4, Name: "lo", Addr: fxIP4("127.0.0.1"), Netmask: fxIP4("255.0.0.0"), Broadcast: fxIP4("127.0.0.1")})
		fxDeepEqual(t, "interface 3", s.Interfaces[3], Interface{Type: IfaceIPv6, Name: "eth0", Addr: fxIP6("2600:1f18:262c:6542:9aa6:df7a:9a47:d29e"),
			Netmask: fxIP6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Broadcast: fxIP6("::")})
		fxDeepEqual(t, "user 0", s.Users[0], User{Name: "root", Home: "/root", Shell: "/bin/bash"})
		fxDeepEqual(t, "last user", s.Users[30], User{UID: 1000, GID: 1000, Name: "ubuntu", Home: "/home/ubuntu", Shell: "/bin/bash"})
		fxDeepEqual(t, "last group", s.Groups[54], Group{GID: 1000, Name: "ubuntu"})
		th := s.Threads[0]
		th.Cgroups = nil
		fxDeepEqual(t, "thread 0", th, Thread{TID: 1, PID: 1, PTID: 0, SID: -1, VPGID: -1, PGID: -1, Comm: "systemd", Exe: "/sbin/init",
			Cwd: "/", FDLimit: 1048576, VMSize: 37972, VMRSS: 5976, PFMajor: 50, PFMinor: 13681,
			Env: []byte("HOME=/\x00init=/sbin/init\x00recovery=\x00TERM=linux\x00drop_caps=\x00BOOT_IMAGE=/boot/vmlinuz-4.4.0-1061-aws\x00" +
				"PATH=/sbin:/usr/sbin:/bin:/usr/bin\x00PWD=/\x00rootmnt=/root\x00"),
			VTID: 1, VPID: 1, Root: "/", LoginUID: 0xffffffff})
		last := s.Threads[53]
		if last.TID != 17496 || last.Comm != "sysdig" || string(last.Args) != "-zw\x00curl.scap\x00proc.name=curl\x00" || last.PTID != 17495 {
			t.Errorf("last thread %+v", last)
		}
		fxDeepEqual(t, "fd 3 of 361", fxFDOf(t, s, 361, 3), FD{FD: 3, Ino: 8750, Type: FDUnixSock, SrcID: 18446612133239812096,
			Name: "/run/systemd/journal/stdout\n"})
		fxDeepEqual(t, "fd 0 of 1", fxFDOf(t, s, 1, 0), FD{FD: 0, Ino: 6, Type: FDFile, Name: "/dev/null"})

		first := res.Events[0]
		fxDeepEqual(t, "event 1", first, fxEvt{Num: 1, TS: 1534527342999999999, TID: 1, Type: fxProcinfoT,
			Raw: first.Raw, Params: [][]byte{fxU64(96), fxU64(215)}})
		ev, _ := fxEventAt(t, data, 219)
		if ev.TS() != 1534527348514682170 || ev.TID() != 17497 || ev.Type() != fxOpenX || ev.NumParams() != 4 ||
			ev.Param(0).Int() != 3 || ev.Param(1).Str() != "/etc/ld.so.cache" || ev.Param(2).Uint() != 4097 || ev.Param(3).Uint() != 0 {
			t.Errorf("event 219: %d %d %d np=%d", ev.TS(), ev.TID(), ev.Type(), ev.NumParams())
		}
		ev, _ = fxEventAt(t, data, 1057)
		if tup, ok := ev.Param(1).SockTuple(); !ok || ev.Param(0).Int() != -2 || tup.Family != event.AFUnix ||
			tup.SrcID != 0 || tup.DstID != 18446612133325178880 || string(tup.Path) != "/var/run/nscd/socket" {
			t.Errorf("event 1057: %+v", tup)
		}
		ev, _ = fxEventAt(t, data, 1189)
		if tup, ok := ev.Param(1).SockTuple(); !ok || ev.Param(0).Int() != 0 || ev.TS() != 1534527348519206167 ||
			tup.SrcIP != netip.MustParseAddr("2600:1f18:262c:6542:9aa6:df7a:9a47:d29e") || tup.SrcPort != 40251 ||
			tup.DstIP != netip.MustParseAddr("2001:4860:4860::8888") || tup.DstPort != 53 {
			t.Errorf("event 1189: %+v", tup)
		}
		lastEv := res.Events[1535]
		if lastEv.TS != 1534527350999999999 || lastEv.TID != 17496 || lastEv.Type != fxProcinfoT ||
			!bytes.Equal(lastEv.Params[0], fxU64(1)) || !bytes.Equal(lastEv.Params[1], fxU64(3)) {
			t.Errorf("event 1536: %+v", lastEv)
		}
	})
	t.Run("curl_google_comments", func(t *testing.T) {
		plain := fxMustRead(t, caps["curl_google.scap"])
		res := fxMustRead(t, caps["curl_google_comments.scap"])
		if len(res.Events) != 1536 {
			t.Fatalf("%d events", len(res.Events))
		}
		// Same capture with SHB options and trailing options in three
		// event blocks: the same section and byte-identical events.
		fxDeepEqual(t, "section", res.Sections, plain.Sections)
		for i := range res.Events {
			if !reflect.DeepEqual(res.Events[i], plain.Events[i]) {
				t.Fatalf("event %d differs:\n got %+v\nwant %+v", i+1, res.Events[i], plain.Events[i])
			}
		}
	})
	t.Run("single_ipv6_conn", func(t *testing.T) {
		data := caps["single_ipv6_conn.scap"]
		res := fxMustRead(t, data)
		s := res.Sections[0]
		if len(res.Events) != 1728 || len(s.Threads) != 154 || len(s.FDs) != 154 || fxCountFDs(s) != 564 ||
			len(s.Users) != 42 || len(s.Groups) != 72 || len(s.Interfaces) != 13 {
			t.Errorf("events %d, threads %d, fd lists %d, fds %d, users %d, groups %d, interfaces %d", len(res.Events),
				len(s.Threads), len(s.FDs), fxCountFDs(s), len(s.Users), len(s.Groups), len(s.Interfaces))
		}
		if s.Major != 1 || s.Minor != 2 {
			t.Errorf("version %d.%d", s.Major, s.Minor)
		}
		fxDeepEqual(t, "machine", s.Machine, &Machine{NumCPUs: 2, MemoryBytes: 6250692608, Hostname: "ubuntu"})
		fxDeepEqual(t, "interface 1", s.Interfaces[1], Interface{Type: IfaceIPv4, Name: "enp0s3", Addr: fxIP4("10.0.2.15"),
			Netmask: fxIP4("255.255.255.0"), Broadcast: fxIP4("10.0.2.255")})
		th := s.Threads[0]
		th.Env, th.Cgroups = nil, nil
		// V9 entries that end right after root: the tail defaults.
		fxDeepEqual(t, "thread 0", th, Thread{TID: 1, PID: 1, SID: 1, VPGID: 1, PGID: -1, Comm: "systemd", Exe: "/sbin/init",
			ExePath: "/lib/systemd/systemd", Cwd: "/", FDLimit: 1048576, VMSize: 37888, VMRSS: 5964, VMSwap: 4,
			PFMajor: 51, PFMinor: 10485, VTID: 1, VPID: 1, Root: "/", LoginUID: 0xffffffff})
		fxDeepEqual(t, "fd 0 of 1", fxFDOf(t, s, 1, 0), FD{FD: 0, Ino: 6, Type: FDFileV2, OpenFlags: 3, Name: "/dev/null"})
		fxDeepEqual(t, "fd 3 of 2821", fxFDOf(t, s, 2821, 3), FD{FD: 3, Ino: 21237, Type: FDIPv4Sock, SrcIP: fxIP4("10.0.2.15"),
			DstIP: fxIP4("10.0.2.2"), SrcPort: 22, DstPort: 61560, L4Proto: 2})
		fxDeepEqual(t, "fd 9 of 847", fxFDOf(t, s, 847, 9), FD{FD: 9, Ino: 14250, Type: FDIPv6ServSock, SrcIP: fxIP6("::"), SrcPort: 111, L4Proto: 2})
		if e := res.Events[0]; e.TS != 1533943844999999999 || e.TID != 1 || !bytes.Equal(e.Params[0], fxU64(85)) || !bytes.Equal(e.Params[1], fxU64(235)) {
			t.Errorf("event 1: %+v", e)
		}
		ev, _ := fxEventAt(t, data, 1154)
		tup, ok := ev.Param(1).SockTuple()
		if !ok || ev.CPU != 1 || ev.TID() != 25888 || ev.Type() != 23 || ev.Param(0).Int() != -115 ||
			tup.SrcIP != netip.MustParseAddr("2001:db8::4") || tup.SrcPort != 54405 ||
			tup.DstIP != netip.MustParseAddr("2001:db8::3") || tup.DstPort != 1234 {
			t.Errorf("event 1154: cpu %d tid %d type %d %+v", ev.CPU, ev.TID(), ev.Type(), tup)
		}
		ev, _ = fxEventAt(t, data, 851)
		if fam, addr, port, _, ok := ev.Param(1).SockAddr(); !ok || fam != event.AFInet6 || addr != netip.MustParseAddr("2001:db8::3") || port != 1234 {
			t.Errorf("event 851: %d %v %d", fam, addr, port)
		}
		if e := res.Events[1727]; e.TS != 1533943861999999999 || e.TID != 25884 || !bytes.Equal(e.Params[1], fxU64(8)) {
			t.Errorf("event 1728: %+v", e)
		}
	})
	t.Run("plain and gzip", func(t *testing.T) {
		for name, data := range caps {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			fxDeepEqual(t, name, fxMustRead(t, plain), fxMustRead(t, data))
		}
	})
}

// TestMetadataMemory bounds what decoding state blocks costs. Entries are
// decoded into structs several times their smallest on-disk size, so the
// bound is a constant factor of the block: the worst entries (7 to 52
// bytes becoming 24 to 336-byte structs) stay under 64 times their bytes.
func TestMetadataMemory(t *testing.T) {
	for _, c := range []struct {
		name string
		id   uint32
		ent  []byte
	}{
		{"fd v1, no payload", blockFDL, fxFD(false, FD{Type: FDUnknown}, nil)},
		{"thread v1, empty strings", blockPLV1, fxThread(1, Thread{}, nil)},
		{"group v1", blockUL, fxGroup(false, 1, Group{}, nil)},
		{"interface v1", blockIL, fxIface(false, Interface{Type: IfaceIPv4NoLinkSpeed, Addr: make([]byte, 4), Netmask: make([]byte, 4), Broadcast: make([]byte, 4)}, nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := bytes.Repeat(c.ent, (1<<20)/len(c.ent))
			if c.id == blockFDL {
				body = append(make([]byte, 8), body...)
			}
			data := fxCapture(fxSHB(), fxBlock(c.id, body), fxProcinfo(t, 1, 1))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res := fxRead(data, ReaderOptions{})
			runtime.ReadMemStats(&after)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64*uint64(len(data)) {
				t.Errorf("a %d-byte capture allocated %d bytes (%.1f times)", len(data), alloc, float64(alloc)/float64(len(data)))
			}
		})
	}
}

// TestStateBudget checks that a process list of many tiny entries cannot
// make the reader allocate beyond ReaderOptions.MaxStateBytes.
func TestStateBudget(t *testing.T) {
	var pl fxBuf
	for i := 0; i < 2000; i++ {
		pl = pl.i64(int64(i)).i64(int64(i)).i64(0).s16("").s16("").b16(nil).s16("").u64(0).u32(0).u32(0).u32(0)
	}
	var sink fxBuf
	sink = sink.raw(fxCapture(fxSHB(), fxBlock(blockPLV1, pl), fxEvent(blockEVV2, 0, 0, fxProcinfo(t, 1, 1), nil)))
	_, err := NewReader(bytes.NewReader(sink), ReaderOptions{MaxStateBytes: 100_000})
	if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "memory limit") {
		t.Fatalf("got %v, want the state limit error", err)
	}
	if _, err := NewReader(bytes.NewReader(sink), ReaderOptions{}); err != nil {
		t.Fatalf("default limit: %v", err)
	}
}
