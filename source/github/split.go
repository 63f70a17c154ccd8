package github

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// ErrTooLarge is wrapped by the error about an event over the size limit.
var ErrTooLarge = errors.New("GitHub event too large")

// Splitter turns the lines of a file of GitHub events, one event's JSON a
// line as [Webhook] queues them, into events. One goroutine uses a
// Splitter.
type Splitter struct {
	// MaxEventSize is the largest event kept, in bytes;
	// DefaultMaxBodySize when 0.
	MaxEventSize int
	doc          jsonsrc.Doc
}

// Split calls emit for each event in data, JSON lines, with its bytes (a
// part of data) and its received_at time in nanoseconds since the epoch.
// Blank lines are passed over. A line that is no GitHub event (no JSON
// object, no webhook_type, no readable received_at) or is over the size
// limit is left out and reported in skipped, the others still emitted; err
// wraps [ErrNotGitHub] when data holds lines but no event.
func (s *Splitter) Split(data []byte, emit func(ev []byte, ts uint64)) (skipped []error, err error) {
	n, lines := 0, 0
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		n++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		lines++
		if err := s.one(line, emit); err != nil {
			skipped = append(skipped, fmt.Errorf("line %d: %w", n, err))
		}
	}
	if lines > 0 && len(skipped) == lines {
		return skipped, fmt.Errorf("%w: no line holds an event", ErrNotGitHub)
	}
	return skipped, nil
}

// one emits the event of one line.
func (s *Splitter) one(line []byte, emit func([]byte, uint64)) error {
	limit := s.MaxEventSize
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	if len(line) > limit {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(line), limit)
	}
	if err := s.doc.Parse(line); err != nil {
		return fmt.Errorf("%w: %w", ErrNotGitHub, err)
	}
	root := s.doc.Root()
	if root.Get(keyType).Kind() != jsonsrc.String {
		return fmt.Errorf("%w: no %s", ErrNotGitHub, keyType)
	}
	b, _ := root.Get(keyReceived).Str()
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil || t.UnixNano() < 0 {
		return fmt.Errorf("%w: %s %q is no RFC 3339 time", ErrNotGitHub, keyReceived, b)
	}
	emit(line, uint64(t.UnixNano()))
	return nil
}

// Detect reports whether data, the start of a file, looks like a file of
// GitHub events: its first line is a JSON object with a webhook_type, or,
// cut short, starts as the objects [Webhook] writes do.
func Detect(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	line, _, complete := bytes.Cut(data, []byte{'\n'})
	var doc jsonsrc.Doc
	if doc.Parse(line) == nil {
		return doc.Root().Get(keyType).Kind() == jsonsrc.String
	}
	if complete || len(line) == 0 || line[0] != '{' {
		return false
	}
	rest := bytes.TrimLeft(line[1:], " \t\r")
	rest, ok := bytes.CutPrefix(rest, []byte(`"`+keyType+`"`))
	return ok && bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r"), []byte{':'})
}

// FileReader reads files of GitHub events, one a line, for replay. A
// malformed or oversized line is logged, counted and skipped; reading
// goes on.
type FileReader struct {
	// MaxEventSize bounds one event; DefaultMaxBodySize when 0.
	MaxEventSize int
	// Emit receives each event: its JSON, valid only during the call, and
	// its time.
	Emit  func(data []byte, ts uint64)
	Stats *jsonsrc.Stats // nil counts nothing
	Log   *slog.Logger   // nil: nothing is logged
}

// Read reads path, a file or a directory whose regular files are read in
// name order, until its end or until ctx ends.
func (r *FileReader) Read(ctx context.Context, path string) error {
	return jsonsrc.ReadPath(path, "GitHub events", func(f string) error { return r.readFile(ctx, f) })
}

func (r *FileReader) readFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("GitHub events: %w", err)
	}
	defer f.Close()
	if err := r.ReadFrom(ctx, f, path); err != nil {
		return fmt.Errorf("GitHub events %s: %w", path, err)
	}
	return nil
}

// ReadFrom reads the events of in, named name in messages.
func (r *FileReader) ReadFrom(ctx context.Context, in io.Reader, name string) error {
	sp := &Splitter{MaxEventSize: r.MaxEventSize}
	limit := sp.MaxEventSize
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	br := bufio.NewReader(in)
	for n := 1; ctx.Err() == nil; n++ {
		line, err := readLine(br, limit)
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if e := sp.one(line, r.Emit); e != nil {
				r.skipped(name, n, e)
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, ErrTooLarge):
			r.skipped(name, n, err)
		case err != nil:
			return err
		}
	}
	return nil
}

// readLine reads one line, without its newline; a line over limit is
// passed over and reported with ErrTooLarge.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	over := false
	for {
		part, err := br.ReadSlice('\n')
		if !over && len(line)+len(part) > limit+1 {
			over, line = true, nil
		}
		if !over {
			line = append(line, part...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case over:
			return nil, fmt.Errorf("%w: a line over the %d-byte limit", ErrTooLarge, limit)
		}
		return bytes.TrimSuffix(line, []byte{'\n'}), err
	}
}

func (r *FileReader) skipped(name string, n int, err error) {
	jsonsrc.Skip(r.Stats, r.Log, err, "GitHub event line skipped", "source", SourceName, "file", name, "line", n)
}
