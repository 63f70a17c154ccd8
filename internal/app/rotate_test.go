package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// rotateFormat shows what a reader makes of each event: its time and
// thread, and the process and fd the model resolves for it.
const rotateFormat = "*%evt.rawtime %thread.tid %evt.dir %evt.type %proc.name %proc.exepath %proc.pname %fd.num %fd.typechar %fd.name %evt.info"

// rotateT0 is the time of the first event of the replayed stream: a whole
// second, so that periods of -G start on whole seconds as sysdig counts
// them.
const rotateT0 = 1700000000 * uint64(time.Second)

// rotateStep is the time between replayed events.
const rotateStep = 10 * uint64(time.Millisecond)

// replayedStream returns the section and the events of a shared capture
// (curl_google.scap: processes, files, network), retimed to start at
// rotateT0 and follow each other by rotateStep, which spreads its 1400
// events over 14 seconds. The exit of an enter, and the scheduler and
// internal events between the two, keep the enter's second, as rotation
// keeps them in the enter's file.
func replayedStream(t *testing.T) (*scap.Section, []*event.Event) {
	t.Helper()
	path := filepath.Join(testenv.SharedDir(t), "testdata", "scap", "curl_google.scap")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := scap.NewReader(f, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var evs []*event.Event
	var ev event.Event
	var open *event.Event // the latest syscall event, when an enter
	ts := rotateT0
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		held := open != nil && holds(open, &ev)
		if len(evs) > 0 {
			next := ts + rotateStep
			if next/uint64(time.Second) != ts/uint64(time.Second) && held {
				next = ts + 1
			}
			ts = next
		}
		rec := slices.Clone(ev.Raw())
		binary.LittleEndian.PutUint64(rec, ts)
		e := &event.Event{}
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		e.Num, e.CPU, e.DumpFlags = ev.Num, ev.CPU, ev.DumpFlags
		evs = append(evs, e)
		if info := e.Info(); info != nil && info.Category.Class() != event.CatScheduler && info.Category.Class() != event.CatInternal {
			open = nil
			if e.Type().IsEnter() {
				open = e
			}
		}
	}
	if len(evs) < 1000 {
		t.Fatalf("%d events in %s", len(evs), path)
	}
	return rd.Section(), evs
}

// holds reports whether ev goes with the open syscall enter event.
func holds(open, ev *event.Event) bool {
	info := ev.Info()
	if info == nil {
		return true
	}
	if c := info.Category.Class(); c == event.CatScheduler || c == event.CatInternal {
		return true
	}
	return ev.Type() == open.Type()+1 && ev.TID() == open.TID()
}

// writeWhole writes the stream to one capture, as capture -w without
// rotation does.
func writeWhole(t *testing.T, path string, sec *scap.Section, evs []*event.Event) {
	t.Helper()
	writeThrough(t, sec, evs, nil, func(*state.State) (pipeline.EventWriter, error) {
		return scapfile.Create(path, sec, scap.WriterOptions{})
	})
}

// writeRotated writes the stream through a rotating sink.
func writeRotated(t *testing.T, path string, sec *scap.Section, evs []*event.Event, o RotateOptions) {
	t.Helper()
	writeThrough(t, sec, evs, nil, func(st *state.State) (pipeline.EventWriter, error) {
		return newRotatingSink(path, sec, scap.WriterOptions{}, st, o, time.Unix(0, int64(rotateT0)))
	})
}

