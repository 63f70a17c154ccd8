package event_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// Block types of the capture layout sysdig 0.29.3 reads (spec §5).
const (
	rdBlockSHB       = 0x0A0D0D0A
	rdBlockMI        = 0x201
	rdBlockPLV9      = 0x215
	rdBlockFDLV2     = 0x218
	rdBlockEVV2      = 0x216
	rdBlockEVV2Large = 0x221
)

// rdBlock appends one block: type, total length, body, padding to 4 bytes,
// total length again.
func rdBlock(dst []byte, btype uint32, body []byte) []byte {
	pad := (4 - len(body)%4) % 4
	total := uint32(8 + len(body) + pad + 4)
	dst = binary.LittleEndian.AppendUint32(dst, btype)
	dst = binary.LittleEndian.AppendUint32(dst, total)
	dst = append(dst, body...)
	dst = append(dst, make([]byte, pad)...)
	return binary.LittleEndian.AppendUint32(dst, total)
}

// rdS16 appends a state-block string: u16 length and bytes, no NUL.
func rdS16(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

// rdCapture builds a capture sysdig 0.29.3 reads, following the writer
// profile of the spec (§5): a 28-byte SHB, MI, a PL_V9 block with thread
// rdTID ("bash", cwd /home/alice) and the 5-byte old tail, its FDL_V2 block
// with fd 3 (a file, /etc/passwd), then one EV_V2 block per record (EV_V2_LARGE
// for large-payload types).
func rdCapture(recs [][]byte) []byte {
	le := binary.LittleEndian
	var shb []byte
	shb = le.AppendUint32(shb, 0x1A2B3C4D)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 2)
	shb = le.AppendUint64(shb, ^uint64(0))
	out := rdBlock(nil, rdBlockSHB, shb)

	var mi []byte
	mi = le.AppendUint32(mi, 2)       // num_cpus
	mi = le.AppendUint64(mi, 8<<30)   // memory
	mi = le.AppendUint64(mi, 4194304) // max_pid
	host := make([]byte, 128)
	copy(host, "kestrel-render")
	mi = append(mi, host...)
	mi = append(mi, make([]byte, 32)...) // boot_ts_epoch, flags, reserved3, reserved4
	out = rdBlock(out, rdBlockMI, mi)

	var th []byte
	for _, v := range []uint64{rdTID, rdTID, 1, rdTID, rdTID} { // tid, pid, ptid, sid, vpgid
		th = le.AppendUint64(th, v)
	}
	th = rdS16(th, "bash")          // comm
	th = rdS16(th, "bash")          // exe
	th = rdS16(th, "/usr/bin/bash") // exepath
	th = rdS16(th, "-i\x00")        // args
	th = rdS16(th, "/home/alice")   // cwd
	th = le.AppendUint64(th, 1024)  // fdlimit
	th = le.AppendUint32(th, 0)     // flags
	th = le.AppendUint32(th, 1000)  // uid
	th = le.AppendUint32(th, 1000)  // gid
	th = le.AppendUint32(th, 1000)  // vmsize_kb
	th = le.AppendUint32(th, 500)   // vmrss_kb
	th = le.AppendUint32(th, 0)     // vmswap_kb
	th = le.AppendUint64(th, 0)     // pfmajor
	th = le.AppendUint64(th, 0)     // pfminor
	th = rdS16(th, "")              // env
	th = le.AppendUint64(th, rdTID) // vtid
	th = le.AppendUint64(th, rdTID) // vpid
	th = rdS16(th, "")              // cgroups
	th = rdS16(th, "/")             // root
	th = le.AppendUint32(th, 1000)  // loginuid
	th = append(th, 0)              // exe_writable
	pl := le.AppendUint32(nil, uint32(4+len(th)))
	out = rdBlock(out, rdBlockPLV9, append(pl, th...))

	var fe []byte
	fe = le.AppendUint64(fe, 3)   // fd
	fe = le.AppendUint64(fe, 7)   // ino
	fe = append(fe, 16)           // FILE_V2
	fe = le.AppendUint32(fe, 1)   // PPM_O_RDONLY
	fe = rdS16(fe, "/etc/passwd") // name
	fe = le.AppendUint32(fe, 0)   // dev
	fdl := le.AppendUint64(nil, rdTID)
	fdl = le.AppendUint32(fdl, uint32(4+len(fe)))
	out = rdBlock(out, rdBlockFDLV2, append(fdl, fe...))

	for _, rec := range recs {
		bt := uint32(rdBlockEVV2)
		if info := event.Current().Lookup(event.Type(le.Uint16(rec[20:]))); info != nil && info.Large() {
			bt = rdBlockEVV2Large
		}
		out = rdBlock(out, bt, append([]byte{0, 0}, rec...)) // cpu 0
	}
	return out
}

