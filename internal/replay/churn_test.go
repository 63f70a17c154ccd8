package replay

import (
	"bytes"
	"io"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// TestChurn reads a churn capture back: the event count, increasing
// timestamps, and each child's pid (reused after PIDs processes) in the
// event headers and in the pid parameters that name it.
func TestChurn(t *testing.T) {
	c := NewChurn()
	c.PIDs = 3
	const procs = 7
	var buf bytes.Buffer
	n, err := WriteChurn(&buf, c, procs, scap.WriterOptions{})
	if err != nil || n != procs*uint64(c.EventsPerProcess()) {
		t.Fatalf("wrote %d events, %v; want %d", n, err, procs*c.EventsPerProcess())
	}
	rd, err := scap.NewReader(&buf, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if th := rd.Section().Threads; len(th) != 2 || th[1].TID != c.Shell {
		t.Fatalf("process list %+v", th)
	}
	var ev event.Event
	var i, last uint64
	for ; ; i++ {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.TS() <= last {
			t.Fatalf("event %d: timestamp %d after %d", i+1, ev.TS(), last)
		}
		last = ev.TS()
		k := i / uint64(c.EventsPerProcess())
		child := c.FirstPID + int64(k)%c.PIDs
		pos := i % uint64(c.EventsPerProcess())
		if tid := ev.TID(); pos > 1 && tid != child || pos <= 1 && tid != c.Shell {
			t.Fatalf("event %d (%s): tid %d, want %d", i+1, ev.Info().Name, tid, child)
		}
		for _, name := range []string{"res", "pid"} {
			p, ok := ev.ParamByName(name)
			if !ok || p.Type() != event.PTPID {
				continue
			}
			want := child
			switch {
			case name == "res" && pos == 2: // the child's side of clone
				want = 0
			case name == "pid" && pos == 1: // the shell's side
				want = c.Shell
			}
			if p.Int() != want {
				t.Errorf("event %d (%s): %s %d, want %d", i+1, ev.Info().Name, name, p.Int(), want)
			}
		}
	}
	if i != n {
		t.Errorf("read %d events, wrote %d", i, n)
	}
}
