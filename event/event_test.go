package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Event codes used below, from the current table.
const (
	etOpenX       Type = 3   // open exit: fd, name, flags, mode, dev, ino
	etConnectX    Type = 23  // connect exit: res, tuple, fd, addr
	etSetsockoptX Type = 45  // setsockopt exit: res, fd, level, optname, val (PT_DYN), optlen
	etPollE       Type = 6   // poll enter: fds (PT_FDLIST), timeout
	etProcinfo    Type = 234 // procinfo: cpu_usr, cpu_sys
	etPluginEvent Type = 322 // large payload: plugin_id, event_data
	etContainer   Type = 324 // large payload: json
)

func etRec(tb testing.TB, ts uint64, tid int64, t Type, values ...[]byte) []byte {
	tb.Helper()
	rec, err := AppendRecord(nil, ts, tid, t, values...)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

func etU16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func etU32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func etU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// etRaw builds a record by hand: header fields as given, u16 or u32
// lengths, values. It can lie in every field.
func etRaw(ts uint64, tid int64, length uint32, t Type, nparams uint32, lsz int, lens []uint32, values ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, ts)
	b = binary.LittleEndian.AppendUint64(b, uint64(tid))
	b = binary.LittleEndian.AppendUint32(b, length)
	b = binary.LittleEndian.AppendUint16(b, uint16(t))
	b = binary.LittleEndian.AppendUint32(b, nparams)
	for _, l := range lens {
		if lsz == 2 {
			b = binary.LittleEndian.AppendUint16(b, uint16(l))
		} else {
			b = binary.LittleEndian.AppendUint32(b, l)
		}
	}
	for _, v := range values {
		b = append(b, v...)
	}
	return b
}

func TestResetViewsRecord(t *testing.T) {
	vals := [][]byte{etU64(3), []byte("/etc/passwd\x00"), etU32(4097), etU32(0o644), etU32(0x803), etU64(1234)}
	rec := etRec(t, 1534527348514682170, 17497, etOpenX, vals...)
	var e Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	if e.TS() != 1534527348514682170 || e.TID() != 17497 || e.Type() != etOpenX || e.Len() != uint32(len(rec)) ||
		e.NumParams() != 6 || e.Name() != "open" || e.Info() != Current().Lookup(etOpenX) {
		t.Fatalf("ts %d tid %d type %d len %d np %d name %q", e.TS(), e.TID(), e.Type(), e.Len(), e.NumParams(), e.Name())
	}
	if !bytes.Equal(e.Raw(), rec) {
		t.Error("Raw is not the record")
	}
	names := []string{"fd", "name", "flags", "mode", "dev", "ino"}
	types := []ParamType{PTFD, PTFSPath, PTFlags32, PTUint32, PTUint32, PTUint64}
	for i, v := range vals {
		p := e.Param(i)
		if !bytes.Equal(p.Raw, v) || p.Info == nil || p.Info.Name != names[i] || p.Type() != types[i] {
			t.Errorf("param %d: %q %+v", i, p.Raw, p.Info)
		}
		if cap(p.Raw) != len(p.Raw) {
			t.Errorf("param %d: appending to its value would overwrite the next one", i)
		}
	}
	if p, ok := e.ParamByName("name"); !ok || p.Str() != "/etc/passwd" {
		t.Errorf("ParamByName(name) = %q, %v", p.Raw, ok)
	}
	if _, ok := e.ParamByName("nosuch"); ok {
		t.Error("ParamByName(nosuch) found something")
	}

	// The record may be followed by other bytes (padding, the next
	// record); only len bytes belong to it.
	long := append(bytes.Clone(rec), 0xde, 0xad, 0xbe, 0xef)
	if err := e.Reset(long); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Raw(), rec) || e.Param(5).Uint() != 1234 {
		t.Error("trailing bytes leaked into the event")
	}

	// Older producers write fewer parameters; ParamByName says which
	// are absent.
	short := etRec(t, 1, 2, etOpenX, vals[:4]...)
	if err := e.Reset(short); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.ParamByName("ino"); ok || e.NumParams() != 4 {
		t.Errorf("np %d; ino found in a 4-parameter record", e.NumParams())
	}
}

