package field

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// The fd scenario exercises what the shared captures do not: paths
// relative to a directory fd, fds inherited across fork and shared with
// CLONE_FILES, dup and fcntl(F_DUPFD) copies, unix and IPv6 sockets,
// accepted connections, datagram tuples, poll fd lists and close. Each
// step lists the values it expects; TestFDScenarioAgainstSysdig writes
// the scenario to a capture and checks that sysdig 0.29.3 prints exactly
// what Kestrel prints for every field of fdScenarioFields.

type vals = map[string]any

type fdStep struct {
	tid   int64
	name  string
	enter bool
	vals  vals
	want  map[string]string // field expression -> value ("<NA>": none)
}

var fdScenarioFields = []string{
	"fd.num", "fd.type", "fd.typechar", "fd.name", "fd.directory", "fd.filename",
	"fd.cip", "fd.sip", "fd.lip", "fd.rip", "fd.cport", "fd.sport", "fd.lport", "fd.rport",
	"fd.l4proto", "fd.sockfamily", "fd.is_server", "fd.uid", "fd.containername",
	"fd.cproto", "fd.sproto", "fd.lproto", "fd.rproto", "fd.connected", "fd.name_changed",
	"fdlist.nums", "fdlist.names", "fdlist.cips", "fdlist.sips", "fdlist.cports", "fdlist.sports",
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func tuple(src, dst string) evtest.Tuple { return evtest.Tuple{Src: ap(src), Dst: ap(dst)} }

func cloneVals(res, tid, pid, ptid int64, flags uint32) vals {
	return vals{"res": res, "exe": "/bin/app", "comm": "app", "tid": tid, "pid": pid, "ptid": ptid,
		"cwd": "/home/alice", "flags": flags}
}

const cloneThreadFlags = 1<<0 | 1<<1 | 1<<13 // CLONE_FILES|CLONE_FS|CLONE_THREAD

func fdScenario() []fdStep {
	na := "<NA>"
	return []fdStep{
		// openat relative to directory fd 5 (/etc).
		{100, "openat", true, vals{"dirfd": 5, "name": "passwd", "flags": 1}, map[string]string{"fd.num": "-1", "fd.typechar": "f", "fd.name": na}},
		{100, "openat", false, vals{"fd": 3, "dirfd": 5, "name": "passwd", "flags": 1, "dev": 0x803},
			map[string]string{"fd.num": "3", "fd.type": "file", "fd.name": "/etc/passwd", "fd.directory": "/etc", "fd.filename": "passwd", "fd.name_changed": "true", "fd.uid": "1003"}},
		{100, "read", true, vals{"fd": 3, "size": 10}, map[string]string{"fd.name": "/etc/passwd", "fd.name_changed": "false", "fd.sockfamily": na}},
		{100, "read", false, vals{"res": 10, "data": []byte("root:x:0:0")}, map[string]string{"fd.num": "3", "fd.name": "/etc/passwd"}},
		// A failed openat relative to fd 5 is about fd 5.
		{100, "openat", true, vals{"dirfd": 5, "name": "nosuch", "flags": 1}, nil},
		{100, "openat", false, vals{"fd": -2, "dirfd": 5, "name": "nosuch", "flags": 1},
			map[string]string{"fd.num": "-1", "fd.name": "/etc", "fd.type": "directory", "fd.directory": "/etc"}},
		// A failed open names what it tried to open.
		{100, "open", true, vals{"name": "../bob/x", "flags": 1}, nil},
		{100, "open", false, vals{"fd": -2, "name": "../bob/x", "flags": 1},
			map[string]string{"fd.num": "-1", "fd.typechar": "f", "fd.name": "/home/bob/x", "fd.directory": "/home/bob", "fd.type": na}},
		// dup and fcntl(F_DUPFD) copies.
		{100, "dup", true, vals{"fd": 3}, nil},
		{100, "dup", false, vals{"res": 7}, map[string]string{"fd.num": "7", "fd.name": "/etc/passwd"}},
		{100, "fcntl", true, vals{"fd": 3, "cmd": 1}, nil},
		{100, "fcntl", false, vals{"res": 8}, map[string]string{"fd.num": "8", "fd.name": "/etc/passwd"}},
		{100, "read", true, vals{"fd": 8, "size": 1}, map[string]string{"fd.name": "/etc/passwd"}},
		// fork: the child inherits a copy of the table.
		{100, "clone", false, cloneVals(200, 100, 100, 1, 0), map[string]string{"fd.num": na}},
		{200, "clone", false, cloneVals(0, 200, 200, 100, 0), nil},
		{100, "open", true, vals{"name": "/tmp/x", "flags": 2}, nil},
		{100, "open", false, vals{"fd": 4, "name": "/tmp/x", "flags": 2}, map[string]string{"fd.name": "/tmp/x"}},
		{200, "read", true, vals{"fd": 3, "size": 1}, map[string]string{"fd.name": "/etc/passwd", "fd.uid": "2003"}},
		{200, "read", true, vals{"fd": 4, "size": 1}, map[string]string{"fd.num": "4", "fd.name": na, "fd.typechar": "o"}},
		// A thread created with CLONE_FILES shares the table.
		{100, "clone", false, cloneVals(102, 100, 100, 1, cloneThreadFlags), nil},
		{102, "clone", false, cloneVals(0, 102, 100, 1, cloneThreadFlags), nil},
		{100, "open", true, vals{"name": "/tmp/y", "flags": 2}, nil},
		{100, "open", false, vals{"fd": 9, "name": "/tmp/y", "flags": 2}, nil},
		{102, "read", true, vals{"fd": 9, "size": 1}, map[string]string{"fd.name": "/tmp/y"}},
		// A unix socket, named after its connect.
		{100, "socket", true, vals{"domain": 1, "type": 1, "proto": 0}, map[string]string{"fd.typechar": "4"}},
		{100, "socket", false, vals{"fd": 10}, map[string]string{"fd.type": "unix", "fd.sockfamily": "unix", "fd.name": ""}},
		{100, "connect", true, vals{"fd": 10, "addr": evtest.Unix("/run/x.sock")}, map[string]string{"fd.name": "/run/x.sock", "fd.name_changed": "true"}},
		{100, "connect", false, vals{"res": 0, "tuple": evtest.UnixTuple{Src: 0x10, Dst: 0x20, Path: "/run/x.sock"}},
			map[string]string{"fd.name": "10->20 /run/x.sock", "fd.cip": na, "fd.is_server": "false"}},
		// An IPv6 TCP client to a host on the local /64, then to a remote one.
		{100, "socket", true, vals{"domain": 10, "type": 1, "proto": 6}, nil},
		{100, "socket", false, vals{"fd": 11}, map[string]string{"fd.type": "ipv6", "fd.l4proto": "<NA>", "fd.cip": na, "fd.connected": "false"}},
		{100, "connect", true, vals{"fd": 11, "addr": ap("[2001:db8::9]:443")}, nil},
		{100, "connect", false, vals{"res": 0, "tuple": tuple("[2001:db8::1]:40000", "[2001:db8::9]:443")},
			map[string]string{"fd.name": "2001:db8::1:40000->2001:db8::9:443", "fd.cip": "2001:db8::1", "fd.sip": "2001:db8::9",
				"fd.cport": "40000", "fd.sport": "443", "fd.l4proto": "tcp", "fd.connected": "true", "fd.name_changed": "true"}},
		{100, "socket", true, vals{"domain": 10, "type": 1, "proto": 6}, nil},
		{100, "socket", false, vals{"fd": 15}, nil},
		{100, "connect", true, vals{"fd": 15, "addr": ap("[2a00:1450::5]:80")}, nil},
		{100, "connect", false, vals{"res": 0, "tuple": tuple("[2001:db8::1]:40001", "[2a00:1450::5]:80")},
			map[string]string{"fd.lip": "2001:db8::1", "fd.rip": "2a00:1450::5", "fd.lport": "40001", "fd.rport": "80", "fd.is_server": "false"}},
		// An IPv4 server: bind, accept.
		{100, "socket", true, vals{"domain": 2, "type": 1, "proto": 0}, nil},
		{100, "socket", false, vals{"fd": 12}, nil},
		{100, "bind", true, vals{"fd": 12}, nil},
		{100, "bind", false, vals{"res": 0, "addr": ap("0.0.0.0:8080")},
			map[string]string{"fd.name": "0.0.0.0:8080", "fd.sip": "0.0.0.0", "fd.sport": "8080", "fd.cport": "0", "fd.is_server": "true", "fd.l4proto": "tcp"}},
		{100, "accept", true, vals{"flags": 0}, nil},
		{100, "accept", false, vals{"fd": 13, "tuple": tuple("10.0.0.7:5555", "10.0.0.1:8080")},
			map[string]string{"fd.num": "13", "fd.cip": "10.0.0.7", "fd.sip": "10.0.0.1", "fd.lip": "10.0.0.1", "fd.rip": "10.0.0.7",
				"fd.lport": "8080", "fd.rport": "5555", "fd.is_server": "true", "fd.connected": "true", "fd.sockfamily": "ip"}},
		// A UDP socket named by its first datagram.
		{100, "socket", true, vals{"domain": 2, "type": 2, "proto": 0}, nil},
		{100, "socket", false, vals{"fd": 14}, nil},
		{100, "sendto", true, vals{"fd": 14, "size": 10, "tuple": tuple("10.0.0.1:6000", "8.8.8.8:53")}, nil},
		{100, "sendto", false, vals{"res": 10, "data": []byte("0123456789")},
			map[string]string{"fd.name": "10.0.0.1:6000->8.8.8.8:53", "fd.l4proto": "udp", "fd.name_changed": "true", "fd.connected": "true"}},
		{100, "sendto", true, vals{"fd": 14, "size": 10, "tuple": tuple("10.0.0.1:6000", "1.1.1.1:53")}, nil},
		{100, "sendto", false, vals{"res": 10, "data": []byte("0123456789")}, nil},
		// poll lists.
		{100, "poll", true, vals{"fds": []evtest.Poll{{FD: 3, Flags: 1}, {FD: 13, Flags: 1}, {FD: 11, Flags: 1}, {FD: 99, Flags: 1}}, "timeout": 0},
			map[string]string{"fdlist.nums": "3,13,11,99", "fdlist.names": "/etc/passwd,10.0.0.7:5555->10.0.0.1:8080,2001:db8::1:40000->2001:db8::9:443,<NA>",
				"fdlist.cips": "10.0.0.7,2001:db8::1", "fdlist.sports": "8080,443", "fd.num": na}},
		// close: the fd stays for the close exit, and goes after it.
		{100, "close", true, vals{"fd": 3}, map[string]string{"fd.name": "/etc/passwd"}},
		{100, "close", false, vals{"res": 0}, map[string]string{"fd.num": "3", "fd.name": "/etc/passwd"}},
		{100, "read", true, vals{"fd": 3, "size": 1}, map[string]string{"fd.num": "3", "fd.name": na}},
	}
}

func fdSection() *scap.Section {
	v4 := netip.MustParseAddr("10.0.0.1").As4()
	mask := netip.MustParseAddr("255.255.255.0").As4()
	v6 := netip.MustParseAddr("2001:db8::1").As16()
	ones := [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	return &scap.Section{
		Major: 1, Minor: 2,
		Machine: &scap.Machine{NumCPUs: 1, MemoryBytes: 1 << 30, Hostname: "fdtest"},
		Interfaces: []scap.Interface{
			{Type: scap.IfaceIPv4, Name: "eth0", Addr: v4[:], Netmask: mask[:], Broadcast: v4[:]},
			{Type: scap.IfaceIPv6, Name: "eth0", Addr: v6[:], Netmask: ones[:], Broadcast: make([]byte, 16)},
		},
		Users:  []scap.User{{UID: 0, Name: "root", Home: "/root", Shell: "/bin/sh"}},
		Groups: []scap.Group{{GID: 0, Name: "root"}},
		Threads: []scap.Thread{
			{TID: 100, PID: 100, PTID: 1, Comm: "app", Exe: "/bin/app", ExePath: "/bin/app", Cwd: "/home/alice", FDLimit: 1024, Root: "/"},
		},
		FDs: []scap.FDList{{TID: 100, FDs: []scap.FD{
			{FD: 0, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: 3, Ino: 3},
			{FD: 5, Type: scap.FDDirectory, Name: "/etc", Ino: 4},
		}}},
	}
}

// legacyType returns the newest code of the legacy table for a syscall.
func legacyType(t testing.TB, name string, enter bool) event.Type {
	t.Helper()
	return newestType(t, event.Legacy(), name, enter)
}

// newestType returns the newest code of table s for a syscall.
func newestType(t testing.TB, s *event.Schema, name string, enter bool) event.Type {
	t.Helper()
	found := event.Type(0)
	for i := range s.Events {
		info, ty := &s.Events[i], event.Type(i)
		if info.Name == name && ty.IsEnter() == enter && info.Known() && info.Flags&event.FlagOldVersion == 0 {
			found = ty
		}
	}
	if found == 0 {
		t.Fatalf("no %s event in the %s table", name, s.Name)
	}
	return found
}

// fdRecords builds the scenario's event records.
func fdRecords(t testing.TB, steps []fdStep) [][]byte {
	t.Helper()
	var out [][]byte
	for i, s := range steps {
		rec, err := evtest.Record(event.Legacy(), 1_700_000_000_000_000_000+uint64(i)*1000, s.tid, legacyType(t, s.name, s.enter), s.vals)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		out = append(out, rec)
	}
	return out
}

// kestrelLines prints each event of the scenario with format, one line each.
func kestrelLines(t *testing.T, sec *scap.Section, recs [][]byte, format string) []string {
	t.Helper()
	reg := Default()
	f, err := reg.CompileFormat(format)
	if err != nil {
		t.Fatal(err)
	}
	st := state.FromSection(sec)
	c := NewContext(st)
	c.Resolver = st
	var lines []string
	for i, rec := range recs {
		var e event.Event
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		e.Num = uint64(i + 1)
		st.Apply(&e)
		c.Observe(&e)
		b, _ := f.AppendText(nil, c)
		lines = append(lines, string(b))
	}
	return lines
}

func scenarioFormat(fields []string) string {
	return "*%evt.num\x1f%" + strings.Join(fields, "\x1f%")
}

func TestFDScenario(t *testing.T) {
	steps := fdScenario()
	lines := kestrelLines(t, fdSection(), fdRecords(t, steps), scenarioFormat(fdScenarioFields))
	for i, s := range steps {
		got := strings.Split(lines[i], "\x1f")[1:]
		for expr, want := range s.want {
			j := indexOf(fdScenarioFields, expr)
			if j < 0 {
				t.Fatalf("step %d: %s is not a scenario field", i, expr)
			}
			if got[j] != want {
				t.Errorf("step %d (%s %c of %d): %s = %q, want %q", i+1, s.name, dirChar(s.enter), s.tid, expr, got[j], want)
			}
		}
	}
}

func dirChar(enter bool) byte {
	if enter {
		return '>'
	}
	return '<'
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestFDScenarioAgainstSysdig checks that sysdig 0.29.3 reading the
// scenario as a capture prints what Kestrel prints, field by field.
func TestFDScenarioAgainstSysdig(t *testing.T) {
	steps := fdScenario()
	recs := fdRecords(t, steps)
	format := scenarioFormat(fdScenarioFields)
	want := sysdigLines(t, fdSection(), recs, format)
	got := kestrelLines(t, fdSection(), recs, format)
	if len(want) != len(got) {
		t.Fatalf("sysdig printed %d events, Kestrel %d", len(want), len(got))
	}
	for i := range got {
		g, w := strings.Split(got[i], "\x1f"), strings.Split(want[i], "\x1f")
		for j := 1; j < len(g) && j < len(w); j++ {
			if g[j] != w[j] {
				t.Errorf("event %d (%s %c of %d): %s: kestrel %q, sysdig %q", i+1, steps[i].name, dirChar(steps[i].enter), steps[i].tid,
					fdScenarioFields[j-1], g[j], w[j])
			}
		}
	}
}

// sysdigLines writes a capture of sec and recs and returns what sysdig
// prints for it with format, one line per event.
func sysdigLines(t *testing.T, sec *scap.Section, recs [][]byte, format string) []string {
	t.Helper()
	sysdig := testenv.Tool(t, "sysdig")
	path := filepath.Join(t.TempDir(), "fd.scap")
	writeCapture(t, path, sec, recs)
	cmd := exec.Command(sysdig, "-r", path, "-p", format)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sysdig: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

func writeCapture(t *testing.T, path string, sec *scap.Section, recs [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := scap.NewWriter(&buf, sec, scap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		var e event.Event
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEvent(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scenarioAt applies the scenario's first n events and returns the
// context with the n-th as the current event.
func scenarioAt(t testing.TB, n int) *Context {
	t.Helper()
	recs := fdRecords(t, fdScenario())
	st := state.FromSection(fdSection())
	c := NewContext(st)
	c.Resolver = st
	for i, rec := range recs[:n] {
		e := new(event.Event)
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		e.Num = uint64(i + 1)
		st.Apply(e)
		c.Observe(e)
	}
	return c
}

func fieldText(t *testing.T, c *Context, expr string) string {
	t.Helper()
	d, a, n, err := Default().Match(expr)
	if err != nil || n != len(expr) {
		t.Fatalf("%s: %v", expr, err)
	}
	b, ok := d.Text(nil, c, a)
	if !ok {
		return "<NA>"
	}
	return string(b)
}

func multiValues(t *testing.T, c *Context, expr string) []string {
	t.Helper()
	d, a, _, err := Default().Match(expr)
	if err != nil || d.Multi == nil {
		t.Fatalf("%s: not a multi-valued field (%v)", expr, err)
	}
	var out []string
	for i := 0; ; i++ {
		b, ok := d.Multi(nil, c, a, i)
		if !ok {
			return out
		}
		out = append(out, string(b))
	}
}

// TestFDDevice: the device of a file opened by an open exit, split as the
// kernel's new_encode_dev packs it (major in bits 8-19, minor in bits 0-7
// and 20-31).
func TestFDDevice(t *testing.T) {
	c := scenarioAt(t, 2) // openat exit with dev 0x803
	for expr, want := range map[string]string{"fd.dev": "803", "fd.dev.major": "8", "fd.dev.minor": "3"} {
		if got := fieldText(t, c, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}

// TestFDEitherEnd: the filter-only fields stand for both ends of a
// connection and for the bound address of a listening socket.
func TestFDEitherEnd(t *testing.T) {
	c := scenarioAt(t, 42) // accept exit: 10.0.0.7:5555 -> 10.0.0.1:8080
	for expr, want := range map[string][]string{
		"fd.ip": {"10.0.0.7", "10.0.0.1"}, "fd.net": {"10.0.0.7", "10.0.0.1"},
		"fd.port": {"5555", "8080"}, "fd.proto": {"5555", "8080"},
	} {
		if got := multiValues(t, c, expr); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	reg := Default()
	for expr, want := range map[string]string{"fd.cnet": "10.0.0.7", "fd.snet": "10.0.0.1", "fd.lnet": "10.0.0.1", "fd.rnet": "10.0.0.7", "fd.sip": "10.0.0.1"} {
		d, _ := reg.Lookup(expr)
		a, ok := d.Addr(c, nil)
		if !ok || a != netip.MustParseAddr(want) {
			t.Errorf("%s address = %v %v, want %s", expr, a, ok, want)
		}
	}
	if d, _ := reg.Lookup("fd.lport"); d.Num == nil {
		t.Error("fd.lport has no numeric extractor")
	} else if v, ok := d.Num(c, nil); !ok || v != 8080 {
		t.Errorf("fd.lport = %d %v, want 8080", v, ok)
	}
	c = scenarioAt(t, 40) // bind exit: 0.0.0.0:8080
	if got := multiValues(t, c, "fd.port"); strings.Join(got, " ") != "8080" {
		t.Errorf("fd.port of a listening socket = %q, want [8080]", got)
	}
	c = scenarioAt(t, 3) // read of a file
	if got := multiValues(t, c, "fd.ip"); len(got) != 0 {
		t.Errorf("fd.ip of a file = %q, want none", got)
	}
}

// TestFDTypes: fd.types lists each type among the thread's fds once;
// fd.types[N] is fd N's.
func TestFDTypes(t *testing.T) {
	c := scenarioAt(t, 3) // fds 0 (file), 3 (file), 5 (directory)
	if got := multiValues(t, c, "fd.types"); strings.Join(got, " ") != "file directory" {
		t.Errorf("fd.types = %q, want [file directory]", got)
	}
	for expr, want := range map[string]string{"fd.types": "(file,directory)", "fd.types[5]": "(directory)", "fd.types[0]": "(file)", "fd.types[42]": "<NA>"} {
		if got := fieldText(t, c, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}

// TestFDNameRaw: the path as opened, separators collapsed; without an fd,
// what a failed open named.
func TestFDNameRaw(t *testing.T) {
	for n, want := range map[int]string{2: "passwd", 3: "passwd", 8: "../bob/x", 26: ""} {
		if got := fieldText(t, scenarioAt(t, n), "fd.nameraw"); got != want {
			t.Errorf("event %d: fd.nameraw = %q, want %q", n, got, want)
		}
	}
	st := state.FromSection(fdSection())
	c := NewContext(st)
	var e event.Event
	rec := evtest.MustRecord(event.Legacy(), 1, 100, legacyType(t, "open", false), vals{"fd": 6, "name": "/a//b///c", "flags": 1 | fdUpperLayer})
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	st.Apply(&e)
	c.Observe(&e)
	for expr, want := range map[string]string{"fd.nameraw": "/a/b/c", "fd.name": "/a/b/c", "fd.is_upper_layer": "true", "fd.is_lower_layer": "false", "fd.ino": "0"} {
		if got := fieldText(t, c, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}

// TestFDFieldsAllocate: the fd extractors allocate nothing per event.
func TestFDFieldsAllocate(t *testing.T) {
	reg := Default()
	for n, exprs := range map[int][]string{
		42: {"fd.name", "fd.num", "fd.cip", "fd.sip", "fd.lip", "fd.rport", "fd.lproto", "fd.is_server", "fd.l4proto", "fd.directory", "fd.uid", "fd.ip"},
		3:  {"fd.name", "fd.directory", "fd.filename", "fd.typechar", "fd.type", "fd.containername", "fd.types"},
		49: {"fdlist.names", "fdlist.cips", "fdlist.sports"},
	} {
		c := scenarioAt(t, n)
		for _, expr := range exprs {
			d, a, _, err := reg.Match(expr)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, 256)
			if allocs := testing.AllocsPerRun(100, func() { buf, _ = d.Text(buf[:0], c, a) }); allocs != 0 {
				t.Errorf("%s allocates %.1f times per event", expr, allocs)
			}
		}
	}
}

func BenchmarkFDName(b *testing.B) {
	c := scenarioAt(b, 42)
	d, _ := Default().Lookup("fd.name")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = d.Text(buf[:0], c, nil)
	}
}

// TestInitialSockets: IPv4 connections of the initial state whose source
// port is a listening port are the server's side, their ends swapped
// (sysdig prints 10.0.0.7:5555->10.0.0.1:8080 for the connection the
// snapshot lists as 10.0.0.1:8080->10.0.0.7:5555); others are clients.
func TestInitialSockets(t *testing.T) {
	sec := fdSection()
	a, b := netip.MustParseAddr("10.0.0.1").As4(), netip.MustParseAddr("10.0.0.7").As4()
	sec.FDs[0].FDs = append(sec.FDs[0].FDs,
		scap.FD{FD: 20, Type: scap.FDIPv4ServSock, SrcIP: make([]byte, 4), SrcPort: 8080, L4Proto: state.L4TCP},
		scap.FD{FD: 21, Type: scap.FDIPv4Sock, SrcIP: a[:], SrcPort: 8080, DstIP: b[:], DstPort: 5555, L4Proto: state.L4TCP},
		scap.FD{FD: 22, Type: scap.FDIPv4Sock, SrcIP: a[:], SrcPort: 4000, DstIP: b[:], DstPort: 80, L4Proto: state.L4TCP})
	var recs [][]byte
	for i, fd := range []int64{21, 22} {
		recs = append(recs, evtest.MustRecord(event.Legacy(), uint64(i+1), 100, legacyType(t, "read", true), vals{"fd": fd, "size": 1}))
	}
	format := "*%evt.num %fd.name %fd.cip %fd.sport %fd.is_server %fd.connected %evt.args"
	want := []string{
		"1 10.0.0.7:5555->10.0.0.1:8080 10.0.0.7 8080 true true fd=21(<4t>10.0.0.7:5555->10.0.0.1:8080) size=1 ",
		"2 10.0.0.1:4000->10.0.0.7:80 10.0.0.1 80 false true fd=22(<4t>10.0.0.1:4000->10.0.0.7:80) size=1 ",
	}
	got := kestrelLines(t, sec, recs, format)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kestrel:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sd := sysdigLines(t, sec, recs, format); strings.Join(sd, "\n") != strings.Join(want, "\n") {
		t.Errorf("sysdig:\n%s\nwant:\n%s", strings.Join(sd, "\n"), strings.Join(want, "\n"))
	}
}
