package scapfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// File is a capture being written. The events go to a temporary file in
// the destination's directory, which Close renames into place: a reader
// never sees a half-written capture under the final name, and a capture
// that could not be finished leaves nothing behind. The file is created
// 0600: captures hold what the host's processes read and wrote.
type File struct {
	path string
	tmp  *os.File
	w    *scap.Writer
	done bool
	// direct: the destination is not a regular file (/dev/null, a FIFO, a
	// terminal): written in place, never replaced.
	direct bool
}

// Create starts a capture to be named path, whose first section is sec.
func Create(path string, sec *scap.Section, o scap.WriterOptions) (*File, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return createDirect(path, sec, o)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w, err := scap.NewWriter(tmp, sec, o)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{path: path, tmp: tmp, w: w}, nil
}

// createDirect starts a capture written straight into path, an existing
// file that is not a regular one (a device such as /dev/null, a FIFO):
// renaming a temporary file over it would replace it.
func createDirect(path string, sec *scap.Section, o scap.WriterOptions) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w, err := scap.NewWriter(f, sec, o)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{path: path, tmp: f, w: w, direct: true}, nil
}

// Name returns the path the capture will have.
func (f *File) Name() string { return f.path }

// WriteEvent writes one event (see [scap.Writer.WriteEvent]).
func (f *File) WriteEvent(e *event.Event) error {
	if err := f.w.WriteEvent(e); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// StartSection starts a new section (see [scap.Writer.StartSection]).
func (f *File) StartSection(sec *scap.Section) error {
	if err := f.w.StartSection(sec); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Close ends the capture and renames it into place; when the capture
// cannot be finished, it removes it.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.w.Close()
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if f.direct {
		if err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
		return nil
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// ErrSameFile is returned when a capture would be written over the file
// it is read from.
var ErrSameFile = errors.New("the capture to write is the capture being read")

// CheckDistinct returns [ErrSameFile] when out names the same file as in
// (through a link or another path); a missing out is distinct.
func CheckDistinct(in, out string) error {
	if in == Stdin {
		return nil
	}
	si, err := os.Stat(in)
	if err != nil {
		return nil
	}
	so, err := os.Stat(out)
	if err != nil {
		return nil
	}
	if os.SameFile(si, so) {
		return fmt.Errorf("%s: %w", out, ErrSameFile)
	}
	return nil
}