// rdSysdig runs sysdig on path with the output format fmt and returns its
// lines by the event number that starts each of them. Lines are split at
// '\n' only; the rest of a line after "NUM " is the value.
func rdSysdig(tb testing.TB, sysdig, path, format string, internal bool) map[uint64]string {
	tb.Helper()
	args := []string{"-r", path, "-p", "%evt.num " + format}
	if internal {
		args = append([]string{"-D"}, args...)
	}
	cmd := exec.Command(sysdig, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("sysdig %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	lines := map[uint64]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if line == "" {
			continue
		}
		num, rest, ok := strings.Cut(line, " ")
		n, err := strconv.ParseUint(num, 10, 64)
		if !ok || err != nil {
			tb.Fatalf("sysdig line without an event number: %q", line)
		}
		lines[n] = rest
	}
	return lines
}

// rdNormalize turns sysdig's %evt.args for e into what Kestrel prints
// without a Resolver, by removing exactly the state-resolved text:
//
//   - the "(...)" after the value of an FD, PID, UID or GID parameter, of a
//     PT_DYN parameter that holds an FD, and of a relative FSPATH or
//     FSRELPATH (an empty path included);
//   - the fd type character of each PT_FDLIST entry, which becomes '?'.
//
// Kestrel's own rendering of each value must be a prefix of sysdig's for
// the text after it to be removed; anything else is left as sysdig printed
// it, so that a difference in the raw values still shows.
func rdNormalize(sysdig string, e *event.Event) string {
	t := e.Type()
	if t <= 1 {
		return sysdig
	}
	info := event.Legacy().Lookup(t)
	if !info.Known() {
		info = event.Current().Lookup(t)
	}
	n := min(e.NumParams(), len(info.Params))
	var out strings.Builder
	s := sysdig
	for i := 0; i < n; i++ {
		pi := &info.Params[i]
		prefix := pi.Name + "="
		if !strings.HasPrefix(s, prefix) {
			break
		}
		out.WriteString(prefix)
		s = s[len(prefix):]
		if pi.Type == event.PTFDList {
			v, rest, ok := rdNormalizeFDList(s, e.Param(i).FDListLen())
			if !ok {
				break
			}
			out.WriteString(v)
			s = rest
		} else {
			k := string(event.AppendValue(nil, e, i, pi, nil))
			if !strings.HasPrefix(s, k) {
				break
			}
			out.WriteString(k)
			s = s[len(k):]
			if strings.HasPrefix(s, "(") && rdResolvable(e, i, pi) {
				end := -1
				if i == n-1 {
					if strings.HasSuffix(s, ") ") {
						end = len(s) - 2
					}
				} else {
					end = strings.Index(s, ") "+info.Params[i+1].Name+"=")
				}
				if end < 0 {
					break
				}
				s = s[end+1:]
			}
		}
		if !strings.HasPrefix(s, " ") {
			break
		}
		out.WriteByte(' ')
		s = s[1:]
	}
	out.WriteString(s)
	return out.String()
}

// rdResolvable reports whether sysdig may print state-resolved text after
// parameter i.
func rdResolvable(e *event.Event, i int, pi *event.ParamInfo) bool {
	p := e.Param(i)
	switch pi.Type {
	case event.PTFD, event.PTPID, event.PTUID, event.PTGID:
		return true
	case event.PTFSPath, event.PTFSRelPath:
		b := p.Bytes()
		return len(p.Raw) > 0 && (len(b) == 0 || b[0] != '/')
	case event.PTDyn:
		dt, _, ok := p.Dyn()
		return ok && dt.Type == event.PTFD
	}
	return false
}

