package state

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// sectionCaptures are the captures the section tests replay.
func sectionCaptures(t *testing.T) []string {
	return append(testenv.Captures(t), filepath.Join(testenv.RepoRoot(), "examples", "session.scap"))
}

// TestSectionRoundTrip builds a section from the model at every point of
// every capture where it could start a new file (every 50th event and the
// end), loads it into a new model, and checks that the new model knows
// every named thread and every fd as the first one does.
func TestSectionRoundTrip(t *testing.T) {
	for _, path := range sectionCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rd, sec := openCapture(t, path)
			st := FromSection(sec)
			compareModels(t, "start", st, FromSection(st.Section(sec)))
			var ev event.Event
			for n := 1; ; n++ {
				err := rd.Next(&ev)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("event %d: %v", n, err)
				}
				if rd.SectionNum() > 1 {
					break
				}
				st.Apply(&ev)
				if n%50 == 0 {
					compareModels(t, "after event "+strconv.Itoa(n), st, FromSection(st.Section(sec)))
				}
			}
			compareModels(t, "end", st, FromSection(st.Section(sec)))
		})
	}
}

// TestSectionKeepsMetadata checks that the blocks events do not change
// come from the base section, and that the section is written and read
// back whole.
func TestSectionKeepsMetadata(t *testing.T) {
	for _, path := range sectionCaptures(t) {
		rd, sec := openCapture(t, path)
		out := FromSection(sec).Section(sec)
		var ev event.Event
		if err := rd.Next(&ev); err != nil {
			t.Fatalf("%s: first event: %v", path, err)
		}
		if out.Machine != sec.Machine || len(out.Users) != len(sec.Users) || len(out.Groups) != len(sec.Groups) || len(out.Interfaces) != len(sec.Interfaces) {
			t.Errorf("%s: machine, users, groups or interfaces not those of the base section", path)
		}
		var buf bytes.Buffer
		w, err := scap.NewWriter(&buf, out, scap.WriterOptions{})
		if err != nil {
			t.Fatalf("%s: write: %v", path, err)
		}
		if err := w.WriteEvent(&ev); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rd, err = scap.NewReader(&buf, scap.ReaderOptions{})
		if err != nil {
			t.Fatalf("%s: read back: %v", path, err)
		}
		back := rd.Section()
		if len(back.Threads) != len(out.Threads) || countFDs(back) != countFDs(out) {
			t.Errorf("%s: read back %d threads and %d fds, wrote %d and %d", path, len(back.Threads), countFDs(back), len(out.Threads), countFDs(out))
		}
		if len(out.Threads) == 0 {
			t.Errorf("%s: no threads in the section", path)
		}
	}
}

// TestSectionLeavesOut checks that nameless threads, the thread that just
// exited and the fd that was just closed are not in the section.
func TestSectionLeavesOut(t *testing.T) {
	s := New()
	st := &stream{t: t, s: s}
	st.apply(10, openE, map[string]any{"name": "/etc/passwd", "flags": uint32(1), "mode": uint32(0)})
	if s.Thread(10) == nil || !s.Thread(10).Partial {
		t.Fatalf("thread 10 not added as nameless")
	}
	if sec := s.Section(nil); len(sec.Threads) != 0 {
		t.Errorf("nameless thread in the section: %+v", sec.Threads)
	}
	s2 := FromSection(&scap.Section{Threads: []scap.Thread{
		{TID: 20, PID: 20, Comm: "a", Flags: 0},
		{TID: 21, PID: 21, Comm: "b"},
	}, FDs: []scap.FDList{{TID: 21, FDs: []scap.FD{{FD: 3, Type: scap.FDFile, Name: "/x"}, {FD: 4, Type: scap.FDFile, Name: "/y"}}}}})
	s2.exited = 20
	s2.closeT, s2.closeFD = s2.Thread(21).fdt, 3
	sec := s2.Section(nil)
	if len(sec.Threads) != 1 || sec.Threads[0].TID != 21 {
		t.Fatalf("threads %+v, want 21 alone", sec.Threads)
	}
	if len(sec.FDs) != 1 || len(sec.FDs[0].FDs) != 1 || sec.FDs[0].FDs[0].Name != "/y" || sec.FDs[0].FDs[0].Type != scap.FDFileV2 {
		t.Errorf("fds %+v, want /y alone as FILE_V2", sec.FDs)
	}
}

