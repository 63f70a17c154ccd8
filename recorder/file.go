package recorder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// file is a capture being written: to a temporary file next to its final
// name, made 0600 (captures hold what the host's processes read and
// wrote), renamed into place when it ends, so that a reader never sees
// half a capture under its name.
type file struct {
	path   string
	tmp    *os.File
	out    countWriter
	w      *scap.Writer
	events uint64 // events written
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// createFile starts the capture to be named path, with sec as its
// initial state; wrap, when not nil, wraps the file's writer.
func createFile(path string, sec *scap.Section, wo scap.WriterOptions, wrap func(io.Writer) io.Writer) (*file, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("capture %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", path, err)
	}
	f := &file{path: path, tmp: tmp, out: countWriter{w: tmp}}
	if wrap != nil {
		f.out.w = wrap(tmp)
	}
	if f.w, err = scap.NewWriter(&f.out, sec, wo); err != nil {
		f.abort()
		return nil, fmt.Errorf("capture %s: %w", path, err)
	}
	return f, nil
}

// write writes one event.
func (f *file) write(e *event.Event) error {
	if err := f.w.WriteEvent(e); err != nil {
		return fmt.Errorf("capture %s: %w", f.path, err)
	}
	f.events++
	return nil
}

// size returns the length the file has, with what the writer holds.
func (f *file) size() int64 { return f.out.n + int64(f.w.Buffered()) }

// finish ends the capture and renames it into place, returning its
// length; when it cannot be finished, it is removed.
func (f *file) finish() (int64, error) {
	err := f.w.Close()
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return 0, fmt.Errorf("capture %s: %w", f.path, err)
	}
	return f.out.n, nil
}

// abort drops the capture.
func (f *file) abort() {
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// captureName is the name of the capture of the event numbered num at
// time ts (ns since the epoch), as Falco names its captures:
// PREFIX_<ts>_<num>.scap, both numbers 20 digits wide, so that names
// sort by time.
func captureName(prefix string, ts, num uint64) string {
	return fmt.Sprintf("%s_%020d_%020d.scap", prefix, ts, num)
}

// isCaptureName reports whether name (a file name without directory) is
// one captureName makes for a prefix whose file part is base.
func isCaptureName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, base+"_")
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, ".scap")
	if !ok || len(rest) != 41 || rest[20] != '_' {
		return false
	}
	for _, part := range []string{rest[:20], rest[21:]} {
		if _, err := strconv.ParseUint(part, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// storedCapture is a capture found on disk.
type storedCapture struct {
	path string
	size int64
}

// storedCaptures lists the captures under prefix, oldest first.
func storedCaptures(prefix string) ([]storedCapture, error) {
	dir, base := filepath.Split(prefix)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("captures in %s: %w", dir, err)
	}
	var out []storedCapture
	for _, e := range ents {
		if !e.Type().IsRegular() || !isCaptureName(e.Name(), base) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, storedCapture{path: filepath.Join(dir, e.Name()), size: info.Size()})
	}
	slices.SortFunc(out, func(a, b storedCapture) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// prune removes the oldest captures under prefix while there are more
// than maxFiles (0: no limit) or they take more than maxBytes together
// (0: no limit). The newest is always kept. It returns the paths removed.
func prune(prefix string, maxFiles int, maxBytes int64) ([]string, error) {
	if maxFiles <= 0 && maxBytes <= 0 {
		return nil, nil
	}
	caps, err := storedCaptures(prefix)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, c := range caps {
		total += c.size
	}
	var removed []string
	var errs []error
	for len(caps) > 1 && ((maxFiles > 0 && len(caps) > maxFiles) || (maxBytes > 0 && total > maxBytes)) {
		c := caps[0]
		caps = caps[1:]
		total -= c.size
		if err := os.Remove(c.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c.path)
	}
	return removed, errors.Join(errs...)
}
