package scap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// ---------------------------------------------------------------------------
// Helpers. The tests build their inputs with their own encoders, so that
// the bytes the writer produces are checked against an independent
// rendering of the format.

// The writer tests build bytes with fxBuf (reader_test.go) and a few
// extra helpers for length-prefixed entries.

func (b fxBuf) pre32(n int) fxBuf { return b.u32(uint32(n)) }
func (b fxBuf) zeros(n int) fxBuf { return append(b, make([]byte, n)...) }
func (b fxBuf) entryIncl() fxBuf  { return fxBuf(nil).pre32(len(b) + 4).raw(b) }
func (b fxBuf) entryExcl() fxBuf  { return fxBuf(nil).pre32(len(b)).raw(b) }

func wtU32(v uint32) []byte  { return fxBuf(nil).u32(v) }
func wtI64(v int64) []byte   { return fxBuf(nil).i64(v) }
func wtU64(v uint64) []byte  { return fxBuf(nil).u64(v) }
func wtCStr(s string) []byte { return append([]byte(s), 0) }
func wtIP4(s string) []byte  { a := netip.MustParseAddr(s).As4(); return a[:] }
func wtIP6(s string) []byte  { a := netip.MustParseAddr(s).As16(); return a[:] }

// wtBlock frames body: type, total length, body, zero padding to a
// multiple of 4, total length again.
func wtBlock(typ uint32, body []byte) []byte {
	total := 8 + len(body) + 4
	total += (4 - total%4) % 4
	return fxBuf(nil).u32(typ).u32(uint32(total)).raw(body).zeros(total - 12 - len(body)).u32(uint32(total))
}

// wtRecord builds a v2 event record.
func wtRecord(tb testing.TB, ts uint64, tid int64, typ event.Type, params ...[]byte) []byte {
	tb.Helper()
	rec, err := event.AppendRecord(nil, ts, tid, typ, params...)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

// wtEvt is an event as read back.
type wtEvt struct {
	Num   uint64
	CPU   uint16
	Flags uint32
	Raw   []byte
}

// wtRead reads a whole capture with Kestrel's reader: every section and
// every event.
func wtRead(tb testing.TB, data []byte) ([]*Section, []wtEvt) {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(data), ReaderOptions{})
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	defer r.Close()
	secs := []*Section{r.Section()}
	var evs []wtEvt
	var ev event.Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			return secs, evs
		}
		if err != nil {
			tb.Fatalf("read: %v", err)
		}
		for len(secs) < r.SectionNum() {
			secs = append(secs, r.Section())
		}
		evs = append(evs, wtEvt{Num: ev.Num, CPU: ev.CPU, Flags: ev.DumpFlags, Raw: bytes.Clone(ev.Raw())})
	}
}

// wtCopy reads the capture src with Kestrel's reader and writes it again,
// section by section, event by event.
func wtCopy(tb testing.TB, src []byte, opts WriterOptions) []byte {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(src), ReaderOptions{})
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	defer r.Close()
	var out bytes.Buffer
	w, err := NewWriter(&out, r.Section(), opts)
	if err != nil {
		tb.Fatalf("new writer: %v", err)
	}
	sect := r.SectionNum()
	var ev event.Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("read: %v", err)
		}
		if r.SectionNum() != sect {
			sect = r.SectionNum()
			if err := w.StartSection(r.Section()); err != nil {
				tb.Fatal(err)
			}
		}
		if err := w.WriteEvent(&ev); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
	return out.Bytes()
}

// wtWrite writes a capture of one section and the given events.
func wtWrite(tb testing.TB, sec *Section, opts WriterOptions, evs ...*event.Event) []byte {
	tb.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, sec, opts)
	if err != nil {
		tb.Fatalf("new writer: %v", err)
	}
	for _, ev := range evs {
		if err := w.WriteEvent(ev); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
	return out.Bytes()
}

// wtEvent builds an event from a v2 record.
func wtEvent(tb testing.TB, cpu uint16, flags uint32, ts uint64, tid int64, typ event.Type, params ...[]byte) *event.Event {
	tb.Helper()
	ev := &event.Event{CPU: cpu, DumpFlags: flags}
	if err := ev.Reset(wtRecord(tb, ts, tid, typ, params...)); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// wtWant is what a reader should decode from the metadata the writer
// wrote for sec: version 1.2; interfaces IPv4 first, then IPv6, all with
// a link speed; strings cut to the readers' limits; threads without the
// fields only the newer process-list tail carries; one fd list per
// distinct thread, holding the fds of every list for its tid, without
// unknown-type fds, newer fd types as unsupported, files as FILE_V2 with
// a device number.
func wtWant(sec *Section) Section {
	w := Section{Major: 1, Minor: 2}
	if sec == nil {
		return w
	}
	if sec.Machine != nil {
		m := *sec.Machine
		m.Hostname = truncated(m.Hostname, 127)
		w.Machine = &m
	}
	for _, v6 := range []bool{false, true} {
		for _, it := range sec.Interfaces {
			if it.IPv6() != v6 {
				continue
			}
			it.Type, it.Name = IfaceIPv4, truncated(it.Name, 1023)
			if v6 {
				it.Type = IfaceIPv6
			}
			w.Interfaces = append(w.Interfaces, it)
		}
	}
	for _, u := range sec.Users {
		u.Name, u.Home, u.Shell = truncated(u.Name, 255), truncated(u.Home, 255), truncated(u.Shell, 255)
		w.Users = append(w.Users, u)
	}
	for _, g := range sec.Groups {
		g.Name = truncated(g.Name, 255)
		w.Groups = append(w.Groups, g)
	}
	seen := map[int64]bool{}
	for _, t := range sec.Threads {
		w.Threads = append(w.Threads, wtWantThread(t))
		if seen[t.TID] {
			continue
		}
		seen[t.TID] = true
		l := FDList{TID: t.TID}
		for _, fl := range sec.FDs {
			if fl.TID == t.TID {
				l.FDs = append(l.FDs, wtWantFDs(fl.FDs)...)
			}
		}
		w.FDs = append(w.FDs, l)
	}
	return w
}

func wtWantThread(t Thread) Thread {
	for _, s := range []*string{&t.Comm, &t.Exe, &t.ExePath, &t.Cwd, &t.Root} {
		*s = truncated(*s, 1024)
	}
	for _, l := range []*[]byte{&t.Args, &t.Env, &t.Cgroups} {
		*l = truncated(*l, 4096)
		if n := len(*l); n > 0 && (*l)[n-1] != 0 {
			*l = append((*l)[:n:n], 0) // readers end lists with a NUL
		}
	}
	if !t.HasCaps {
		t.CapInheritable, t.CapPermitted, t.CapEffective = 0, 0, 0
	}
	t.PidnsInitStartTS, t.TTY, t.PGID = 0, 0, -1
	t.ExeUpperLayer, t.ExeLowerLayer, t.ExeFromMemfd = false, false, false
	t.ExeIno, t.ExeInoCtime, t.ExeInoMtime = 0, 0, 0
	return t
}

func wtWantFDs(fds []FD) []FD {
	var out []FD
	for _, fd := range fds {
		switch {
		case fd.Type == FDUnknown:
			continue
		case fd.Type > FDFileV2:
			fd.Type = FDUnsupported
		case fd.Type == FDFile || fd.Type == FDFileV2:
			fd.Type, fd.HasDev = FDFileV2, true
		}
		fd.Name = truncated(fd.Name, 1023)
		out = append(out, fd)
	}
	return out
}

// wtDiff compares two values field by field and returns one line per
// difference (at most 20), naming the path of the field. Nil and empty
// slices are equal.
func wtDiff(got, want any) []string {
	var out []string
	wtDiffValue("", reflect.ValueOf(got), reflect.ValueOf(want), &out)
	return out
}

func wtDiffValue(path string, got, want reflect.Value, out *[]string) {
	if len(*out) >= 20 {
		return
	}
	switch want.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, got.Interface(), want.Interface()))
			}
			return
		}
		wtDiffValue(path, got.Elem(), want.Elem(), out)
	case reflect.Struct:
		for i := range want.NumField() {
			wtDiffValue(path+"."+want.Type().Field(i).Name, got.Field(i), want.Field(i), out)
		}
	case reflect.Slice:
		if want.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				*out = append(*out, fmt.Sprintf("%s: got %q, want %q", path, got.Bytes(), want.Bytes()))
			}
			return
		}
		if got.Len() != want.Len() {
			*out = append(*out, fmt.Sprintf("%s: %d elements, want %d", path, got.Len(), want.Len()))
		}
		for i := range min(got.Len(), want.Len()) {
			wtDiffValue(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i), out)
		}
	default:
		if got.Interface() != want.Interface() {
			*out = append(*out, fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface()))
		}
	}
}

