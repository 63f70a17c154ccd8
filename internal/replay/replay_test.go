package replay

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

func loadExample(t *testing.T) *Source {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "examples", "session.scap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReplay checks a replayed capture: the event count, timestamps that
// keep increasing, and thread ids renumbered per round in event headers,
// thread-id parameters and the process list alike.
func TestReplay(t *testing.T) {
	for _, ranges := range []uint64{0, 2} {
		s := loadExample(t)
		s.Ranges = ranges
		n := uint64(3*s.Len() + 5) // the last round is partial
		var buf bytes.Buffer
		if got, err := s.Write(&buf, n, scap.WriterOptions{}); err != nil || got != n {
			t.Fatalf("ranges %d: wrote %d events, %v; want %d", ranges, got, err, n)
		}
		var again bytes.Buffer
		if _, err := s.Write(&again, n, scap.WriterOptions{}); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatalf("ranges %d: a second Write differs (err %v)", ranges, err)
		}

		rd, err := scap.NewReader(&buf, scap.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		known := map[int64]bool{}
		for _, th := range rd.Section().Threads {
			if known[th.TID] {
				t.Errorf("ranges %d: thread %d twice in the process list", ranges, th.TID)
			}
			known[th.TID] = true
		}
		// systemd, and bash once per range: 4 rounds, or 2 ranges.
		want := map[uint64]int{0: 1 + 4, 2: 1 + 2}[ranges]
		if len(known) != want {
			t.Errorf("ranges %d: %d threads in the process list, want %d", ranges, len(known), want)
		}
		var ev event.Event
		var prev uint64
		for i := uint64(0); ; i++ {
			err := rd.Next(&ev)
			if err == io.EOF {
				if i != n {
					t.Errorf("ranges %d: read %d events, want %d", ranges, i, n)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.TS() <= prev {
				t.Fatalf("ranges %d: event %d: time %d after %d", ranges, ev.Num, ev.TS(), prev)
			}
			prev = ev.TS()
			round := int64(i / uint64(s.Len()))
			if ranges > 0 {
				round %= int64(ranges)
			}
			orig := &s.events[i%uint64(s.Len())]
			if want := orig.TID() + round*s.Stride; ev.TID() != want {
				t.Fatalf("ranges %d: event %d: tid %d, want %d", ranges, ev.Num, ev.TID(), want)
			}
			if orig.TID() == 2000 && !known[ev.TID()] {
				t.Fatalf("ranges %d: event %d: bash (%d) is not in the process list", ranges, ev.Num, ev.TID())
			}
			if ev.Name() != "clone" || ev.NumParams() < 6 {
				continue
			}
			for j := range 6 { // res, exe, args, tid, pid, ptid
				p, o := ev.Param(j), orig.Param(j)
				if p.Type() != event.PTPID {
					continue
				}
				want := o.Int()
				if want >= 2000 {
					want += round * s.Stride
				}
				if p.Int() != want {
					t.Fatalf("ranges %d: event %d: clone %s %d, want %d", ranges, ev.Num, p.Info.Name, p.Int(), want)
				}
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(bytes.NewReader([]byte("not a capture"))); err == nil {
		t.Error("garbage accepted")
	}
}
