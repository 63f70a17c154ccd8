package jsonsrc

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// DirFiles returns the regular files of dir, sorted by name.
func DirFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadPath calls read with path when it names a file, or with each
// regular file of the directory it names, in name order, until read
// fails. what ("okta events") starts the errors about path itself; those
// of read are returned as they are.
func ReadPath(path, what string, read func(file string) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !st.IsDir() {
		return read(path)
	}
	files, err := DirFiles(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, f := range files {
		if err := read(f); err != nil {
			return err
		}
	}
	return nil
}

// Skip counts in stats one event, line or file left out as malformed,
// and logs it on log as a warning: msg, then args and the error. A nil
// stats or log is passed over.
func Skip(stats *Stats, log *slog.Logger, err error, msg string, args ...any) {
	if stats != nil {
		stats.AddInvalid(1)
	}
	if log != nil {
		log.Warn(msg, append(args, "error", err.Error())...)
	}
}

// Sleep waits for d or until ctx ends; it reports false when ctx ended.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
