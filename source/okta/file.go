package okta

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// FileReader reads files of Okta events: JSON arrays of events as the
// System Log API returns them, or events one a line. A value that is no
// event is logged, counted and skipped; reading goes on.
type FileReader struct {
	// MaxEventSize bounds one event; DefaultMaxEventSize when 0.
	MaxEventSize int
	// Emit receives each event: its JSON, valid only during the call, and
	// its published time.
	Emit  func(data []byte, ts uint64)
	Stats *jsonsrc.Stats // nil: nothing is counted
	Log   *slog.Logger   // nil: nothing is logged
}

// Read reads path, a file or a directory whose regular files are read in
// name order, until its end or until ctx ends.
func (r *FileReader) Read(ctx context.Context, path string) error {
	return jsonsrc.ReadPath(path, "okta events", func(f string) error { return r.readFile(ctx, f) })
}

func (r *FileReader) readFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("okta events: %w", err)
	}
	defer f.Close()
	sp := &Splitter{MaxEventSize: r.MaxEventSize}
	err = sp.SplitReader(ctxReader{ctx, f}, r.Emit, func(err error) { r.bad(path, err) })
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("okta events %s: %w", path, err)
	}
	return nil
}

func (r *FileReader) bad(path string, err error) {
	jsonsrc.Skip(r.Stats, r.Log, err, "okta event skipped", "source", SourceName, "file", path)
}

// ctxReader ends reading when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads unless the context has ended.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
