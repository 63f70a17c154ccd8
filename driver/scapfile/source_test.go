package scapfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// record is what a reader says of one event.
type record struct {
	raw   string
	num   uint64
	cpu   uint16
	flags uint32
	sect  int
}

// direct reads data with scap.Reader alone.
func direct(t *testing.T, data []byte) ([]record, error) {
	t.Helper()
	rd, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	var e event.Event
	for {
		err := rd.Next(&e)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, record{string(e.Raw()), e.Num, e.CPU, e.DumpFlags, rd.SectionNum()})
	}
}

// ahead reads data through a Source with batches of at most batchEvents.
func ahead(t *testing.T, data []byte, batches int) ([]record, error) {
	t.Helper()
	s, err := NewSource(io.NopCloser(bytes.NewReader(data)), "test", Options{Batches: batches})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []record
	for {
		e, err := s.Next(context.Background())
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, record{string(e.Raw()), e.Num, e.CPU, e.DumpFlags, s.SectionNum()})
	}
}

// concatenated returns the example capture followed by itself: two
// sections.
func concatenated(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "session.scap"))
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte(nil), data...), data...)
}

// TestSourceSameAsReader checks that reading ahead gives every event the
// reader gives, with its bytes, number, CPU, flags and section, on the
// shared captures and on a capture of two sections.
func TestSourceSameAsReader(t *testing.T) {
	inputs := map[string][]byte{"concatenated": concatenated(t)}
	for _, path := range testenv.Captures(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(path)] = data
	}
	for name, data := range inputs {
		want, werr := direct(t, data)
		for _, batches := range []int{1, 0} {
			got, gerr := ahead(t, data, batches)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s: reader error %v, source error %v", name, werr, gerr)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d events, the reader gives %d", name, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: event %d differs: %+v, the reader gives %+v", name, i+1, got[i], want[i])
				}
			}
		}
	}
	if got, _ := ahead(t, inputs["concatenated"], 0); got[len(got)-1].sect != 2 {
		t.Errorf("the last event of two sections is in section %d", got[len(got)-1].sect)
	}
}

// TestSourceTruncated checks that a capture cut short gives the events
// before the cut, then a format error naming the source.
func TestSourceTruncated(t *testing.T) {
	data := concatenated(t)
	for _, cut := range []int{len(data) / 3, len(data) - 7} {
		want, werr := direct(t, data[:cut])
		got, gerr := ahead(t, data[:cut], 0)
		if werr == nil || !errors.Is(gerr, scap.ErrFormat) {
			t.Fatalf("cut at %d: reader error %v, source error %v", cut, werr, gerr)
		}
		if len(got) != len(want) {
			t.Errorf("cut at %d: %d events before the error, the reader gives %d", cut, len(got), len(want))
		}
		if want := "read test: "; gerr.Error()[:len(want)] != want {
			t.Errorf("error %q does not name the source", gerr)
		}
	}
}

// TestSourceStops checks that Next returns when ctx ends and when the
// source is closed from another goroutine, whatever the reader is
// blocked on (here a pipe nobody writes to after the header).
func TestSourceStops(t *testing.T) {
	data := concatenated(t)
	pr, pw := io.Pipe()
	go pw.Write(data[:len(data)/2]) // then stalls
	s, err := NewSource(pr, "pipe", Options{})
	if err != nil {
		t.Fatal(err)
	}
	drain := func(ctx context.Context) error {
		for {
			if _, err := s.Next(ctx); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next after the deadline: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- drain(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, driver.ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked after Close")
	}
}

// TestSourceStdin checks that "-" reads standard input.
func TestSourceStdin(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(), "examples", "session.scap")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	s, err := Open(context.Background(), Stdin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	for {
		_, err := s.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 || s.Stats().Events != uint64(n) {
		t.Errorf("%d events from standard input, stats say %d", n, s.Stats().Events)
	}
}

// TestCreate checks that a capture is written under a temporary name,
// renamed into place by Close with mode 0600, and that a capture is
// never written over the one being read, even through a link.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.scap")
	f, err := Create(path, nil, scap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the capture is visible under its name before Close: %v", err)
	}
	rec := evtestRecord(t)
	var e event.Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteEvent(&e); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".*")); len(names) != 0 {
		t.Errorf("temporary files left: %q", names)
	}
	link := filepath.Join(dir, "link.scap")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{path, link} {
		if err := CheckDistinct(path, out); !errors.Is(err, ErrSameFile) {
			t.Errorf("CheckDistinct(%s, %s) = %v", path, out, err)
		}
	}
	if err := CheckDistinct(path, filepath.Join(dir, "new.scap")); err != nil {
		t.Errorf("a new file: %v", err)
	}
}

// evtestRecord returns one procexit record.
func evtestRecord(t *testing.T) []byte {
	t.Helper()
	rec, err := event.AppendRecord(nil, 1, 1, 186, []byte{0, 0, 0, 0, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