// rdNormalizeFDList rewrites the n entries "fd:Tflags" at the start of s
// with '?' as type character, and returns the rest of s.
func rdNormalizeFDList(s string, n int) (string, string, bool) {
	var out strings.Builder
	for j := 0; j < n; j++ {
		if j > 0 {
			if !strings.HasPrefix(s, " ") {
				return "", "", false
			}
			out.WriteByte(' ')
			s = s[1:]
		}
		colon := strings.IndexByte(s, ':')
		if colon < 1 || len(s) < colon+2 {
			return "", "", false
		}
		out.WriteString(s[:colon+1])
		out.WriteByte('?')
		s = s[colon+2:]
		k := 0
		for k < len(s) && strings.IndexByte("0123456789abcdef", s[k]) >= 0 {
			k++
		}
		out.WriteString(s[:k])
		s = s[k:]
	}
	return out.String(), s, true
}

// TestRenderMatchesSysdig writes the rendering cases into a capture, has
// sysdig 0.29.3 print it, and checks that sysdig prints what the cases
// record and that, its state-resolved text removed, it equals Kestrel's
// rendering. Deliberate choices are not compared.
func TestRenderMatchesSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	recs := make([][]byte, len(rdCases))
	for i := range rdCases {
		recs[i] = rdRecord(t, i, &rdCases[i])
	}
	path := filepath.Join(t.TempDir(), "render.scap")
	if err := os.WriteFile(path, rdCapture(recs), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := rdSysdig(t, sysdig, path, "%evt.args", false)
	dump := os.Getenv("KESTREL_RENDER_DUMP") != ""
	var ev event.Event
	for i := range rdCases {
		c := &rdCases[i]
		got, ok := lines[uint64(i+1)]
		if !ok {
			t.Errorf("case %q: sysdig printed no event %d", c.name, i+1)
			continue
		}
		if err := ev.Reset(recs[i]); err != nil {
			t.Fatal(err)
		}
		kestrel := string(event.AppendArgs(nil, &ev, nil))
		norm := rdNormalize(got, &ev)
		if dump {
			fmt.Printf("RD\t%d\t%s\t%s\n", i, strconv.Quote(norm), strconv.Quote(got))
		}
		if c.choice != "" {
			t.Logf("case %q (deliberate: %s): sysdig printed %q", c.name, c.choice, got)
			continue
		}
		want := c.sysdig
		if want == "" {
			want = c.want
		}
		if got != want {
			t.Errorf("case %q: sysdig printed\n%q\nthe case records\n%q", c.name, got, want)
		}
		if norm != kestrel {
			t.Errorf("case %q: sysdig (normalised)\n%q\nKestrel\n%q", c.name, norm, kestrel)
		}
	}
	if len(lines) != len(rdCases) {
		t.Errorf("sysdig printed %d events for %d cases", len(lines), len(rdCases))
	}
}

// TestSyscallIDMatchesSysdig checks PT_SYSCALLID names against sysdig's
// %evt.arg.ID, which prints the name alone (or the whole value when there
// is no name). Generic events, the only ones with this type, print no
// evt.args.
func TestSyscallIDMatchesSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	ids := []uint16{0, 1, 5, 283, 292, 300, 305, 313, 328, 329, 330, 65535}
	recs := make([][]byte, len(ids))
	for i, id := range ids {
		rec, err := event.AppendRecord(nil, rdTS0+uint64(i), rdTID, rdGenericX, rdU16(id))
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = rec
	}
	path := filepath.Join(t.TempDir(), "syscallid.scap")
	if err := os.WriteFile(path, rdCapture(recs), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := rdSysdig(t, sysdig, path, "%evt.arg.ID", false)
	var ev event.Event
	for i, id := range ids {
		if err := ev.Reset(recs[i]); err != nil {
			t.Fatal(err)
		}
		pi := &event.Legacy().Lookup(rdGenericX).Params[0]
		k := string(event.AppendValue(nil, &ev, 0, pi, nil))
		if num, name, ok := strings.Cut(k, "("); ok {
			if num != strconv.Itoa(int(id)) {
				t.Errorf("id %d: Kestrel printed %q", id, k)
			}
			k = strings.TrimSuffix(name, ")")
		}
		if got := lines[uint64(i+1)]; got != k {
			t.Errorf("id %d: sysdig printed %q, Kestrel %q", id, got, k)
		}
	}
}