func openCapture(t *testing.T, path string) (*scap.Reader, *scap.Section) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rd, err := scap.NewReader(f, scap.ReaderOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(func() { rd.Close() })
	return rd, rd.Section()
}

// compareModels checks that b knows every named thread of a, with the
// same identity, program, credentials and fds.
func compareModels(t *testing.T, at string, a, b *State) {
	t.Helper()
	n := 0
	for tid, ta := range a.threads {
		if ta.Partial || tid == a.exited {
			continue
		}
		n++
		tb := b.threads[tid]
		if tb == nil {
			t.Errorf("%s: thread %d (%s) missing", at, tid, ta.Comm)
			continue
		}
		if d := threadDiff(ta, tb); d != "" {
			t.Errorf("%s: thread %d (%s): %s", at, tid, ta.Comm, d)
		}
		if d := fdsDiff(a, ta.fdt, tb.fdt); d != "" {
			t.Errorf("%s: thread %d (%s): %s", at, tid, ta.Comm, d)
		}
	}
	if n != len(b.threads) {
		t.Errorf("%s: %d threads, want %d", at, len(b.threads), n)
	}
}

func threadDiff(a, b *Thread) string {
	type view struct {
		ids                      [7]int64
		comm, exe, path, cwd     string
		args, env, cgroups       string
		root, container          string
		uid, gid, login, tty, fl uint32
		caps                     [3]uint64
		exe2                     [4]bool
	}
	v := func(t *Thread) view {
		return view{
			[7]int64{t.PID, t.PTID, t.VTID, t.VPID, t.SID, t.VPGID, int64(t.FDLimit)},
			t.Comm, t.Exe, t.ExePath, t.Cwd(), string(t.Args), string(t.Env), string(t.Cgroups),
			t.Root, t.ContainerID, t.UID, t.GID, t.LoginUID, t.TTY, t.Flags,
			[3]uint64{t.CapInheritable, t.CapPermitted, t.CapEffective},
			[4]bool{t.ExeWritable, t.ExeUpperLayer, t.ExeLowerLayer, t.ExeFromMemfd},
		}
	}
	if va, vb := v(a), v(b); va != vb {
		return "differs:\n  model:   " + fmt.Sprint(va) + "\n  section: " + fmt.Sprint(vb)
	}
	return ""
}

func fdsDiff(s *State, a, b *FDTable) string {
	var la, lb []string
	a.Each(func(f *FD) {
		if a == s.closeT && f.Num == s.closeFD {
			return
		}
		la = append(la, fdView(f))
	})
	b.Each(func(f *FD) { lb = append(lb, fdView(f)) })
	slices.Sort(la)
	slices.Sort(lb)
	if !slices.Equal(la, lb) {
		return "fds differ:\n  model:   " + fmt.Sprint(la) + "\n  section: " + fmt.Sprint(lb)
	}
	return ""
}

// fdView is what readers show of an fd: number, type and protocol
// characters, name, ends, and for files the flags and device. An fd-list
// entry says nothing of a socket's role, and for an IPv6 connection
// socket of a capture's initial state readers guess none (see
// fdFromSection), so its protocol is left out.
func fdView(f *FD) string {
	l4 := f.L4Proto()
	if f.Type == scap.FDIPv6Sock {
		c := *f
		c.Role = RoleNone
		f, l4 = &c, f.L4
	}
	return fmt.Sprint(f.String(), l4, f.SrcAddr(), f.SrcPort, f.DstAddr(), f.DstPort, f.Ino, fileFlags(f))
}

func fileFlags(f *FD) [2]uint32 {
	if f.IsFile() {
		return [2]uint32{f.Flags, f.Dev}
	}
	return [2]uint32{}
}

func countFDs(sec *scap.Section) int {
	n := 0
	for i := range sec.FDs {
		n += len(sec.FDs[i].FDs)
	}
	return n
}
