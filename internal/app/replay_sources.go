package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// replaySource returns the source whose events a replay reads: the
// --source one, or, with no --source, the one a file (or directory) of
// JSON rather than a capture holds, recognised from its start; ok is
// false for a capture (the syscall source).
func replaySource(o ReplayOptions) (kind sourceKind, ok bool, err error) {
	switch o.Source {
	case "", "syscall":
	default:
		k, found := sourceKindNamed(o.Source)
		if !found {
			return sourceKind{}, false, Usagef("replay --source %s: want syscall or one of %s", o.Source, strings.Join(sourceNames(), ", "))
		}
		return k, true, nil
	}
	if o.Source == "syscall" {
		return sourceKind{}, false, nil
	}
	st, err := os.Stat(o.Path)
	if err != nil {
		return sourceKind{}, false, nil // the capture reader reports it
	}
	path := o.Path
	if st.IsDir() {
		path = firstFile(o.Path)
	} else if !st.Mode().IsRegular() {
		// Only a regular file is looked into: opening a FIFO would
		// wait for its writer.
		return sourceKind{}, false, nil
	}
	head, isJSON := fileHead(path)
	var fallback sourceKind
	for _, k := range sourceKinds() {
		if k.detect == nil {
			fallback = k
		} else if k.detect(head) {
			return k, true, nil
		}
	}
	if !isJSON && !st.IsDir() {
		return sourceKind{}, false, nil
	}
	return fallback, true, nil
}

// sourceNames lists the built-in sources other than syscall.
func sourceNames() []string {
	var out []string
	for _, k := range sourceKinds() {
		out = append(out, k.name)
	}
	return out
}

// firstFile returns the first regular file of a directory tree in name
// order ("" when there is none), whose content tells the directory's
// source (CloudTrail keeps its files a few directories down).
func firstFile(dir string) string {
	var first string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts are the reader's to report
		}
		if d.Type().IsRegular() {
			first = path
			return fs.SkipAll
		}
		return nil
	})
	return first
}

// fileHead returns the start of a file (compressed files are recognised
// by the sources' detectors), and whether it starts with a JSON object or
// array, blanks aside.
func fileHead(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	t := bytes.TrimLeft(head[:n], " \t\r\n")
	return head[:n], len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// replayEvents runs the rules of a source other than syscall on a file or
// directory of its events and prints the alerts, then the summary.
func replayEvents(ctx context.Context, kind sourceKind, o ReplayOptions, stdout, stderr io.Writer) error {
	cfg, err := replaySettings(o, stderr)
	if err != nil {
		return err
	}
	_, eng, ds := loadRules(o.Rules, cfg.engine)
	if ds.HasErrors() {
		for _, d := range ds.Errors() {
			fmt.Fprintf(stderr, "%s\n\n", d.String())
		}
		return ds.Err()
	}
	src := eng.Source(kind.name)
	if src == nil || len(src.Selected()) == 0 {
		return Usagef("replay %s: no rule of the %s source to run; give its rules with -r (%s)", o.Path, kind.name, kind.rules)
	}
	out := newAlertPrinter(cfg, stdout, o.Unbuffered)
	fc := field.NewContext(nil)
	if o.Location != nil {
		fc.Location = o.Location
	}
	fc.Hostname = hostnameOf(RunOptions{ReplayOptions: o})
	var (
		dec    = kind.decoder()
		alerts []alert.Alert
		events uint64
		werr   error
	)
	stats := &jsonsrc.Stats{}
	emit := func(data []byte, ts uint64) {
		if ctx.Err() != nil || werr != nil {
			return
		}
		events++
		if err := dec.Decode(fc, data, ts); err != nil {
			fmt.Fprintf(stderr, "kestrel: %s event %d skipped: %v\n", kind.name, events, err)
			return
		}
		alerts = src.Process(fc, alerts[:0])
		for i := range alerts {
			if err := out.emit(&alerts[i]); err != nil && werr == nil {
				werr = err
			}
		}
	}
	start := time.Now()
	rerr := kind.read(ctx, o.Path, stats, slog.New(slog.NewTextHandler(stderr, nil)), emit)
	if err := out.Close(); werr == nil {
		werr = err
	}
	if rerr != nil {
		return fmt.Errorf("replay %s: %w", o.Path, rerr)
	}
	if werr != nil {
		return werr
	}
	out.summary(stderr, events)
	if n := stats.Snapshot().Invalid; n > 0 {
		fmt.Fprintf(stderr, "kestrel: %d malformed lines or events skipped\n", n)
	}
	if o.StageTimes {
		wall := time.Since(start)
		fmt.Fprintf(stderr, "Stage times: %d events in %.3fs, %.0f events/s\n", events, wall.Seconds(), float64(events)/wall.Seconds())
	}
	return nil
}