// writeThrough runs the stream through a pipeline whose writer open
// returns, filtered by prog (nil: every event).
func writeThrough(t *testing.T, sec *scap.Section, evs []*event.Event, prog *filter.Program, open func(*state.State) (pipeline.EventWriter, error)) {
	t.Helper()
	p := pipeline.New(&sliceSource{evs: evs}, sec, pipeline.Options{})
	w, err := open(p.State())
	if err != nil {
		t.Fatal(err)
	}
	p.Add(pipeline.NewWriter(w, p.Context(), prog))
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// sliceSource gives the events of a slice, then io.EOF.
type sliceSource struct {
	evs []*event.Event
	n   int
}

func (s *sliceSource) Next(context.Context) (*event.Event, error) {
	if s.n == len(s.evs) {
		return nil, io.EOF
	}
	s.n++
	return s.evs[s.n-1], nil
}

func (s *sliceSource) Stats() driver.Stats { return driver.Stats{Events: uint64(s.n)} }
func (s *sliceSource) Close() error        { return nil }

// readRotated reads a capture with Kestrel alone, internal events
// included: the replayed stream starts with two seconds of them.
func readRotated(t *testing.T, path string) []string {
	t.Helper()
	var out bytes.Buffer
	if err := Read(context.Background(), ReadOptions{Path: path, Format: rotateFormat, Internal: true}, &out, io.Discard); err != nil {
		t.Fatalf("kestrel read %s: %v", path, err)
	}
	return lines(out.String())
}

// sysdigLines reads a capture with sysdig alone.
func sysdigLines(t *testing.T, sysdig string, path string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(sysdig, append([]string{"-r", path, "-p", rotateFormat}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("sysdig -r %s: %v\n%s", path, err, errOut.String())
	}
	return lines(out.String())
}

// lines splits a reader's output. A capture's fd lists do not say which
// end of a connection an IPv6 socket is, so that readers, sysdig as
// Kestrel, show no protocol in its type ("<6>" for "<6t>" or "<6u>") when
// it comes from the list a file starts with: the protocol is left out of
// every line for the comparisons.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.NewReplacer("(<6t>", "(<6>", "(<6u>", "(<6>").Replace(s)
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// dirNames lists the files of dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// numbered returns base followed by the numbers from..to-1, each padded
// to width digits.
func numbered(base string, from, to, width int) []string {
	var names []string
	for i := from; i < to; i++ {
		names = append(names, fmt.Sprintf("%s%0*d", base, width, i))
	}
	return names
}

// sizeLimit returns a -C limit (in bytes) that splits the stream into
// about five files: the section the files start with plus a fifth of the
// events' bytes in the whole capture.
func sizeLimit(t *testing.T, whole string, sec *scap.Section) int64 {
	t.Helper()
	st, err := os.Stat(whole)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := scap.NewWriter(&buf, state.FromSection(sec).Section(sec), scap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	head := int64(buf.Len())
	return head + (st.Size()-head)/5
}

// TestRotateBySize splits the stream by size and checks the names (the
// -w name and a number from 0, unpadded without -W), the sizes (past the
// limit by at most the last event pair), and that each file, read on its
// own by Kestrel and by sysdig, shows its events exactly as the whole
// capture does.
func TestRotateBySize(t *testing.T) {
	sec, evs := replayedStream(t)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.scap")
	writeWhole(t, whole, sec, evs)
	limit := sizeLimit(t, whole, sec)
	t.Logf("limit %d", limit)
	out := filepath.Join(dir, "split")
	os.Mkdir(out, 0o755)
	writeRotated(t, filepath.Join(out, "t.scap"), sec, evs, RotateOptions{Size: limit})
	names := dirNames(t, out)
	slices.SortFunc(names, func(a, b string) int { return len(a) - len(b) })
	if n := len(names); n < 4 || n > 7 || !slices.Equal(names, numbered("t.scap", 0, n, 0)) {
		t.Fatalf("files %q, want t.scap0 to t.scapN, N from 3 to 6", names)
	}
	for i, name := range names {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if last := i == len(names)-1; (!last && st.Size() <= limit) || st.Size() > limit+4096 {
			t.Errorf("%s: %d bytes, limit %d", name, st.Size(), limit)
		}
	}
	compareSplit(t, whole, out, names)
}

// compareSplit checks that the files of a split capture, read one by one,
// show together exactly the lines of the whole capture, with Kestrel and
// with sysdig.
func compareSplit(t *testing.T, whole, dir string, names []string) {
	t.Helper()
	check := func(tool string, read func(string) []string) {
		want := read(whole)
		var got []string
		for _, name := range names {
			got = append(got, read(filepath.Join(dir, name))...)
		}
		compareLines(t, tool+" on the split files", got, want)
	}
	check("kestrel", func(p string) []string { return readRotated(t, p) })
	sysdig := testenv.Tool(t, "sysdig")
	check("sysdig", func(p string) []string { return sysdigLines(t, sysdig, p) })
}

// TestRotateRing splits the stream by size with -W: 3 keeps the files
// t.scap0 to t.scap2, each holding the latest part of its number modulo
// 3; 10 pads the numbers to two digits, as sysdig does.
func TestRotateRing(t *testing.T) {
	sec, evs := replayedStream(t)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.scap")
	writeWhole(t, whole, sec, evs)
	limit := sizeLimit(t, whole, sec)
	all := filepath.Join(dir, "all")
	os.Mkdir(all, 0o755)
	writeRotated(t, filepath.Join(all, "t.scap"), sec, evs, RotateOptions{Size: limit})
	parts := numbered("t.scap", 0, len(dirNames(t, all)), 0)
	if len(parts) < 4 {
		t.Fatalf("only %d parts", len(parts))
	}

	ring := filepath.Join(dir, "ring")
	os.Mkdir(ring, 0o755)
	writeRotated(t, filepath.Join(ring, "t.scap"), sec, evs, RotateOptions{Size: limit, Files: 3})
	if got := dirNames(t, ring); !slices.Equal(got, numbered("t.scap", 0, 3, 0)) {
		t.Fatalf("files %q, want t.scap0 to t.scap2", got)
	}
	for i := range 3 {
		latest := i
		for latest+3 < len(parts) {
			latest += 3
		}
		got := readRotated(t, filepath.Join(ring, fmt.Sprintf("t.scap%d", i)))
		compareLines(t, fmt.Sprintf("t.scap%d against part %d", i, latest), got, readRotated(t, filepath.Join(all, parts[latest])))
	}

	padded := filepath.Join(dir, "padded")
	os.Mkdir(padded, 0o755)
	writeRotated(t, filepath.Join(padded, "t.scap"), sec, evs, RotateOptions{Size: limit, Files: 10})
	if got := dirNames(t, padded); !slices.Equal(got, numbered("t.scap", 0, len(parts), 2)) {
		t.Errorf("files %q, want t.scap00 to t.scap%02d", got, len(parts)-1)
	}
}

// TestRotateBySecondsSysdig splits the 14-second stream with -G 1 -W 4
// and checks that the files are those sysdig makes of the same events
// (sysdig -r WHOLE -w t.scap -G 1 -W 4, which times periods by the
// events): the same names holding the same events. sysdig's own files
// lose the processes of the capture (its reader writes its model only
// for live captures), so the processes and files sysdig shows in ours are
// compared with what it shows in the whole capture.
func TestRotateBySecondsSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	sec, evs := replayedStream(t)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.scap")
	writeWhole(t, whole, sec, evs)
	ours, theirs := filepath.Join(dir, "ours"), filepath.Join(dir, "theirs")
	os.Mkdir(ours, 0o755)
	os.Mkdir(theirs, 0o755)
	writeRotated(t, filepath.Join(ours, "t.scap"), sec, evs, RotateOptions{Seconds: 1, Files: 4})
	cmd := exec.Command(sysdig, "-r", whole, "-w", filepath.Join(theirs, "t.scap"), "-G", "1", "-W", "4")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sysdig -G: %v\n%s", err, out)
	}
	names := dirNames(t, ours)
	if want := dirNames(t, theirs); !slices.Equal(names, want) || len(names) != 4 {
		t.Fatalf("files %q, sysdig made %q", names, want)
	}
	all := sysdigLines(t, sysdig, whole)
	at := map[string]int{} // line of each event in the whole capture
	for i, l := range all {
		at[eventID(l)] = i
	}
	for _, name := range names {
		got := sysdigLines(t, sysdig, filepath.Join(ours, name))
		want := sysdigLines(t, sysdig, filepath.Join(theirs, name))
		compareLines(t, "events of "+name, mapLines(got, eventID), mapLines(want, eventID))
		if len(got) == 0 {
			continue
		}
		i, ok := at[eventID(got[0])]
		if !ok || i+len(got) > len(all) {
			t.Errorf("%s: first event %q not in the whole capture", name, got[0])
			continue
		}
		compareLines(t, "sysdig on "+name+" and on the whole capture", got, all[i:i+len(got)])
	}
}

// eventID returns the time, thread, direction and type of a line of
// rotateFormat.
func eventID(line string) string {
	return strings.Join(strings.Fields(line)[:4], " ")
}

func mapLines(l []string, fn func(string) string) []string {
	out := make([]string, len(l))
	for i := range l {
		out[i] = fn(l[i])
	}
	return out
}

// TestRotateTimeNames splits the stream with -G 1 -W 3 and a time
// format in the name: the three files left are named after the start of
// their periods (the time of their first event) and hold the last events.
func TestRotateTimeNames(t *testing.T) {
	sec, evs := replayedStream(t)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.scap")
	writeWhole(t, whole, sec, evs)
	out := filepath.Join(dir, "split")
	os.Mkdir(out, 0o755)
	writeRotated(t, filepath.Join(out, "t-%Y%m%d-%H%M%S.scap"), sec, evs, RotateOptions{Seconds: 1, Files: 3, Location: time.UTC})
	names := dirNames(t, out)
	if len(names) != 3 {
		t.Fatalf("files %q, want 3", names)
	}
	var got []string
	for _, name := range names {
		l := readRotated(t, filepath.Join(out, name))
		first, last := rawTime(t, l[0]), rawTime(t, l[len(l)-1])
		if want := first.UTC().Format("t-20060102-150405.scap"); name != want {
			t.Errorf("%s starts at %v, want the name %s", name, first, want)
		}
		if first.Nanosecond() > int(2*rotateStep) || last.Sub(first) >= time.Second {
			t.Errorf("%s: events from %v to %v, not one period of a second", name, first, last)
		}
		got = append(got, l...)
	}
	all := readRotated(t, whole)
	compareLines(t, "the last three periods", got, all[len(all)-len(got):])
	if end := rawTime(t, all[len(all)-1]); end.Sub(rawTime(t, got[0])) >= 3*time.Second {
		t.Errorf("the files start at %v, more than three periods before the end %v", rawTime(t, got[0]), end)
	}
}

// rawTime returns the time of a line that starts with %evt.rawtime.
func rawTime(t *testing.T, line string) time.Time {
	t.Helper()
	line = strings.TrimPrefix(line, "*")
	end := strings.IndexFunc(line, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(line)
	}
	ns, err := strconv.ParseInt(line[:end], 10, 64)
	if err != nil {
		t.Fatalf("no time in %q", line)
	}
	return time.Unix(0, ns)
}

// TestRotateFiltered splits a filtered capture: the events the filter
// leaves out but that change the model are kept as state-only, so that
// each file still resolves the processes and files of its events.
func TestRotateFiltered(t *testing.T) {
	sec, evs := replayedStream(t)
	dir := t.TempDir()
	const flt = "evt.type in (connect, sendto, recvfrom, write, read)"
	prog, err := compileFilter(flt, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(dir, "whole.scap")
	writeThrough(t, sec, evs, prog, func(*state.State) (pipeline.EventWriter, error) {
		return scapfile.Create(whole, sec, scap.WriterOptions{})
	})
	out := filepath.Join(dir, "split")
	os.Mkdir(out, 0o755)
	writeThrough(t, sec, evs, prog, func(st *state.State) (pipeline.EventWriter, error) {
		return newRotatingSink(filepath.Join(out, "t.scap"), sec, scap.WriterOptions{}, st, RotateOptions{Seconds: 2}, time.Unix(0, int64(rotateT0)))
	})
	names := dirNames(t, out)
	slices.SortFunc(names, func(a, b string) int { return len(a) - len(b) })
	if len(names) < 3 {
		t.Fatalf("files %q, want 3 or more", names)
	}
	compareSplit(t, whole, out, names)
}

// TestRotateCheck checks the option combinations refused.
func TestRotateCheck(t *testing.T) {
	for _, c := range []struct {
		o     RotateOptions
		write string
		ok    bool
	}{
		{RotateOptions{}, "", true},
		{RotateOptions{Size: 1}, "t.scap", true},
		{RotateOptions{Seconds: 1, Files: 3}, "t-%H%M%S.scap", true},
		{RotateOptions{Size: 1}, "", false},
		{RotateOptions{Files: 3}, "t.scap", false},
		{RotateOptions{Seconds: -1}, "t.scap", false},
		{RotateOptions{Seconds: 1}, "t-%Q.scap", false},
		{RotateOptions{Seconds: 1}, "t-%", false},
		{RotateOptions{Size: 1}, "t-%Q.scap", true}, // no time format without -G
	} {
		err := c.o.Check(c.write)
		if (err == nil) != c.ok {
			t.Errorf("%+v %q: error %v, want ok=%v", c.o, c.write, err, c.ok)
		}
	}
}

// TestRotateCompressed splits a gzipped capture by size: the size is that
// of the compressed files, each file is a whole gzip stream, and the files
// together show the whole capture's events.
func TestRotateCompressed(t *testing.T) {
	sec, once := replayedStream(t)
	var evs []*event.Event
	for range 8 { // enough to fill the compressor's buffers several times
		evs = append(evs, once...)
	}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.scap")
	writeWhole(t, whole, sec, evs)
	out := filepath.Join(dir, "split")
	os.Mkdir(out, 0o755)
	const limit = 40000
	writeThrough(t, sec, evs, nil, func(st *state.State) (pipeline.EventWriter, error) {
		return newRotatingSink(filepath.Join(out, "t.scap.gz"), sec, scap.WriterOptions{Compress: true}, st, RotateOptions{Size: limit}, time.Unix(0, int64(rotateT0)))
	})
	names := dirNames(t, out)
	slices.SortFunc(names, func(a, b string) int { return len(a) - len(b) })
	if n := len(names); n < 2 || !slices.Equal(names, numbered("t.scap.gz", 0, n, 0)) {
		t.Fatalf("files %q, want t.scap.gz0 to t.scap.gzN", names)
	}
	for i, name := range names[:len(names)-1] {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		// The compressor holds back up to a block (64 KiB of input)
		// before the file sees it.
		if st.Size() <= limit/2 || st.Size() > 4*limit {
			t.Errorf("file %d: %d compressed bytes, limit %d", i, st.Size(), limit)
		}
	}
	compareSplit(t, whole, out, names)
}