func wtCheckSection(tb testing.TB, what string, got *Section, want Section) {
	tb.Helper()
	if d := wtDiff(got, &want); len(d) > 0 {
		tb.Errorf("%s differs:\n  %s", what, strings.Join(d, "\n  "))
	}
}

// wtCheckEvents compares two event streams: number, CPU, dump flags and
// record bytes of every event.
func wtCheckEvents(tb testing.TB, got, want []wtEvt) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Errorf("%d events, want %d", len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Num != w.Num || g.CPU != w.CPU || g.Flags != w.Flags || !bytes.Equal(g.Raw, w.Raw) {
			tb.Errorf("event %d: got num %d cpu %d flags %d record %x\n want num %d cpu %d flags %d record %x",
				i, g.Num, g.CPU, g.Flags, g.Raw, w.Num, w.CPU, w.Flags, w.Raw)
			if bad++; bad == 5 {
				tb.Fatal("too many differences")
			}
		}
	}
}

// wtSysdig runs sysdig with args and returns its standard output. Its log
// lines go to standard error, which is dropped; times print in UTC.
func wtSysdig(tb testing.TB, sysdig string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(sysdig, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.Stderr = io.Discard
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("sysdig %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func wtWriteFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// wtSameLines fails with the first differing line when got != want.
func wtSameLines(tb testing.TB, what, got, want string) {
	tb.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			tb.Errorf("%s: %d lines, want %d; first difference at line %d:\n got %q\nwant %q", what, len(g), len(w), i+1, gl, wl)
			return
		}
	}
}

// ---------------------------------------------------------------------------
// Round trips of the shared captures.

// TestWriterRoundTrip reads every shared capture, writes it plain and
// gzipped, and reads the result back: the events must be identical and
// the sections equal to what the writer promises to keep.
func TestWriterRoundTrip(t *testing.T) {
	for _, path := range testenv.Captures(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		origSecs, origEvs := wtRead(t, data)
		if len(origEvs) == 0 {
			t.Fatalf("%s: no events", path)
		}
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", filepath.Base(path), compress), func(t *testing.T) {
				out := wtCopy(t, data, WriterOptions{Compress: compress})
				if isGz := len(out) > 2 && out[0] == 0x1f && out[1] == 0x8b; isGz != compress {
					t.Errorf("output gzip-compressed: %v, want %v", isGz, compress)
				}
				secs, evs := wtRead(t, out)
				wtCheckEvents(t, evs, origEvs)
				if len(secs) != len(origSecs) {
					t.Fatalf("%d sections, want %d", len(secs), len(origSecs))
				}
				for i, s := range origSecs {
					wtCheckSection(t, fmt.Sprintf("section %d", i+1), secs[i], wtWant(s))
				}
				if !compress {
					wtCheckProfile(t, out, len(origSecs[0].Threads))
				}
				// Writing what was written gives the same bytes.
				if again := wtCopy(t, out, WriterOptions{}); !bytes.Equal(again, wtCopy(t, data, WriterOptions{})) {
					t.Error("writing the written capture again changes its bytes")
				}
			})
		}
	}
}

// wtCheckProfile walks the blocks of an uncompressed one-section capture
// and checks their order against the writer profile: SHB, MI, IL_V2,
// UL_V2, one PL_V9, an FDL_V2 per thread, then only v2 event blocks; and
// that every block's trailer repeats its length.
func wtCheckProfile(tb testing.TB, data []byte, threads int) {
	tb.Helper()
	var types []uint32
	for off := 0; off < len(data); {
		if len(data)-off < 12 {
			tb.Fatalf("%d stray bytes at offset %d", len(data)-off, off)
		}
		typ, n := binary.LittleEndian.Uint32(data[off:]), int(binary.LittleEndian.Uint32(data[off+4:]))
		if n < 12 || n%4 != 0 || off+n > len(data) || binary.LittleEndian.Uint32(data[off+n-4:]) != uint32(n) {
			tb.Fatalf("block %#x at offset %d: bad length %d or trailer", typ, off, n)
		}
		types = append(types, typ)
		off += n
	}
	head := []uint32{0x0A0D0D0A, 0x201, 0x219, 0x220, 0x215}
	for range threads {
		head = append(head, 0x218)
	}
	if len(types) <= len(head) || !reflect.DeepEqual(types[:len(head)], head) {
		tb.Fatalf("metadata blocks %#x, want %#x", types[:min(len(head), len(types))], head)
	}
	for i, typ := range types[len(head):] {
		if typ != 0x216 && typ != 0x217 && typ != 0x221 && typ != 0x222 {
			tb.Fatalf("block %d after the metadata has type %#x, want an EV_V2 block", len(head)+i, typ)
		}
	}
}

// TestWriterSysdig checks that sysdig shows a capture Kestrel rewrote
// exactly as it shows the original: events, the state they resolve
// against, and the initial state itself (lsof and ps chisels).
func TestWriterSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	formats := [][]string{
		nil,
		{"-D", "-p", "%evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type %evt.args %proc.name %fd.name"},
		// "*" prints events whose fields are not all available too.
		{"-p", "*%evt.num %proc.pid %proc.ppid %proc.vpid %proc.exe %proc.cmdline %proc.cwd %user.name %user.uid " +
			"%group.gid %proc.sid %proc.vpgid %user.loginuid %container.id %fd.num %fd.type %fd.sip %fd.cip %fd.l4proto"},
		{"-c", "lsof"},
		{"-c", "ps"},
	}
	for _, path := range testenv.Captures(t) {
		ref := path
		if filepath.Base(path) == "curl_google_comments.scap" {
			// sysdig 0.29.3 cannot open it (section header options);
			// its events and state are those of curl_google.scap.
			ref = filepath.Join(filepath.Dir(path), "curl_google.scap")
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			plain := wtWriteFile(t, "plain.scap", wtCopy(t, data, WriterOptions{}))
			gz := wtWriteFile(t, "gzip.scap", wtCopy(t, data, WriterOptions{Compress: true}))
			for i, f := range formats {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Parallel()
					want := wtSysdig(t, sysdig, append([]string{"-r", ref}, f...)...)
					if strings.Count(want, "\n") < 20 {
						t.Fatalf("sysdig %q on %s: only %d lines", f, ref, strings.Count(want, "\n"))
					}
					outs := []string{plain}
					if i == 0 {
						outs = append(outs, gz) // decompression is sysdig's; once is enough
					}
					for _, out := range outs {
						got := wtSysdig(t, sysdig, append([]string{"-r", out}, f...)...)
						wtSameLines(t, fmt.Sprintf("sysdig %q on %s", f, filepath.Base(out)), got, want)
					}
				})
			}
		})
	}
}