func TestResetSetsNothingElse(t *testing.T) {
	e := Event{Num: 7, CPU: 3, DumpFlags: 1}
	if err := e.Reset(etRec(t, 1, 1, etProcinfo, etU64(1), etU64(2))); err != nil {
		t.Fatal(err)
	}
	if e.Num != 7 || e.CPU != 3 || e.DumpFlags != 1 {
		t.Errorf("Reset changed Num/CPU/DumpFlags: %d %d %d", e.Num, e.CPU, e.DumpFlags)
	}
}

func TestResetLargePayload(t *testing.T) {
	json := bytes.Repeat([]byte("x"), 70000)
	rec := etRec(t, 5, -1, etContainer, json)
	if got := binary.LittleEndian.Uint32(rec[HeaderLen:]); got != 70000 {
		t.Fatalf("length field %d: large types have u32 lengths", got)
	}
	var e Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	if e.TID() != -1 || e.NumParams() != 1 || len(e.Param(0).Raw) != 70000 || e.Name() != "container" {
		t.Errorf("tid %d np %d len %d", e.TID(), e.NumParams(), len(e.Param(0).Raw))
	}
	rec = etRec(t, 5, 9, etPluginEvent, etU32(4), []byte("payload"))
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	if e.Param(0).Uint() != 4 || string(e.Param(1).Raw) != "payload" {
		t.Errorf("plugin event %q %q", e.Param(0).Raw, e.Param(1).Raw)
	}
}

func TestResetUnknownAndExtraParams(t *testing.T) {
	var e Event
	// A type beyond the table: no schema, u16 lengths.
	rec := etRaw(1, 2, HeaderLen+2*2+3, 1000, 2, 2, []uint32{1, 2}, []byte("abc"))
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	if e.Info() != nil || e.Name() != "" || e.NumParams() != 2 {
		t.Fatalf("info %v name %q np %d", e.Info(), e.Name(), e.NumParams())
	}
	if p := e.Param(1); p.Info != nil || p.Type() != PTNone || string(p.Raw) != "bc" {
		t.Errorf("param 1: %+v %q", p.Info, p.Raw)
	}
	if _, ok := e.ParamByName("fd"); ok {
		t.Error("ParamByName on an unknown type found something")
	}
	// A newer producer: more parameters than the schema describes.
	rec = etRec(t, 1, 2, etProcinfo, etU64(1), etU64(2), []byte("new"))
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	if p := e.Param(2); p.Info != nil || string(p.Raw) != "new" {
		t.Errorf("extra param: %+v %q", p.Info, p.Raw)
	}
}

func TestResetErrors(t *testing.T) {
	good := etRec(t, 1, 2, etOpenX, etU64(3), []byte("/x\x00"), etU32(1), etU32(0))
	set := func(off int, v []byte) []byte {
		r := bytes.Clone(good)
		copy(r[off:], v)
		return r
	}
	cases := []struct {
		name string
		rec  []byte
		want string
	}{
		{"empty", nil, "0 bytes, shorter than the 26-byte header"},
		{"short", good[:25], "25 bytes, shorter than the 26-byte header"},
		{"len below the header", set(16, etU32(25)), "record length 25 outside 26..53"},
		{"len beyond the bytes", set(16, etU32(54)), "record length 54 outside 26..53"},
		{"len huge", set(16, etU32(0xffffffff)), "record length 4294967295 outside 26..53"},
		{"nparams 33", set(22, etU32(33)), "type 3 has 33 parameters, more than 32"},
		{"nparams huge", set(22, etU32(0x80000000)), "2147483648 parameters, more than 32"},
		{"lengths overrun", set(22, etU32(14)), "type 3: 14 parameter lengths overrun the 53-byte record"},
		{"value overruns", set(HeaderLen+2, etU16(1000)), "type 3: parameter 1 (1000 bytes) overruns the 53-byte record"},
		{"last value overruns", set(HeaderLen+6, etU16(5)), "parameter 3 (5 bytes) overruns"},
		{"values overrun together", set(HeaderLen, etU16(10)), "parameter 3 (4 bytes) overruns"},
		{"large length overruns", etRaw(1, 1, HeaderLen+4+3, etContainer, 1, 4, []uint32{0xfffffff0}, []byte("abc")),
			"type 324: parameter 0 (4294967280 bytes) overruns the 33-byte record"},
		{"large lengths overrun", etRaw(1, 1, HeaderLen+6, etContainer, 2, 2, []uint32{0, 0, 0}), "type 324: 2 parameter lengths overrun the 32-byte record"},
		{"unknown type overruns", etRaw(1, 1, HeaderLen+2, 2000, 1, 2, []uint32{1}), "type 2000: parameter 0 (1 bytes) overruns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e Event
			if err := e.Reset(good); err != nil {
				t.Fatal(err)
			}
			err := e.Reset(c.rec)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if e.Raw() != nil || e.NumParams() != 0 || e.Info() != nil || e.Name() != "" {
				t.Error("a failed Reset left the previous record in view")
			}
		})
	}
}

