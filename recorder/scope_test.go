package recorder

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
)

// eventType returns the newest event code of the current table for a
// syscall, an enter or an exit.
func eventType(t testing.TB, name string, enter bool) event.Type {
	t.Helper()
	if !enter {
		return exitType(t, name)
	}
	s := event.Current()
	found := event.Type(0)
	for i := range s.Events {
		info, ty := &s.Events[i], event.Type(i)
		if info.Name == name && ty.IsEnter() && info.Known() && info.Flags&event.FlagOldVersion == 0 {
			found = ty
		}
	}
	if found == 0 {
		t.Fatalf("no enter event for %s", name)
	}
	return found
}

// scopeFormat prints what a scoped capture shows, with the thread.
const scopeFormat = "*%evt.dir|%evt.rawtime|%evt.type|%proc.name|%fd.name|%thread.tid"

// stream builds a scripted stream of several threads.
type stream struct {
	t    testing.TB
	recs [][]byte
}

func (s *stream) add(ms int, tid int64, name string, vals map[string]any) {
	s.addType(ms, tid, exitType(s.t, name), vals)
}

func (s *stream) addType(ms int, tid int64, ty event.Type, vals map[string]any) {
	s.recs = append(s.recs, evtest.MustRecord(event.Current(), at(time.Duration(ms)*time.Millisecond), tid, ty, vals))
}

// fork adds the clone of child by parent (both sides), then its exec of
// exe named comm.
func (s *stream) fork(ms int, parent, child int64, comm, exe string, cgroups string) {
	pv := map[string]any{"res": child, "exe": "bash", "tid": parent, "pid": parent, "ptid": 1, "comm": "bash"}
	s.add(ms, parent, "clone", pv)
	cv := map[string]any{"res": 0, "exe": "bash", "tid": child, "pid": child, "ptid": parent, "comm": "bash"}
	s.add(ms, child, "clone", cv)
	ev := map[string]any{"res": 0, "exe": exe, "tid": child, "pid": child, "ptid": parent, "comm": comm, "cwd": "/tmp",
		"trusted_exepath": exe, "fdlimit": 1024}
	if cgroups != "" {
		ev["cgroups"] = []string{cgroups}
	}
	s.add(ms+1, child, "execve", ev)
}

func (s *stream) open(ms int, tid int64, fd int, name string) {
	s.add(ms, tid, "openat", map[string]any{"fd": fd, "dirfd": -100, "name": name, "flags": 1})
}

func (s *stream) exit(ms int, tid int64) { s.addType(ms, tid, eventType(s.t, "procexit", true), nil) }

// runStream runs recs through a pipeline with a recorder, asking for a
// capture in scope sc at the event of time alert; it returns what the
// pipeline printed and the capture's path.
func runStream(t *testing.T, sec *scap.Section, recs [][]byte, o Options, alert uint64, after time.Duration) (string, string) {
	t.Helper()
	p := pipeline.New(&sliceSource{recs: recs}, sec, pipeline.Options{})
	rec := New(p.State(), o)
	p.Add(rec)
	g := &trigger{rec: rec, ts: alert, after: after}
	p.Add(g)
	var out bytes.Buffer
	p.Add(scopePrinter(t, p.Context(), &out))
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if g.err != nil || len(g.paths) != 1 {
		t.Fatalf("capture: %q %v", g.paths, g.err)
	}
	return out.String(), g.paths[0]
}

func scopePrinter(t testing.TB, fc *field.Context, out io.Writer) *pipeline.Printer {
	t.Helper()
	f, err := field.Default().CompileFormat(scopeFormat)
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.NewPrinter(out, fc, pipeline.PrinterOptions{Format: f})
}

// readScoped prints a capture's exit events in scopeFormat.
func readScoped(t *testing.T, path string) []string {
	t.Helper()
	return readWith(t, path, scopePrinter)
}

// ofThreads returns the lines of the threads tids.
func ofThreads(lines []string, tids ...int64) []string {
	var out []string
	for _, l := range lines {
		f := strings.Split(l, "|")
		tid, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		if slices.Contains(tids, tid) {
			out = append(out, l)
		}
	}
	return out
}