// ---------------------------------------------------------------------------
// A capture built from scratch.

// Event codes of the 0.29.3 table used below, with its parameter counts.
const (
	wtOpenE  event.Type = 2 // name, flags, mode
	wtOpenX  event.Type = 3 // fd, name, flags, mode, dev
	wtCloseE event.Type = 4 // fd
	wtCloseX event.Type = 5 // res
	wtReadE  event.Type = 6 // fd, size
	wtReadX  event.Type = 7 // res, data
	wtWriteE event.Type = 8 // fd, size
	wtWriteX event.Type = 9 // res, data
)

const wtTS = 1700000000000000000

// wtSynSection is a small host: systemd, and webd (uid 1000, alice) with a
// second thread that shares its fd table; webd has a file, an IPv4
// socket, a unix socket, a memfd (a type sysdig 0.29.3 does not know), an
// IPv6 listening socket and an fd of unknown type.
func wtSynSection() *Section {
	root := Thread{TID: 1, PID: 1, PTID: 0, SID: 1, VPGID: 1, PGID: -1, Comm: "systemd", Exe: "/sbin/init",
		ExePath: "/usr/lib/systemd/systemd", Cwd: "/", FDLimit: 65536, VTID: 1, VPID: 1, Root: "/", LoginUID: ^uint32(0)}
	web := Thread{TID: 100, PID: 100, PTID: 1, SID: 100, VPGID: 100, PGID: -1, Comm: "webd", Exe: "/usr/bin/webd",
		ExePath: "/usr/bin/webd", Args: []byte("-p\x008080\x00"), Cwd: "/srv", FDLimit: 1024, UID: 1000, GID: 1000,
		VMSize: 1000, VMRSS: 500, Env: []byte("HOME=/home/alice\x00"), VTID: 100, VPID: 100,
		Cgroups: []byte("cpu=/user.slice\x00memory=/user.slice\x00"), Root: "/", LoginUID: 1000,
		HasCaps: true, CapPermitted: 0x3000, CapEffective: 0x1000}
	worker := web
	worker.TID, worker.Comm, worker.Flags, worker.HasCaps = 101, "webd-worker", 0x2001, false
	worker.CapPermitted, worker.CapEffective = 0, 0
	return &Section{
		Machine: &Machine{NumCPUs: 2, MemoryBytes: 8 << 30, Hostname: "kestrel-syn"},
		Interfaces: []Interface{
			{Type: IfaceIPv6, Name: "eth0", Addr: wtIP6("2001:db8::3"), Netmask: wtIP6("ffff:ffff:ffff:ffff::"), Broadcast: wtIP6("::")},
			{Type: IfaceIPv4NoLinkSpeed, Name: "eth0", Addr: wtIP4("10.1.2.3"), Netmask: wtIP4("255.255.255.0"), Broadcast: wtIP4("10.1.2.255")},
		},
		Users: []User{
			{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"},
			{UID: 1000, GID: 1000, Name: "alice", Home: "/home/alice", Shell: "/bin/zsh"},
		},
		Groups:  []Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "staff"}},
		Threads: []Thread{root, web, worker},
		FDs: []FDList{
			{TID: 100, FDs: []FD{
				{FD: 3, Ino: 1234, Type: FDFileV2, Name: "/etc/passwd", OpenFlags: 1},
				{FD: 4, Ino: 2001, Type: FDIPv4Sock, SrcIP: wtIP4("10.1.2.3"), DstIP: wtIP4("93.184.216.34"), SrcPort: 40000, DstPort: 443, L4Proto: 2},
				{FD: 5, Ino: 2002, Type: FDUnixSock, SrcID: 0xffff888000001000, DstID: 0xffff888000002000, Name: "/run/app.sock"},
				{FD: 6, Ino: 2003, Type: FDMemFD, Name: "/memfd:payload (deleted)"},
				{FD: 7, Ino: 2004, Type: FDIPv6ServSock, SrcIP: wtIP6("::"), SrcPort: 8080, L4Proto: 2},
				{FD: 8, Ino: 2005, Type: FDUnknown},
			}},
			{TID: 1, FDs: []FD{{FD: 0, Ino: 6, Type: FDFile, Name: "/dev/null"}}},
			{TID: 999, FDs: []FD{{FD: 0, Ino: 6, Type: FDFile, Name: "/dev/null"}}}, // no such thread
		},
	}
}

// wtSynEvents: the worker opens /etc/shadow and reads the IPv4 socket;
// webd reads the unix socket; the worker reads the file it opened; webd
// writes to the memfd; the worker closes its file; webd reads the state's
// /etc/passwd, closes it in a state-only pair sysdig does not show, so
// that its next read no longer resolves, and reads the IPv6 listening
// socket; systemd reads /dev/null.
func wtSynEvents(tb testing.TB) []*event.Event {
	var evs []*event.Event
	n := uint64(0)
	add := func(tid int64, flags uint32, typ event.Type, params ...[]byte) {
		n++
		evs = append(evs, wtEvent(tb, uint16(n%2), flags, wtTS+n*1000, tid, typ, params...))
	}
	add(101, 0, wtOpenE, wtCStr("/etc/shadow"), wtU32(1), wtU32(0))
	add(101, 0, wtOpenX, wtI64(9), wtCStr("/etc/shadow"), wtU32(1), wtU32(0), wtU32(0x803))
	add(101, 0, wtReadE, wtI64(4), wtU32(100))
	add(101, 0, wtReadX, wtI64(5), []byte("hello"))
	add(100, 0, wtReadE, wtI64(5), wtU32(100))
	add(100, 0, wtReadX, wtI64(2), []byte("hi"))
	add(101, 0, wtReadE, wtI64(9), wtU32(100))
	add(101, 0, wtReadX, wtI64(4), []byte("root"))
	add(100, 0, wtWriteE, wtI64(6), wtU32(3))
	add(100, 0, wtWriteX, wtI64(3), []byte("abc"))
	add(101, 0, wtCloseE, wtI64(9))
	add(101, 0, wtCloseX, wtI64(0))
	add(100, 0, wtReadE, wtI64(3), wtU32(10))
	add(100, 0, wtReadX, wtI64(4), []byte("root"))
	add(100, event.DumpFlagStateOnly, wtCloseE, wtI64(3))
	add(100, event.DumpFlagStateOnly, wtCloseX, wtI64(0))
	add(100, 0, wtReadE, wtI64(3), wtU32(10))
	add(100, 0, wtReadX, wtI64(-9), nil)
	add(100, 0, wtReadE, wtI64(7), wtU32(10))
	add(100, 0, wtReadX, wtI64(-107), nil)
	add(1, 0, wtReadE, wtI64(0), wtU32(1))
	add(1, 0, wtReadX, wtI64(0), nil)
	return evs
}

