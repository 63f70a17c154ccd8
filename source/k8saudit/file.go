package k8saudit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// FileReader reads audit logs: files of JSON lines, each holding one
// Event, an EventList or an array of them, as the API server's log
// backend writes them. A malformed or oversized line is logged, counted
// and skipped; reading goes on.
type FileReader struct {
	// MaxEventSize bounds one event; DefaultMaxEventSize when 0.
	MaxEventSize int
	// MaxLineSize bounds one line; DefaultMaxBodySize when 0.
	MaxLineSize int
	// Poll is how often a followed file is looked at once read to its
	// end; 250ms when 0.
	Poll time.Duration
	// Emit receives each event: its JSON, valid only during the call, and
	// its time.
	Emit  func(data []byte, ts uint64)
	Stats *jsonsrc.Stats
	Log   *slog.Logger // nil: nothing is logged
}

// Read reads path, a file or a directory whose regular files are read in
// name order. With follow it goes on like tail -F: it waits for lines
// appended to each file, and starts again from the top of a file that is
// replaced (rotated) or truncated, until ctx ends; a file that does not
// exist yet is waited for.
func (r *FileReader) Read(ctx context.Context, path string, follow bool) error {
	st, err := os.Stat(path)
	switch {
	case err != nil && follow && errors.Is(err, os.ErrNotExist):
		return r.readFile(ctx, path, true)
	case err != nil:
		return fmt.Errorf("audit log: %w", err)
	case !st.IsDir():
		return r.readFile(ctx, path, follow)
	}
	files, err := jsonsrc.DirFiles(path)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if !follow {
		for _, f := range files {
			if err := r.readFile(ctx, f, false); err != nil {
				return err
			}
		}
		return nil
	}
	return r.followAll(ctx, files)
}

// followAll follows files at once; the first error is returned once all
// have stopped.
func (r *FileReader) followAll(ctx context.Context, files []string) error {
	var wg sync.WaitGroup
	var mu sync.Mutex // Emit is called from one goroutine at a time
	var first error
	emit := r.Emit
	one := *r
	one.Emit = func(data []byte, ts uint64) {
		mu.Lock()
		defer mu.Unlock()
		emit(data, ts)
	}
	for _, f := range files {
		wg.Go(func() {
			if err := one.readFile(ctx, f, true); err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

func cmpErr(have, err error) error {
	if have != nil {
		return have
	}
	return err
}

func (r *FileReader) poll() time.Duration {
	if r.Poll <= 0 {
		return 250 * time.Millisecond
	}
	return r.Poll
}

func (r *FileReader) maxLine() int {
	if r.MaxLineSize <= 0 {
		return DefaultMaxBodySize
	}
	return r.MaxLineSize
}

// tail is one open file being read.
type tail struct {
	f    *os.File
	br   *bufio.Reader
	off  int64  // bytes consumed
	line []byte // the line being gathered
	long bool   // the line went over the limit and is being skipped
	no   int    // line number, for messages
}

func (r *FileReader) readFile(ctx context.Context, path string, follow bool) error {
	t, err := r.open(ctx, path, follow)
	if err != nil || t == nil {
		return err
	}
	defer func() { t.f.Close() }()
	sp := &Splitter{MaxEventSize: r.MaxEventSize}
	for {
		err := r.readLines(t, sp, path)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("audit log %s: %w", path, err)
		}
		if !follow {
			r.flush(t, sp, path)
			return nil
		}
		if !jsonsrc.Sleep(ctx, r.poll()) {
			return nil
		}
		if moved(t, path) {
			r.flush(t, sp, path)
			t.f.Close()
			if t, err = r.open(ctx, path, true); err != nil || t == nil {
				return err
			}
		}
	}
}

// open opens path; following, it waits for the file to appear. It
// returns nil, nil when ctx ends first.
func (r *FileReader) open(ctx context.Context, path string, follow bool) (*tail, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return &tail{f: f, br: bufio.NewReaderSize(f, 64<<10)}, nil
		}
		if !follow || !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		if !jsonsrc.Sleep(ctx, r.poll()) {
			return nil, nil
		}
	}
}

// moved reports whether path now names another file than the one open,
// or the open one was truncated below what was read.
func moved(t *tail, path string) bool {
	now, err := os.Stat(path)
	if err != nil {
		return false // gone for now: keep reading the old one
	}
	cur, err := t.f.Stat()
	if err != nil {
		return true
	}
	return !os.SameFile(now, cur) || now.Size() < t.off
}

// readLines handles every complete line available; it returns io.EOF at
// the end of what is there, keeping an unfinished last line.
func (r *FileReader) readLines(t *tail, sp *Splitter, path string) error {
	for {
		chunk, err := t.br.ReadSlice('\n')
		t.off += int64(len(chunk))
		complete := err == nil
		if !t.long {
			t.line = append(t.line, chunk...)
			if len(t.line) > r.maxLine() {
				t.long, t.line = true, t.line[:0]
			}
		}
		if complete {
			t.no++
			if t.long {
				r.bad(path, t.no, fmt.Errorf("line over the %d-byte limit", r.maxLine()))
			} else {
				r.handle(sp, t.line, path, t.no)
			}
			t.line, t.long = t.line[:0], false
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return err
	}
}

// flush handles a last line without a line end.
func (r *FileReader) flush(t *tail, sp *Splitter, path string) {
	if len(bytes.TrimSpace(t.line)) > 0 && !t.long {
		t.no++
		r.handle(sp, t.line, path, t.no)
	}
	t.line, t.long = t.line[:0], false
}

// handle emits the events of one line.
func (r *FileReader) handle(sp *Splitter, line []byte, path string, no int) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	skipped, err := sp.Split(line, r.Emit)
	for _, e := range skipped {
		r.bad(path, no, e)
	}
	if err != nil {
		r.bad(path, no, err)
	}
}

func (r *FileReader) bad(path string, no int, err error) {
	jsonsrc.Skip(r.Stats, r.Log, err, "audit log line skipped", "source", SourceName, "file", path, "line", no)
}