func TestResetBoundaries(t *testing.T) {
	var e Event
	// 32 parameters is the most.
	vals := make([][]byte, MaxParams)
	for i := range vals {
		vals[i] = []byte{byte(i)}
	}
	if err := e.Reset(etRec(t, 1, 1, 293, vals...)); err != nil || e.NumParams() != 32 || e.Param(31).Raw[0] != 31 {
		t.Errorf("32 parameters: %v", err)
	}
	// No parameters, and values that stop short of len.
	if err := e.Reset(etRaw(1, 1, HeaderLen, etOpenX, 0, 2, nil)); err != nil || e.NumParams() != 0 {
		t.Errorf("no parameters: %v", err)
	}
	if err := e.Reset(etRaw(1, 1, HeaderLen+2+4, etOpenX, 1, 2, []uint32{1}, []byte("abcd"))); err != nil || string(e.Param(0).Raw) != "a" {
		t.Errorf("slack after the values: %v", err)
	}
	// Empty values are valid for any type.
	if err := e.Reset(etRec(t, 1, 1, etOpenX, nil, nil, nil, nil)); err != nil || !e.Param(0).Empty() || e.Param(0).Int() != 0 {
		t.Errorf("empty values: %v", err)
	}
}

func TestResetDoesNotAllocate(t *testing.T) {
	rec := etRec(t, 1, 2, etOpenX, etU64(3), []byte("/etc/passwd\x00"), etU32(1), etU32(0))
	var e Event
	if n := testing.AllocsPerRun(100, func() {
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		_ = e.Param(1).Bytes()
	}); n != 0 {
		t.Errorf("Reset allocates %v times", n)
	}
}

func TestParamPanicsOutOfRange(t *testing.T) {
	var e Event
	if err := e.Reset(etRec(t, 1, 2, etProcinfo, etU64(1))); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{-1, 1, 32, 33} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Param(%d) of 1 did not panic", i)
				}
			}()
			e.Param(i)
		}()
	}
}

func TestIntegers(t *testing.T) {
	cases := []struct {
		raw  []byte
		u    uint64
		i    int64
		name string
	}{
		{nil, 0, 0, "empty"},
		{[]byte{0xff}, 0xff, -1, "int8"},
		{[]byte{0x7f}, 0x7f, 127, "int8 positive"},
		{etU16(0xfffe), 0xfffe, -2, "int16"},
		{[]byte{1, 2, 3}, 0, 0, "3 bytes"},
		{etU32(0xffffff9c), 0xffffff9c, -100, "int32 (AT_FDCWD)"},
		{etU64(0xfffffffffffffffe), 0xfffffffffffffffe, -2, "int64 (-ENOENT)"},
		{etU64(1 << 40), 1 << 40, 1 << 40, "int64 positive"},
		{append(etU64(5), 9, 9), 5, 5, "longer than 8 bytes"},
		{[]byte{1, 2, 3, 4, 5}, 0, 0, "5 bytes"},
	}
	for _, c := range cases {
		p := Param{Raw: c.raw}
		if p.Uint() != c.u || p.Int() != c.i {
			t.Errorf("%s: Uint %#x Int %d, want %#x %d", c.name, p.Uint(), p.Int(), c.u, c.i)
		}
	}
}

func TestStrings(t *testing.T) {
	for raw, want := range map[string]string{
		"/etc/passwd\x00": "/etc/passwd",
		"no terminator":   "no terminator",
		"a\x00b\x00":      "a",
		"":                "",
		"\x00":            "",
	} {
		p := Param{Raw: []byte(raw)}
		if string(p.Bytes()) != want || p.Str() != want {
			t.Errorf("%q: Bytes %q Str %q", raw, p.Bytes(), p.Str())
		}
	}
}