// treeSection is a host with a session: sh (50, the session leader)
// runs bash (100) and vim (300); cron (200) runs in a session of its
// own.
func treeSection() *scap.Section {
	th := func(tid, ptid, sid int64, comm string) scap.Thread {
		return scap.Thread{TID: tid, PID: tid, PTID: ptid, SID: sid, VPGID: tid, PGID: tid, VTID: tid, VPID: tid, Comm: comm, Exe: comm,
			ExePath: "/bin/" + comm, Cwd: "/tmp", LoginUID: 0xFFFFFFFF}
	}
	return &scap.Section{Major: 1, Minor: 2, Threads: []scap.Thread{
		th(1, 0, 1, "systemd"), th(50, 1, 50, "sh"), th(100, 50, 50, "bash"), th(300, 50, 50, "vim"), th(200, 1, 200, "cron"),
	}}
}

// treeStream: cron and vim open files all along; bash runs head, which
// writes the payload and ends, chmod, which ends, then the payload (103,
// the alert at 2.5 s), which starts a shell (104) that reads
// /etc/passwd; the session leader opens a file after the alert.
func treeStream(t testing.TB) [][]byte {
	s := &stream{t: t}
	for ms := 10; ms < 4000; ms += 10 {
		s.open(ms, 200, 7, "/var/log/cron"+strconv.Itoa(ms))
		s.add(ms+2, 200, "close", map[string]any{"res": 0, "fd": 7})
		if ms%100 == 0 {
			s.open(ms+3, 300, 8, "/home/u/notes"+strconv.Itoa(ms))
		}
		switch ms {
		case 1000:
			s.fork(ms+4, 100, 101, "head", "/usr/bin/head", "")
			s.open(ms+6, 101, 5, "/tmp/d/payload")
			s.add(ms+7, 101, "write", map[string]any{"res": 4, "data": []byte("\x7fELF"), "fd": 5, "size": 4})
			s.exit(ms+8, 101)
		case 1500:
			s.fork(ms+4, 100, 102, "chmod", "/usr/bin/chmod", "")
			s.add(ms+6, 102, "fchmodat", map[string]any{"res": 0, "dirfd": -100, "filename": "/tmp/d/payload", "mode": 0o755})
			s.exit(ms+8, 102)
		case 2000:
			s.open(ms+4, 100, 6, "/etc/hosts")
		case 2500:
			s.fork(ms+4, 100, 103, "payload", "/tmp/d/payload", "") // the alert: 2505 ms
		case 2700:
			s.fork(ms+4, 103, 104, "sh", "/bin/sh", "")
			s.open(ms+6, 104, 3, "/etc/passwd")
		case 3000:
			s.open(ms+4, 50, 9, "/home/u/.history")
		}
	}
	return s.recs
}

