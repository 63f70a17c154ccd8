package cloudtrail

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// DefaultMaxFileSize bounds one log file, in bytes after decompression.
// CloudTrail starts a new file every five minutes or so, far below it.
const DefaultMaxFileSize = 512 << 20

// FileReader reads CloudTrail log files as CloudTrail writes them to S3:
// .json or .json.gz files each holding {"Records":[...]}, and directory
// trees of them. A file that is no CloudTrail log, is malformed or too
// large is logged, counted and skipped; so are malformed records.
// Reading goes on.
type FileReader struct {
	// MaxRecordSize bounds one record; DefaultMaxRecordSize when 0.
	MaxRecordSize int
	// MaxFileSize bounds one file after decompression;
	// DefaultMaxFileSize when 0.
	MaxFileSize int64
	// Emit receives each record: its JSON, valid only during the call,
	// and its time.
	Emit  func(rec []byte, ts uint64)
	Stats *jsonsrc.Stats // nil: nothing is counted
	Log   *slog.Logger   // nil: nothing is logged
}

// Read reads path: a file, whatever its name, gzipped or not; or a
// directory, whose .json and .json.gz files are read in path order, all
// the way down (for CloudTrail's layout, region by region in time
// order). It stops early, returning nil, when ctx ends.
func (r *FileReader) Read(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cloudtrail log: %w", err)
	}
	if !st.IsDir() {
		r.readFile(path)
		return nil
	}
	files, err := logFiles(path)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("cloudtrail log: no .json or .json.gz files in %s", path)
	}
	for _, f := range files {
		if ctx.Err() != nil {
			return nil
		}
		r.readFile(f)
	}
	return nil
}

// isLogName reports whether a file or object name is one of a CloudTrail
// log: .json or .json.gz.
func isLogName(name string) bool {
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".json.gz")
}

// logFiles lists the log files under dir in path order; unreadable
// subdirectories end the walk with an error.
func logFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && isLogName(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cloudtrail log: %w", err)
	}
	return out, nil
}

// readFile reads one file; its problems are counted and logged.
func (r *FileReader) readFile(path string) {
	data, err := r.load(path)
	if err != nil {
		r.bad(path, err)
		return
	}
	sp := Splitter{MaxRecordSize: r.MaxRecordSize}
	skipped, err := sp.Split(data, r.Emit)
	for _, e := range skipped {
		r.bad(path, e)
	}
	if err != nil {
		r.bad(path, err)
	}
}

func (r *FileReader) load(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLog(f, r.MaxFileSize)
}

func (r *FileReader) bad(path string, err error) {
	jsonsrc.Skip(r.Stats, r.Log, err, "cloudtrail input skipped", "source", SourceName, "file", path)
}

// readLog reads a log file's content, decompressing it when it is
// gzipped (whatever its name), up to limit bytes (DefaultMaxFileSize
// when 0).
func readLog(rd io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	br := bufio.NewReader(rd)
	if magic, err := br.Peek(2); err == nil && isGzip(magic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		data, err := readAtMost(zr, limit)
		if err != nil && !errors.Is(err, ErrTooLarge) {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return data, err
	}
	return readAtMost(br, limit)
}

// readAtMost reads all of rd, refusing more than limit bytes.
func readAtMost(rd io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}