func TestSockAddr(t *testing.T) {
	v4 := append([]byte{AFInet}, 93, 184, 216, 34)
	v4 = append(v4, etU16(443)...)
	v6 := append([]byte{AFInet6}, netip.MustParseAddr("2001:db8::3").AsSlice()...)
	v6 = append(v6, etU16(1234)...)
	cases := []struct {
		name   string
		raw    []byte
		family uint8
		addr   string
		port   uint16
		path   string
		ok     bool
	}{
		{"inet", v4, AFInet, "93.184.216.34", 443, "", true},
		{"inet6", v6, AFInet6, "2001:db8::3", 1234, "", true},
		{"unix", []byte("\x01/run/app.sock\x00"), AFUnix, "", 0, "/run/app.sock", true},
		{"unix without NUL", []byte("\x01/tmp/s"), AFUnix, "", 0, "/tmp/s", true},
		{"unix empty path", []byte{AFUnix}, AFUnix, "", 0, "", true},
		{"other family", []byte{16, 1, 2}, 16, "", 0, "", true},
		{"empty", nil, 0, "", 0, "", false},
		{"short inet", v4[:6], AFInet, "", 0, "", false},
		{"long inet", append(bytes.Clone(v4), 0), AFInet, "", 0, "", false},
		{"short inet6", v6[:18], AFInet6, "", 0, "", false},
	}
	for _, c := range cases {
		fam, addr, port, path, ok := Param{Raw: c.raw}.SockAddr()
		gotAddr := ""
		if addr.IsValid() {
			gotAddr = addr.String()
		}
		if fam != c.family || gotAddr != c.addr || port != c.port || string(path) != c.path || ok != c.ok {
			t.Errorf("%s: %d %q %d %q %v", c.name, fam, gotAddr, port, path, ok)
		}
	}
}

func TestSockTuple(t *testing.T) {
	v4 := []byte{AFInet, 10, 0, 0, 5}
	v4 = append(v4, etU16(40000)...)
	v4 = append(v4, 93, 184, 216, 34)
	v4 = append(v4, etU16(443)...)
	v6 := append([]byte{AFInet6}, netip.MustParseAddr("2001:db8::4").AsSlice()...)
	v6 = append(v6, etU16(54405)...)
	v6 = append(v6, netip.MustParseAddr("2001:db8::3").AsSlice()...)
	v6 = append(v6, etU16(1234)...)
	unix := append([]byte{AFUnix}, etU64(0)...)
	unix = append(unix, etU64(18446612133325178880)...)
	unix = append(unix, "/var/run/nscd/socket\x00"...)

	tup, ok := Param{Raw: v4}.SockTuple()
	if !ok || !reflect.DeepEqual(tup, Tuple{Family: AFInet, SrcIP: netip.MustParseAddr("10.0.0.5"), SrcPort: 40000,
		DstIP: netip.MustParseAddr("93.184.216.34"), DstPort: 443}) {
		t.Errorf("inet: %+v %v", tup, ok)
	}
	tup, ok = Param{Raw: v6}.SockTuple()
	if !ok || tup.SrcIP != netip.MustParseAddr("2001:db8::4") || tup.SrcPort != 54405 ||
		tup.DstIP != netip.MustParseAddr("2001:db8::3") || tup.DstPort != 1234 {
		t.Errorf("inet6: %+v %v", tup, ok)
	}
	tup, ok = Param{Raw: unix}.SockTuple()
	if !ok || tup.Family != AFUnix || tup.SrcID != 0 || tup.DstID != 18446612133325178880 || string(tup.Path) != "/var/run/nscd/socket" {
		t.Errorf("unix: %+v %v", tup, ok)
	}
	for name, raw := range map[string][]byte{
		"empty": nil, "short inet": v4[:12], "long inet": append(bytes.Clone(v4), 0),
		"short inet6": v6[:36], "short unix": unix[:16],
	} {
		if tup, ok := (Param{Raw: raw}).SockTuple(); ok {
			t.Errorf("%s: decoded %+v", name, tup)
		}
	}
	if tup, ok := (Param{Raw: []byte{42, 1, 2, 3}}).SockTuple(); !ok || tup.Family != 42 || tup.SrcIP.IsValid() {
		t.Errorf("other family: %+v %v", tup, ok)
	}
}