// wtSynWant is what the synthetic section reads back as: interfaces IPv4
// first, all with a link speed; files as FILE_V2 with a device; the memfd
// as an unsupported fd; the unknown-type fd and the list of a tid without
// a thread left out; an fd list for every thread.
func wtSynWant() Section {
	sec := wtSynSection()
	want := *sec
	want.Major, want.Minor = 1, 2
	want.Interfaces = []Interface{
		{Type: IfaceIPv4, Name: "eth0", Addr: wtIP4("10.1.2.3"), Netmask: wtIP4("255.255.255.0"), Broadcast: wtIP4("10.1.2.255")},
		{Type: IfaceIPv6, Name: "eth0", Addr: wtIP6("2001:db8::3"), Netmask: wtIP6("ffff:ffff:ffff:ffff::"), Broadcast: wtIP6("::")},
	}
	web := sec.FDs[0].FDs
	want.FDs = []FDList{
		{TID: 1, FDs: []FD{{FD: 0, Ino: 6, Type: FDFileV2, Name: "/dev/null", HasDev: true}}},
		{TID: 100, FDs: []FD{
			{FD: 3, Ino: 1234, Type: FDFileV2, Name: "/etc/passwd", OpenFlags: 1, HasDev: true},
			web[1], web[2],
			{FD: 6, Ino: 2003, Type: FDUnsupported, Name: "/memfd:payload (deleted)"},
			web[4],
		}},
		{TID: 101},
	}
	return want
}