// TestRenderMatchesSysdigOnCaptures compares Kestrel's %evt.num %evt.args
// with sysdig's (-D: internal events included) on the shared captures,
// event by event, after removing sysdig's state-resolved text. sysdig 0.29.3
// cannot open curl_google_comments.scap (SHB options); its events are those
// of curl_google.scap, whose output stands in for it.
func TestRenderMatchesSysdigOnCaptures(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	for _, path := range testenv.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ref := path
			if filepath.Base(path) == "curl_google_comments.scap" {
				ref = filepath.Join(filepath.Dir(path), "curl_google.scap")
			}
			lines := rdSysdig(t, sysdig, ref, "%evt.args", true)
			n, diffs := 0, 0
			rdEachEvent(t, path, func(ev *event.Event) {
				n++
				got, ok := lines[ev.Num]
				if !ok {
					t.Errorf("event %d: sysdig printed no such event", ev.Num)
					return
				}
				kestrel := string(event.AppendArgs(nil, ev, nil))
				if norm := rdNormalize(got, ev); norm != kestrel {
					if diffs++; diffs <= 20 {
						t.Errorf("event %d (%s):\nsysdig  %q\nnormal  %q\nKestrel %q", ev.Num, ev.Name(), got, norm, kestrel)
					}
				}
			})
			if n != len(lines) {
				t.Errorf("Kestrel read %d events, sysdig printed %d", n, len(lines))
			}
			if diffs > 0 {
				t.Errorf("%d of %d events differ", diffs, n)
			}
		})
	}
}

// rdEachEvent calls f for every event of the capture at path.
func rdEachEvent(tb testing.TB, path string, f func(*event.Event)) {
	tb.Helper()
	file, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer file.Close()
	r, err := scap.NewReader(file, scap.ReaderOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var ev event.Event
	for {
		if err := r.Next(&ev); err == io.EOF {
			return
		} else if err != nil {
			tb.Fatal(err)
		}
		f(&ev)
	}
}

// rdCaptureRecords returns copies of the records of all shared captures.
func rdCaptureRecords(tb testing.TB) [][]byte {
	tb.Helper()
	var recs [][]byte
	for _, path := range testenv.Captures(tb) {
		rdEachEvent(tb, path, func(ev *event.Event) {
			recs = append(recs, bytes.Clone(ev.Raw()))
		})
	}
	if len(recs) == 0 {
		tb.Fatal("no events in the shared captures")
	}
	return recs
}

// TestAppendArgsDoesNotAllocate renders every event of the shared captures
// and every rendering case into a reused buffer.
func TestAppendArgsDoesNotAllocate(t *testing.T) {
	recs := rdCaptureRecords(t)
	for i := range rdCases {
		recs = append(recs, rdRecord(t, i, &rdCases[i]))
	}
	var ev event.Event
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(5, func() {
		for _, rec := range recs {
			if err := ev.Reset(rec); err != nil {
				t.Fatal(err)
			}
			buf = event.AppendArgs(buf[:0], &ev, nil)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run over %d events", allocs, len(recs))
	}
}

// BenchmarkAppendArgs renders the arguments of every event of the shared
// captures; one op is one event.
func BenchmarkAppendArgs(b *testing.B) {
	recs := rdCaptureRecords(b)
	var ev event.Event
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := ev.Reset(recs[i]); err != nil {
			b.Fatal(err)
		}
		buf = event.AppendArgs(buf[:0], &ev, nil)
		if i++; i == len(recs) {
			i = 0
		}
	}
}