func TestFDList(t *testing.T) {
	raw := etU16(3)
	for _, fd := range []struct {
		fd    int64
		flags uint16
	}{{0, 1}, {-1, 0x20}, {1 << 40, 0xffff}} {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(fd.fd))
		raw = binary.LittleEndian.AppendUint16(raw, fd.flags)
	}
	p := Param{Raw: raw}
	if p.FDListLen() != 3 {
		t.Fatalf("FDListLen %d", p.FDListLen())
	}
	if fd, fl := p.FDListAt(1); fd != -1 || fl != 0x20 {
		t.Errorf("entry 1: %d %#x", fd, fl)
	}
	if fd, fl := p.FDListAt(2); fd != 1<<40 || fl != 0xffff {
		t.Errorf("entry 2: %d %#x", fd, fl)
	}
	// A count larger than the entries present is clamped.
	lying := bytes.Clone(raw[:2+10*2+5])
	binary.LittleEndian.PutUint16(lying, 60000)
	if n := (Param{Raw: lying}).FDListLen(); n != 2 {
		t.Errorf("lying count: FDListLen %d, want 2", n)
	}
	for _, r := range [][]byte{nil, {1}, etU16(0), etU16(5)} {
		if n := (Param{Raw: r}).FDListLen(); n != 0 {
			t.Errorf("%v: FDListLen %d", r, n)
		}
	}
}

func TestDyn(t *testing.T) {
	var e Event
	// setsockopt exit: val is PT_DYN over sockopt_dynamic_param.
	rec := etRec(t, 1, 1, etSetsockoptX, etU64(0), etU64(3), etU32(1), etU32(2), append([]byte{2}, etU32(65536)...), etU32(4))
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	val := e.Param(4)
	if val.Type() != PTDyn {
		t.Fatalf("val has type %d", val.Type())
	}
	dt, v, ok := val.Dyn()
	if !ok || dt.Type != PTUint32 || v.Uint() != 65536 || v.Info != nil {
		t.Errorf("Dyn: %+v %q %v", dt, v.Raw, ok)
	}
	for _, raw := range [][]byte{{5, 1}, {255}, nil} {
		if _, _, ok := (Param{Info: val.Info, Raw: raw}).Dyn(); ok {
			t.Errorf("%v: Dyn accepted", raw)
		}
	}
	if _, _, ok := e.Param(0).Dyn(); ok {
		t.Error("Dyn on a non-dynamic parameter")
	}
	if _, _, ok := (Param{Raw: []byte{0, 1}}).Dyn(); ok {
		t.Error("Dyn without a schema")
	}
	// Index 0 is a byte buffer, possibly empty.
	dt, v, ok = Param{Info: val.Info, Raw: []byte{0}}.Dyn()
	if !ok || dt.Type != PTByteBuf || len(v.Raw) != 0 {
		t.Errorf("empty bytebuf: %+v %q %v", dt, v.Raw, ok)
	}
}

func TestAppendRecord(t *testing.T) {
	rec, err := AppendRecord([]byte("prefix"), 1, -1, etProcinfo, etU64(1), etU64(2))
	if err != nil {
		t.Fatal(err)
	}
	want := etRaw(1, -1, HeaderLen+4+16, etProcinfo, 2, 2, []uint32{8, 8}, etU64(1), etU64(2))
	if !bytes.Equal(rec, append([]byte("prefix"), want...)) {
		t.Errorf("record %x\nwant %x", rec, want)
	}
	if _, err := AppendRecord(nil, 1, 1, etProcinfo, make([][]byte, 33)...); err == nil {
		t.Error("33 parameters accepted")
	}
	if _, err := AppendRecord(nil, 1, 1, etProcinfo, make([]byte, 65536)); err == nil {
		t.Error("a 65536-byte value with a u16 length accepted")
	}
	if _, err := AppendRecord(nil, 1, 1, etProcinfo, make([]byte, 65535)); err != nil {
		t.Errorf("65535-byte value: %v", err)
	}
	if _, err := AppendRecord(nil, 1, 1, etContainer, make([]byte, 65536)); err != nil {
		t.Errorf("large payload: %v", err)
	}
}

func TestSetTSAndTID(t *testing.T) {
	rec := etRec(t, 1, 2, etProcinfo, etU64(1), etU64(2))
	var e Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	e.SetTS(99)
	e.SetTID(-1)
	if e.TS() != 99 || e.TID() != -1 || binary.LittleEndian.Uint64(rec) != 99 {
		t.Errorf("ts %d tid %d", e.TS(), e.TID())
	}
}