// TestCaptureScopeProcessTree checks a capture scoped to the alert's
// process tree: it shows the events of bash's children (head and chmod,
// ended before the alert, named as they were), of the payload and the
// shell it starts after the alert, and of the session leader; none of
// cron's or vim's (outside the tree), whose opens and closes are there
// state-only; and it is smaller than the unscoped capture.
func TestCaptureScopeProcessTree(t *testing.T) {
	recs := treeStream(t)
	alert := at(2505 * time.Millisecond)
	o := Options{Budget: 4 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(t.TempDir(), "k"), Scope: ScopeProcessTree}
	out, path := runStream(t, treeSection(), recs, o, alert, time.Second)
	got := readScoped(t, path)
	end := alert + uint64(time.Second)
	want := ofThreads(exits(out, 0, end), 50, 100, 101, 102, 103, 104)
	if !slices.Equal(got, want) {
		t.Fatalf("capture shows %d events, want %d:\n%s\nwant:\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range []string{"|write|head|/tmp/d/payload|101", "|fchmodat|chmod|", "|execve|payload|", "|openat|sh|/etc/passwd|104", "|openat|sh|/home/u/.history|50"} {
		if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("capture shows no %q", w)
		}
	}
	o.Scope, o.PathPrefix = ScopeAll, filepath.Join(t.TempDir(), "k")
	_, full := runStream(t, treeSection(), recs, o, alert, time.Second)
	if all := readScoped(t, full); len(ofThreads(all, 200, 300)) == 0 {
		t.Error("the unscoped capture shows no event of cron and vim")
	}
	a, b := fileSize(t, path), fileSize(t, full)
	t.Logf("scoped capture %d bytes, unscoped %d", a, b)
	if a >= b {
		t.Errorf("scoped capture of %d bytes, unscoped %d", a, b)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Container ids and pods of the container scope's test.
const (
	podP = "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc"
	podQ = "0d5e8a4b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	ctrA = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001"
	ctrB = "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000002"
	ctrC = "cccccccccccc0000000000000000000000000000000000000000000000000003"
)

func podCgroup(pod, ctr string) string {
	return "cpu=/kubepods/besteffort/pod" + pod + "/" + ctr
}

// TestCaptureScopeContainer checks a capture scoped to the alert's
// container in a pod: it shows the events of the pod's containers (A
// and B, a process started in A after the alert too), none of the other
// pod's (C) or of the host's; and an alert of a host process is scoped
// to its process tree.
func TestCaptureScopeContainer(t *testing.T) {
	ctrThread := func(tid int64, comm, cg string) scap.Thread {
		return scap.Thread{TID: tid, PID: tid, PTID: 1, SID: tid, VPGID: 1, PGID: tid, VTID: 1, VPID: 1, Comm: comm, Exe: comm,
			ExePath: "/bin/" + comm, Cwd: "/", LoginUID: 0xFFFFFFFF, Cgroups: append([]byte(cg), 0)}
	}
	sec := treeSection()
	sec.Threads = append(sec.Threads, ctrThread(400, "nginx", podCgroup(podP, ctrA)), ctrThread(401, "sidecar", podCgroup(podP, ctrB)),
		ctrThread(402, "redis", podCgroup(podQ, ctrC)))
	s := &stream{t: t}
	for ms := 10; ms < 3000; ms += 10 {
		for _, tid := range []int64{400, 401, 402, 200, 100} {
			s.open(ms, tid, 7, "/data/"+strconv.Itoa(int(tid))+"/"+strconv.Itoa(ms))
			s.add(ms+1, tid, "close", map[string]any{"res": 0, "fd": 7})
		}
		if ms == 1500 {
			s.open(ms+5, 100, 8, "/etc/hosts") // the host alert, 1505 ms
		}
		if ms == 2000 {
			s.fork(ms+2, 400, 410, "sh", "/bin/sh", podCgroup(podP, ctrA)) // the alert, 2003 ms
		}
		if ms == 2500 {
			s.fork(ms+2, 410, 411, "curl", "/usr/bin/curl", podCgroup(podP, ctrA))
		}
	}
	o := Options{Budget: 4 << 20, Before: 5 * time.Second, PathPrefix: filepath.Join(t.TempDir(), "k"), Scope: ScopeContainer}
	alert := at(2003 * time.Millisecond)
	out, path := runStream(t, sec, s.recs, o, alert, time.Second)
	got := readScoped(t, path)
	want := ofThreads(exits(out, 0, alert+uint64(time.Second)), 400, 401, 410, 411)
	if !slices.Equal(got, want) {
		t.Fatalf("capture shows %d events, want %d:\n%s\nwant:\n%s", len(got), len(want), strings.Join(head(got), "\n"), strings.Join(head(want), "\n"))
	}
	if len(ofThreads(got, 411)) == 0 || len(ofThreads(got, 401)) == 0 {
		t.Errorf("capture misses the sidecar's or curl's events")
	}

	// A host alert: bash's tree (bash, its session leader), not cron.
	o.PathPrefix = filepath.Join(t.TempDir(), "k")
	hostAlert := at(1505 * time.Millisecond)
	out, path = runStream(t, sec, s.recs, o, hostAlert, 100*time.Millisecond)
	s2 := ofThreads(exits(out, hostAlert, hostAlert), 100)
	if len(s2) == 0 {
		t.Fatal("no event of bash at the host alert's time")
	}
	got = readScoped(t, path)
	if want := ofThreads(exits(out, 0, hostAlert+uint64(100*time.Millisecond)), 50, 100); !slices.Equal(got, want) {
		t.Fatalf("host alert: capture shows %d events, want %d:\n%s", len(got), len(want), strings.Join(head(got), "\n"))
	}
}

func TestParseScope(t *testing.T) {
	for _, s := range []Scope{ScopeAll, ScopeProcessTree, ScopeContainer} {
		if got, err := ParseScope(s.String()); err != nil || got != s {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if _, err := ParseScope("pod"); err == nil {
		t.Error("pod accepted")
	}
}