// TestWriterSynthetic writes a capture from scratch and checks that
// Kestrel reads back the section and events, and that sysdig resolves
// process, user, group and fd names from the state blocks.
func TestWriterSynthetic(t *testing.T) {
	evs := wtSynEvents(t)
	data := wtWrite(t, wtSynSection(), WriterOptions{}, evs...)

	secs, got := wtRead(t, data)
	if len(secs) != 1 {
		t.Fatalf("%d sections, want 1", len(secs))
	}
	wtCheckSection(t, "section", secs[0], wtSynWant())
	wtCheckSection(t, "normalised section", secs[0], wtWant(wtSynSection()))
	var want []wtEvt
	for i, ev := range evs {
		want = append(want, wtEvt{Num: uint64(i + 1), CPU: ev.CPU, Flags: ev.DumpFlags, Raw: ev.Raw()})
	}
	wtCheckEvents(t, got, want)

	sysdig := testenv.Tool(t, "sysdig")
	path := wtWriteFile(t, "syn.scap", data)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-p", "*%evt.num %thread.tid %proc.name %evt.dir %evt.type %fd.name %fd.typechar %user.name %group.name"}, `
1 101 webd-worker > open <NA> f alice staff
2 101 webd-worker < open /etc/shadow f alice staff
3 101 webd-worker > read 10.1.2.3:40000->93.184.216.34:443 4 alice staff
4 101 webd-worker < read 10.1.2.3:40000->93.184.216.34:443 4 alice staff
5 100 webd > read /run/app.sock u alice staff
6 100 webd < read /run/app.sock u alice staff
7 101 webd-worker > read /etc/shadow f alice staff
8 101 webd-worker < read /etc/shadow f alice staff
9 100 webd > write /memfd:payload (deleted) X alice staff
10 100 webd < write /memfd:payload (deleted) X alice staff
11 101 webd-worker > close /etc/shadow f alice staff
12 101 webd-worker < close /etc/shadow f alice staff
13 100 webd > read /etc/passwd f alice staff
14 100 webd < read /etc/passwd f alice staff
17 100 webd > read <NA> o alice staff
18 100 webd < read  o alice staff
19 100 webd > read :::8080 6 alice staff
20 100 webd < read :::8080 6 alice staff
21 1 systemd > read /dev/null f root root
22 1 systemd < read /dev/null f root root
`},
		{[]string{"-p", "*%evt.num %proc.pid %proc.ppid %proc.vpid %thread.vtid %proc.cmdline %proc.cwd %proc.exepath " +
			"%user.loginuid %user.homedir %proc.sid %proc.vpgid %proc.env %proc.fdlimit %thread.cgroups %fd.dev", "evt.dir=>"}, `
1 100 1 100 100 webd-worker -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice <NA>
3 100 1 100 100 webd-worker -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 0
5 100 1 100 100 webd -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 0
7 100 1 100 100 webd-worker -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 803
9 100 1 100 100 webd -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 0
11 100 1 100 100 webd-worker -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 803
13 100 1 100 100 webd -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 0
17 100 1 100 100 webd -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice <NA>
19 100 1 100 100 webd -p 8080 /srv/ /usr/bin/webd 1000 /home/alice 100 100 HOME=/home/alice 1024 cpu=/user.slice memory=/user.slice 0
21 1 0 1 1 systemd / /usr/lib/systemd/systemd -1 /root 1 1  65536 <NA> 0
`},
		{[]string{"-c", "lsof"}, `
COMMAND             PID     TID     USER    FD      TYPE        NAME
systemd             1       1       root    0       file        /dev/null
webd                100     100     alice   3       file        /etc/passwd
webd                100     100     alice   4       ipv4        10.1.2.3:40000->93.184.216.34:443
webd                100     100     alice   5       unix        /run/app.sock
webd                100     100     alice   6       <NA>        /memfd:payload (deleted)
webd                100     100     alice   7       ipv6        :::8080
webd-worker         100     101     alice   3       file        /etc/passwd
webd-worker         100     101     alice   4       ipv4        10.1.2.3:40000->93.184.216.34:443
webd-worker         100     101     alice   5       unix        /run/app.sock
webd-worker         100     101     alice   6       <NA>        /memfd:payload (deleted)
webd-worker         100     101     alice   7       ipv6        :::8080
`},
	}
	for _, c := range cases {
		got := wtSysdig(t, sysdig, append([]string{"-r", path}, c.args...)...)
		wtSameLines(t, fmt.Sprintf("sysdig %q", c.args), got, strings.TrimPrefix(c.want, "\n"))
	}
}

// ---------------------------------------------------------------------------
// Concatenated sections.

// TestWriterSections writes three sections: the synthetic host, the same
// host after a restart (other names, other fds), and a section without
// metadata. Kestrel must read three sections, and sysdig must drop the
// first section's state when the second starts.
func TestWriterSections(t *testing.T) {
	a := wtSynSection()
	b := wtSynSection()
	b.Machine = &Machine{NumCPUs: 4, Hostname: "kestrel-syn-2"}
	b.Threads[1].Comm = "otherd"
	b.Users[1].Name = "bob"
	b.FDs = []FDList{{TID: 100, FDs: []FD{{FD: 4, Ino: 77, Type: FDFileV2, Name: "/var/log/b.log", OpenFlags: 2}}}}
	var evs []*event.Event
	for i, tid := range []int64{100, 101, 100, 101, 100} {
		evs = append(evs, wtEvent(t, 0, 0, wtTS+uint64(i)*1000, tid, wtReadE, wtI64(4), wtU32(10)))
	}

	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", compress), func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewWriter(&out, a, WriterOptions{Compress: compress})
			if err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				sec   *Section
				start bool
				evs   []*event.Event
			}{{a, false, evs[:2]}, {b, true, evs[2:4]}, {nil, true, evs[4:]}}
			var want []wtEvt
			for _, s := range steps {
				if s.start {
					if err := w.StartSection(s.sec); err != nil {
						t.Fatal(err)
					}
				}
				for _, ev := range s.evs {
					if err := w.WriteEvent(ev); err != nil {
						t.Fatal(err)
					}
					want = append(want, wtEvt{Num: uint64(len(want) + 1), Raw: ev.Raw()})
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			secs, got := wtRead(t, out.Bytes())
			wtCheckEvents(t, got, want)
			if len(secs) != 3 {
				t.Fatalf("%d sections, want 3", len(secs))
			}
			wtCheckSection(t, "section 1", secs[0], wtSynWant())
			wtCheckSection(t, "section 2", secs[1], wtWant(b))
			wtCheckSection(t, "section 3", secs[2], Section{Major: 1, Minor: 2})

			sysdig := testenv.Tool(t, "sysdig")
			path := wtWriteFile(t, "sections.scap", out.Bytes())
			gotOut := wtSysdig(t, sysdig, "-r", path, "-p", "*%evt.num %thread.tid %proc.name %fd.name %user.name")
			wtSameLines(t, "sysdig", gotOut, strings.Join([]string{
				"1 100 webd 10.1.2.3:40000->93.184.216.34:443 alice",
				"2 101 webd-worker 10.1.2.3:40000->93.184.216.34:443 alice",
				"3 100 otherd /var/log/b.log bob",
				"4 101 webd-worker /var/log/b.log bob",
				"5 100 <NA> <NA> <NA>",
				"",
			}, "\n"))
		})
	}
}

// ---------------------------------------------------------------------------
// Exact layout.

// TestWriterLayout checks every byte of a small capture against the
// format, encoded independently: block framing and padding, entry length
// prefixes (IL_V2 without the prefix, the others with it), the interface
// order and types, the old process-list tail with and without the
// capability sets, and the fd payloads.
func TestWriterLayout(t *testing.T) {
	tA := Thread{TID: 10, PID: 10, PTID: 1, SID: 9, VPGID: 8, PGID: 7, Comm: "a", Exe: "/a", ExePath: "/bin/a",
		Args: []byte("x\x00"), Cwd: "/", FDLimit: 64, Flags: 0, UID: 5, GID: 6, VMSize: 1, VMRSS: 2, VMSwap: 3,
		PFMajor: 4, PFMinor: 5, Env: []byte("E=1\x00"), VTID: 1, VPID: 1, Cgroups: []byte("cpu=/\x00"), Root: "/r",
		LoginUID: 42, ExeWritable: true, HasCaps: true, CapInheritable: 1, CapPermitted: 2, CapEffective: 3,
		PidnsInitStartTS: 99, TTY: 34816, ExeIno: 5, ExeFromMemfd: true} // the last four are not written
	tB := Thread{TID: 11, PID: 10, PTID: 1, SID: -1, VPGID: -1, PGID: -1, Comm: "b", Flags: 0x2001, VTID: -1, VPID: -1,
		LoginUID: ^uint32(0)}
	sec := &Section{
		Major: 1, Minor: 0, // ignored: the writer writes version 1.2
		Machine: &Machine{NumCPUs: 4, MemoryBytes: 1 << 30, MaxPID: 32768, Hostname: "h", BootTS: 5, Flags: 1},
		Interfaces: []Interface{
			{Type: IfaceIPv6NoLinkSpeed, Name: "lo", Addr: wtIP6("::1"), Netmask: wtIP6("ffff::"), Broadcast: wtIP6("::")},
			{Type: IfaceIPv4, Name: "eth0", Addr: wtIP4("10.0.0.1"), Netmask: wtIP4("255.0.0.0"), Broadcast: wtIP4("10.255.255.255"), LinkSpeed: 1000},
		},
		Users:   []User{{UID: 1, GID: 2, Name: "u", Home: "/h", Shell: "/s"}},
		Groups:  []Group{{GID: 3, Name: "g"}},
		Threads: []Thread{tA, tB},
		FDs: []FDList{{TID: 10, FDs: []FD{
			{FD: 0, Ino: 1, Type: FDFileV2, OpenFlags: 3, Name: "/f"},
			{FD: 1, Ino: 2, Type: FDIPv4Sock, SrcIP: wtIP4("1.2.3.4"), DstIP: wtIP4("5.6.7.8"), SrcPort: 80, DstPort: 9000, L4Proto: 2},
			{FD: 2, Ino: 3, Type: FDIPv6ServSock, SrcIP: wtIP6("::"), SrcPort: 53, L4Proto: 3},
			{FD: 3, Ino: 4, Type: FDUnixSock, SrcID: 7, DstID: 8, Name: "/s"},
			{FD: 4, Ino: 5, Type: FDPidFD, Name: "anon_inode:[pidfd]"},
		}}},
	}
	rec := wtRecord(t, 1000, 10, 234, wtU64(1), wtU64(2)) // procinfo
	ev := &event.Event{CPU: 3}
	if err := ev.Reset(rec); err != nil {
		t.Fatal(err)
	}

	thread := func(t Thread) fxBuf {
		return fxBuf(nil).i64(t.TID).i64(t.PID).i64(t.PTID).i64(t.SID).i64(t.VPGID).s16(t.Comm).s16(t.Exe).
			s16(t.ExePath).b16(t.Args).s16(t.Cwd).u64(t.FDLimit).u32(t.Flags).u32(t.UID).u32(t.GID).
			u32(t.VMSize).u32(t.VMRSS).u32(t.VMSwap).u64(t.PFMajor).u64(t.PFMinor).b16(t.Env).
			i64(t.VTID).i64(t.VPID).b16(t.Cgroups).s16(t.Root)
	}
	shb := wtBlock(0x0A0D0D0A, fxBuf(nil).u32(0x1A2B3C4D).u16(1).u16(2).i64(-1))
	host := make([]byte, 128)
	host[0] = 'h'
	want := bytes.Join([][]byte{
		shb,
		wtBlock(0x201, fxBuf(nil).u32(4).u64(1<<30).u64(32768).raw(host).u64(5).u64(1).u64(0).u64(0)),
		wtBlock(0x219, fxBuf(nil).
			raw(fxBuf(nil).u16(1).u16(4).raw(wtIP4("10.0.0.1")).raw(wtIP4("255.0.0.0")).raw(wtIP4("10.255.255.255")).u64(1000).raw([]byte("eth0")).entryExcl()).
			raw(fxBuf(nil).u16(2).u16(2).raw(wtIP6("::1")).raw(wtIP6("ffff::")).raw(wtIP6("::")).u64(0).raw([]byte("lo")).entryExcl())),
		wtBlock(0x220, fxBuf(nil).
			raw(fxBuf(nil).u8(0).u32(1).u32(2).s16("u").s16("/h").s16("/s").entryIncl()).
			raw(fxBuf(nil).u8(1).u32(3).s16("g").entryIncl())),
		wtBlock(0x215, fxBuf(nil).
			raw(thread(tA).u32(42).u8(1).u64(1).u64(2).u64(3).entryIncl()).
			raw(thread(tB).u32(0xFFFFFFFF).u8(0).entryIncl())),
		wtBlock(0x218, fxBuf(nil).i64(10).
			raw(fxBuf(nil).i64(0).u64(1).u8(16).u32(3).s16("/f").u32(0).entryIncl()).
			raw(fxBuf(nil).i64(1).u64(2).u8(3).raw(wtIP4("1.2.3.4")).raw(wtIP4("5.6.7.8")).u16(80).u16(9000).u8(2).entryIncl()).
			raw(fxBuf(nil).i64(2).u64(3).u8(6).raw(wtIP6("::")).u16(53).u8(3).entryIncl()).
			raw(fxBuf(nil).i64(3).u64(4).u8(8).u64(7).u64(8).s16("/s").entryIncl()).
			raw(fxBuf(nil).i64(4).u64(5).u8(10).s16("anon_inode:[pidfd]").entryIncl())),
		wtBlock(0x218, fxBuf(nil).i64(11)),
		wtBlock(0x216, fxBuf(nil).u16(3).raw(rec)),
	}, nil)

	got := wtWrite(t, sec, WriterOptions{}, ev)
	if len(shb) != 28 || !bytes.Equal(got[:28], shb) {
		t.Errorf("section header % x, want % x", got[:min(28, len(got))], shb)
	}
	if mi := got[28:]; binary.LittleEndian.Uint32(mi[4:]) != 192 {
		t.Errorf("machine block of %d bytes, want 192", binary.LittleEndian.Uint32(mi[4:]))
	}
	wtSameBlocks(t, got, want)
}

// wtSameBlocks compares two captures block by block, so that a failure
// names the first block that differs.
func wtSameBlocks(tb testing.TB, got, want []byte) {
	tb.Helper()
	for i, off := 0, 0; off < len(want); i++ {
		n := int(binary.LittleEndian.Uint32(want[off+4:]))
		if off+n > len(got) || !bytes.Equal(got[off:off+n], want[off:off+n]) {
			tb.Fatalf("block %d (type %#x) at offset %d differs:\n got % x\nwant % x", i,
				binary.LittleEndian.Uint32(want[off:]), off, got[off:min(off+n, len(got))], want[off:off+n])
		}
		off += n
	}
	if len(got) != len(want) {
		tb.Fatalf("%d bytes, want %d", len(got), len(want))
	}
}

// TestWriterNilSection writes a capture without metadata: a section
// header and an empty process list.
func TestWriterNilSection(t *testing.T) {
	ev := wtEvent(t, 1, 0, wtTS, 1, wtReadE, wtI64(0), wtU32(1))
	got := wtWrite(t, nil, WriterOptions{}, ev)
	want := bytes.Join([][]byte{
		wtBlock(0x0A0D0D0A, fxBuf(nil).u32(0x1A2B3C4D).u16(1).u16(2).i64(-1)),
		wtBlock(0x215, nil),
		wtBlock(0x216, fxBuf(nil).u16(1).raw(ev.Raw())),
	}, nil)
	wtSameBlocks(t, got, want)

	sysdig := testenv.Tool(t, "sysdig")
	out := wtSysdig(t, sysdig, "-r", wtWriteFile(t, "nil.scap", got), "-p", "*%evt.num %evt.cpu %thread.tid %proc.name %evt.type")
	wtSameLines(t, "sysdig", out, "1 1 1 <NA> read\n")
}

// ---------------------------------------------------------------------------
// Event blocks.

// TestWriterEventBlocks checks the block type, prefix, padding and
// trailer of event blocks, and that Kestrel and sysdig read them.
func TestWriterEventBlocks(t *testing.T) {
	const (
		typeProcinfo  event.Type = 234
		typeContainer event.Type = 324
		typeBeyond    event.Type = 500 // beyond every table
	)
	cj := wtCStr(`{"container":{"id":"0123456789ab","type":0,"name":"web","image":"nginx:1.25",` +
		`"imageid":"","imagerepo":"nginx","imagetag":"1.25","imagedigest":"","privileged":false,` +
		`"is_pod_sandbox":false,"lookup_state":1,"Mounts":[],"labels":{},"env":[]}}`)
	cases := []struct {
		name      string
		ev        *event.Event
		btype     uint32
		wantFlags uint32
	}{
		{"plain", wtEvent(t, 3, 0, wtTS+1, 7, typeProcinfo, wtU64(1), wtU64(2)), 0x216, 0},
		{"state only", wtEvent(t, 4, 1, wtTS+2, 7, wtReadE, wtI64(1), wtU32(1)), 0x217, 1},
		{"in-memory large flag dropped", wtEvent(t, 5, 4, wtTS+3, 7, wtReadE, wtI64(1), wtU32(1)), 0x216, 0},
		{"state only and large flag", wtEvent(t, 5, 5, wtTS+4, 7, wtReadE, wtI64(1), wtU32(1)), 0x217, 1},
		{"large payload", wtEvent(t, 0, 0, wtTS+5, -1, typeContainer, cj), 0x221, 0},
		{"large payload, state only", wtEvent(t, 0, 1, wtTS+6, -1, typeContainer, cj), 0x222, 1},
		{"padding 0", wtEvent(t, 1, 0, wtTS+7, 7, wtReadX, wtI64(0), nil), 0x216, 0},
		{"padding 3", wtEvent(t, 1, 0, wtTS+8, 7, wtReadX, wtI64(1), []byte("a")), 0x216, 0},
		{"padding 2", wtEvent(t, 1, 0, wtTS+9, 7, wtReadX, wtI64(2), []byte("ab")), 0x216, 0},
		{"padding 1", wtEvent(t, 1, 0, wtTS+10, 7, wtReadX, wtI64(3), []byte("abc")), 0x216, 0},
		{"type beyond the tables", wtEvent(t, 1, 0, wtTS+11, 7, typeBeyond, wtU64(1)), 0x216, 0},
	}
	var evs []*event.Event
	for _, c := range cases {
		evs = append(evs, c.ev)
	}
	data := wtWrite(t, nil, WriterOptions{}, evs...)
	off := 28 + 12 // section header, empty process list
	pads := map[int]bool{}
	for _, c := range cases {
		prefix := fxBuf(nil).u16(c.ev.CPU)
		if c.btype == 0x217 || c.btype == 0x222 {
			prefix = prefix.u32(c.wantFlags)
		}
		want := wtBlock(c.btype, prefix.raw(c.ev.Raw()))
		pads[len(want)-12-len(prefix)-len(c.ev.Raw())] = true
		if got := data[off:min(off+len(want), len(data))]; !bytes.Equal(got, want) {
			t.Errorf("%s: block\n % x\nwant\n % x", c.name, got, want)
		}
		off += len(want)
	}
	if off != len(data) || len(pads) != 4 {
		t.Errorf("%d bytes written, blocks cover %d; paddings seen %v", len(data), off, pads)
	}

	// Kestrel skips the type beyond its table, as sysdig does.
	_, got := wtRead(t, data)
	var want []wtEvt
	for _, c := range cases[:len(cases)-1] {
		want = append(want, wtEvt{Num: uint64(len(want) + 1), CPU: c.ev.CPU, Flags: c.wantFlags, Raw: c.ev.Raw()})
	}
	wtCheckEvents(t, got, want)

	sysdig := testenv.Tool(t, "sysdig")
	out := wtSysdig(t, sysdig, "-r", wtWriteFile(t, "blocks.scap", data), "-D", "-p", "*%evt.num %evt.cpu %evt.type %evt.args")
	wtSameLines(t, "sysdig", out, `1 3 procinfo cpu_usr=1 cpu_sys=2 
3 5 read fd=1 size=1 
5 0 container json=`+string(cj[:len(cj)-1])+` 
7 1 read res=0 data= 
8 1 read res=1 data=a 
9 1 read res=2 data=ab 
10 1 read res=3 data=abc 
`)
}

// ---------------------------------------------------------------------------
// Limits, errors, buffering.

// TestWriterTruncation writes strings longer than readers accept: they
// are cut to the limits, so that Kestrel (which enforces them) and sysdig
// still read the capture.
func TestWriterTruncation(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	sec := wtSynSection()
	sec.Machine.Hostname = long("h", 200)
	sec.Interfaces[0].Name = long("i", 2000)
	sec.Users[1].Name, sec.Users[1].Home, sec.Users[1].Shell = long("u", 300), long("d", 256), long("s", 1000)
	sec.Groups[1].Name = long("g", 256)
	th := &sec.Threads[1]
	th.Comm, th.Exe, th.ExePath, th.Cwd, th.Root = long("c", 1025), long("e", 5000), long("p", 2000), long("w", 1500), long("r", 1100)
	th.Args, th.Env, th.Cgroups = []byte(long("a\x00", 3000)), []byte(long("E", 5000)), []byte(long("x", 4097))
	sec.FDs[0].FDs[0].Name = long("f", 1024)
	sec.FDs[0].FDs[2].Name = long("n", 3000)

	data := wtWrite(t, sec, WriterOptions{}, wtEvent(t, 0, 0, wtTS, 100, wtReadE, wtI64(3), wtU32(1)))
	secs, _ := wtRead(t, data)
	wtCheckSection(t, "section", secs[0], wtWant(sec))
	got := secs[0]
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"host name", len(got.Machine.Hostname), 127},
		{"interface name", len(got.Interfaces[1].Name), 1023},
		{"user name", len(got.Users[1].Name), 255},
		{"group name", len(got.Groups[1].Name), 255},
		{"comm", len(got.Threads[1].Comm), 1024},
		{"args", len(got.Threads[1].Args), 4096},
		{"env (a NUL added)", len(got.Threads[1].Env), 4097},
		{"fd name", len(got.FDs[1].FDs[0].Name), 1023},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.what, c.got, c.want)
		}
	}

	sysdig := testenv.Tool(t, "sysdig")
	out := wtSysdig(t, sysdig, "-r", wtWriteFile(t, "long.scap", data), "-p", "*%evt.num %proc.name %fd.name %user.name")
	wtSameLines(t, "sysdig", out, fmt.Sprintf("1 %s %s %s\n", long("c", 1024), long("f", 1023), long("u", 255)))
}

// wtFailWriter accepts n bytes, then fails.
type wtFailWriter struct {
	n      int
	closed bool
}

var errWtBoom = errors.New("disk full")

func (f *wtFailWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errWtBoom
	}
	f.n -= len(p)
	return len(p), nil
}

func (f *wtFailWriter) Close() error { f.closed = true; return nil }

func TestWriterErrors(t *testing.T) {
	ev := wtEvent(t, 0, 0, wtTS, 1, wtReadE, wtI64(0), wtU32(1))

	t.Run("unknown interface type", func(t *testing.T) {
		sec := &Section{Interfaces: []Interface{{Type: IfaceIPv4, Name: "lo"}, {Type: 9, Name: "x"}}}
		_, err := NewWriter(io.Discard, sec, WriterOptions{})
		wtWantErr(t, err, `write section 1: interface 1 ("x"): unknown type 9`)
	})

	t.Run("section without events", func(t *testing.T) {
		var out bytes.Buffer
		w, err := NewWriter(&out, nil, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wtWantErr(t, w.StartSection(nil), "start section 2: section 1 has no events, which readers reject")
		bad := &Section{Interfaces: []Interface{{Type: 0}}}
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
		wtWantErr(t, w.StartSection(bad), "write section 2: interface 0")
		if err := w.Close(); err != nil {
			t.Fatalf("refused sections must leave the writer usable: %v", err)
		}
		secs, evs := wtRead(t, out.Bytes())
		if len(secs) != 1 || len(evs) != 1 {
			t.Errorf("%d sections and %d events, want 1 and 1", len(secs), len(evs))
		}
	})

	t.Run("record too long", func(t *testing.T) {
		// A non-large block holds at most 65536 bytes after its header:
		// 2 (cpu) + a 65530-byte record + 4 (trailer).
		fits := wtEvent(t, 0, 0, wtTS, 1, wtReadX, wtI64(0), make([]byte, 65530-event.HeaderLen-4-8))
		over := wtEvent(t, 0, 0, wtTS, 1, wtReadX, wtI64(0), make([]byte, 65531-event.HeaderLen-4-8))
		flagged := wtEvent(t, 0, 1, wtTS, 1, wtReadX, wtI64(0), make([]byte, 65530-event.HeaderLen-4-8))
		var out bytes.Buffer
		w, err := NewWriter(&out, nil, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEvent(fits); err != nil {
			t.Fatal(err)
		}
		wtWantErr(t, w.WriteEvent(over), "write event 2: type 7: a 65531-byte record needs a 65548-byte block")
		wtWantErr(t, w.WriteEvent(flagged), "write event 2: type 7: a 65530-byte record needs a 65548-byte block")
		if err := w.WriteEvent(fits); err != nil {
			t.Fatalf("a refused event must leave the writer usable: %v", err)
		}
		large := wtEvent(t, 0, 0, wtTS, -1, 324, append(bytes.Repeat([]byte("j"), 200000), 0))
		if err := w.WriteEvent(large); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, evs := wtRead(t, out.Bytes())
		if len(evs) != 3 || !bytes.Equal(evs[2].Raw, large.Raw()) {
			t.Errorf("read back %d events, want 3 with the large one last", len(evs))
		}
	})

	t.Run("empty event", func(t *testing.T) {
		w, err := NewWriter(io.Discard, nil, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wtWantErr(t, w.WriteEvent(&event.Event{}), "write event 1: record of 0 bytes, shorter than the 26-byte header")
	})

	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("write error sticks/gzip=%v", compress), func(t *testing.T) {
			fw := &wtFailWriter{n: 100000}
			w, err := NewWriter(fw, wtSynSection(), WriterOptions{Compress: compress})
			if err != nil {
				t.Fatal(err)
			}
			// Fresh random data for every event, so that the gzip output
			// grows as fast as the input.
			src := rand.NewChaCha8([32]byte{})
			var first error
			for i := 0; i < 100 && first == nil; i++ {
				noise := make([]byte, 30000)
				src.Read(noise)
				first = w.WriteEvent(wtEvent(t, 0, 0, wtTS, 1, wtReadX, wtI64(0), noise))
			}
			if !errors.Is(first, errWtBoom) || !strings.HasPrefix(first.Error(), "write event ") {
				t.Fatalf("error %v, want a write event error wrapping %v", first, errWtBoom)
			}
			for name, err := range map[string]error{"WriteEvent": w.WriteEvent(ev), "StartSection": w.StartSection(nil),
				"Flush": w.Flush(), "Close": w.Close()} {
				if err != first {
					t.Errorf("%s after a write error: %v, want %v", name, err, first)
				}
			}
			if fw.closed {
				t.Error("Close closed the underlying writer")
			}
		})
	}

	t.Run("flush error", func(t *testing.T) {
		w, err := NewWriter(&wtFailWriter{}, nil, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Flush()
		if !errors.Is(err, errWtBoom) {
			t.Fatalf("flush: %v, want %v", err, errWtBoom)
		}
		wtWantErr(t, err, "flush: disk full")
	})

	t.Run("closed", func(t *testing.T) {
		fw := &wtFailWriter{n: 1 << 20}
		w, err := NewWriter(fw, nil, WriterOptions{Compress: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if fw.closed {
			t.Error("Close closed the underlying writer")
		}
		for _, c := range []struct {
			err  error
			want string
		}{
			{w.WriteEvent(ev), "write event 2: capture writer is closed"},
			{w.StartSection(nil), "start section 2: capture writer is closed"},
			{w.Flush(), "flush: capture writer is closed"},
		} {
			if !errors.Is(c.err, errWriterClosed) {
				t.Errorf("%v does not wrap errWriterClosed", c.err)
			}
			wtWantErr(t, c.err, c.want)
		}
	})
}

func wtWantErr(tb testing.TB, err error, prefix string) {
	tb.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), prefix) {
		tb.Errorf("error %v, want one starting with %q", err, prefix)
	}
}

// TestWriterFlush checks that nothing reaches the underlying writer
// before Flush (writes are buffered) and that after Flush what was
// written reads back, compressed or not.
func TestWriterFlush(t *testing.T) {
	evs := wtSynEvents(t)
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", compress), func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewWriter(&out, wtSynSection(), WriterOptions{Compress: compress})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs[:3] {
				if err := w.WriteEvent(ev); err != nil {
					t.Fatal(err)
				}
			}
			if !compress && out.Len() != 0 {
				t.Errorf("%d bytes reached the underlying writer before Flush", out.Len())
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(bytes.NewReader(out.Bytes()), ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var ev event.Event
			for i := range 3 {
				if err := r.Next(&ev); err != nil {
					t.Fatalf("event %d after Flush: %v", i+1, err)
				}
				if !bytes.Equal(ev.Raw(), evs[i].Raw()) {
					t.Errorf("event %d differs", i+1)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWriterNoAllocs checks that writing an event allocates nothing.
func TestWriterNoAllocs(t *testing.T) {
	ev := wtEvent(t, 1, 0, wtTS, 1, wtReadX, wtI64(3), []byte("abc"))
	flagged := wtEvent(t, 1, 1, wtTS, 1, wtReadX, wtI64(3), []byte("abc"))
	for _, compress := range []bool{false, true} {
		w, err := NewWriter(io.Discard, wtSynSection(), WriterOptions{Compress: compress})
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(2000, func() {
			if err := w.WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteEvent(flagged); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("gzip=%v: %v allocations per WriteEvent pair, want 0", compress, allocs)
		}
	}
}

func BenchmarkWriteEvent(b *testing.B) {
	for _, compress := range []bool{false, true} {
		b.Run(fmt.Sprintf("gzip=%v", compress), func(b *testing.B) {
			ev := wtEvent(b, 1, 0, wtTS, 1, wtReadX, wtI64(80), bytes.Repeat([]byte("x"), 80))
			w, err := NewWriter(io.Discard, nil, WriterOptions{Compress: compress})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(ev.Raw())))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteEvent(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWriterRandomSections writes random sections, string lengths around
// the readers' limits and every fd type included, and reads them back.
func TestWriterRandomSections(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	str := func(limit int) string {
		n := rng.IntN(limit + 3)
		if rng.IntN(4) > 0 {
			n = rng.IntN(12)
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	}
	list := func() []byte {
		if rng.IntN(3) == 0 {
			return nil
		}
		return []byte(str(4096) + "\x00" + str(10))
	}
	addr := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	ev := wtEvent(t, 0, 0, wtTS, 1, wtReadE, wtI64(0), wtU32(1))
	for i := range 200 {
		sec := &Section{}
		if rng.IntN(2) == 0 {
			sec.Machine = &Machine{NumCPUs: rng.Uint32(), MemoryBytes: rng.Uint64(), MaxPID: rng.Uint64(),
				Hostname: str(130), BootTS: rng.Uint64(), Flags: rng.Uint64()}
		}
		for range rng.IntN(4) {
			typ := uint16(1 + rng.IntN(4))
			n := 4
			if typ == IfaceIPv6 || typ == IfaceIPv6NoLinkSpeed {
				n = 16
			}
			it := Interface{Type: typ, Name: str(1024), Addr: addr(n), Netmask: addr(n), Broadcast: addr(n)}
			if typ <= IfaceIPv6 {
				it.LinkSpeed = rng.Uint64()
			}
			sec.Interfaces = append(sec.Interfaces, it)
		}
		for range rng.IntN(3) {
			sec.Users = append(sec.Users, User{UID: rng.Uint32(), GID: rng.Uint32(), Name: str(256), Home: str(256), Shell: str(256)})
			sec.Groups = append(sec.Groups, Group{GID: rng.Uint32(), Name: str(256)})
		}
		for range rng.IntN(4) {
			th := Thread{TID: int64(rng.IntN(5)), PID: rng.Int64(), PTID: rng.Int64(), SID: rng.Int64(), VPGID: rng.Int64(),
				PGID: rng.Int64(), Comm: str(1024), Exe: str(1024), ExePath: str(1024), Args: list(), Cwd: str(1024),
				FDLimit: rng.Uint64(), Flags: rng.Uint32(), UID: rng.Uint32(), GID: rng.Uint32(), VMSize: rng.Uint32(),
				VMRSS: rng.Uint32(), VMSwap: rng.Uint32(), PFMajor: rng.Uint64(), PFMinor: rng.Uint64(), Env: list(),
				VTID: rng.Int64(), VPID: rng.Int64(), Cgroups: list(), Root: str(1024), LoginUID: rng.Uint32(),
				ExeWritable: rng.IntN(2) == 0, HasCaps: rng.IntN(2) == 0, CapInheritable: rng.Uint64(),
				CapPermitted: rng.Uint64(), CapEffective: rng.Uint64(), PidnsInitStartTS: rng.Uint64(), TTY: rng.Uint32(),
				ExeIno: rng.Uint64(), ExeUpperLayer: true}
			sec.Threads = append(sec.Threads, th)
		}
		for range rng.IntN(4) {
			l := FDList{TID: int64(rng.IntN(6))}
			for range rng.IntN(5) {
				fd := FD{FD: rng.Int64(), Ino: rng.Uint64(), Type: uint8(rng.IntN(24)), Name: str(1024), OpenFlags: rng.Uint32(),
					SrcPort: uint16(rng.Uint32()), DstPort: uint16(rng.Uint32()), L4Proto: uint8(rng.Uint32()),
					SrcID: rng.Uint64(), DstID: rng.Uint64()}
				switch fd.Type {
				case FDIPv4Sock, FDIPv4ServSock:
					fd.SrcIP, fd.DstIP = addr(4), addr(4)
				case FDIPv6Sock, FDIPv6ServSock:
					fd.SrcIP, fd.DstIP = addr(16), addr(16)
				}
				if fd.Type == FDFileV2 && rng.IntN(2) == 0 {
					fd.Dev, fd.HasDev = rng.Uint32(), true
				}
				wtClearUnused(&fd)
				l.FDs = append(l.FDs, fd)
			}
			sec.FDs = append(sec.FDs, l)
		}
		data := wtWrite(t, sec, WriterOptions{}, ev)
		secs, evs := wtRead(t, data)
		if len(secs) != 1 || len(evs) != 1 {
			t.Fatalf("case %d: %d sections, %d events", i, len(secs), len(evs))
		}
		wtCheckSection(t, fmt.Sprintf("case %d", i), secs[0], wtWant(sec))
	}
}

// wtClearUnused zeroes the fields an fd entry of fd's type does not carry.
func wtClearUnused(fd *FD) {
	keep := *fd
	*fd = FD{FD: keep.FD, Ino: keep.Ino, Type: keep.Type}
	switch keep.Type {
	case FDIPv4Sock, FDIPv6Sock:
		fd.SrcIP, fd.DstIP, fd.SrcPort, fd.DstPort, fd.L4Proto = keep.SrcIP, keep.DstIP, keep.SrcPort, keep.DstPort, keep.L4Proto
	case FDIPv4ServSock, FDIPv6ServSock:
		fd.SrcIP, fd.SrcPort, fd.L4Proto = keep.SrcIP, keep.SrcPort, keep.L4Proto
	case FDUnixSock:
		fd.SrcID, fd.DstID, fd.Name = keep.SrcID, keep.DstID, keep.Name
	case FDFileV2:
		fd.OpenFlags, fd.Name, fd.Dev, fd.HasDev = keep.OpenFlags, keep.Name, keep.Dev, keep.HasDev
	case FDUnknown:
	default:
		fd.Name = keep.Name
	}
}
