package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
	"github.com/kestrel-sec/kestrel/source/k8saudit"
)

// auditReplay reports whether a replay reads Kubernetes audit events:
// --source k8s_audit, or no --source and a file (or directory) of JSON
// rather than a capture.
func auditReplay(o ReplayOptions) (bool, error) {
	switch o.Source {
	case k8saudit.SourceName:
		return true, nil
	case "", "syscall":
	default:
		return false, Usagef("replay --source %s: want syscall or %s", o.Source, k8saudit.SourceName)
	}
	if o.Source == "syscall" {
		return false, nil
	}
	st, err := os.Stat(o.Path)
	if err != nil {
		return false, nil // the capture reader reports it
	}
	if st.IsDir() {
		return true, nil
	}
	// Only a regular file is looked into: opening a FIFO would wait for
	// its writer.
	return st.Mode().IsRegular() && looksLikeJSON(o.Path), nil
}

// looksLikeJSON reports whether a file starts with a JSON object or
// array, blanks aside.
func looksLikeJSON(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimLeft(head[:n], " \t\r\n")
	return len(head) > 0 && (head[0] == '{' || head[0] == '[')
}

// replayAudit runs the k8s_audit rules on a file or directory of audit
// events (JSON lines) and prints the alerts, then the summary.
func replayAudit(ctx context.Context, o ReplayOptions, stdout, stderr io.Writer) error {
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
	src := eng.Source(k8saudit.SourceName)
	if src == nil || len(src.Selected()) == 0 {
		return Usagef("replay %s: no rule of the %s source to run; give its rules with -r (k8s_audit_rules.yaml)", o.Path, k8saudit.SourceName)
	}
	out := newAlertPrinter(cfg, stdout, o.Unbuffered)
	fc := field.NewContext(nil)
	if o.Location != nil {
		fc.Location = o.Location
	}
	fc.Hostname = hostnameOf(RunOptions{ReplayOptions: o})
	var (
		dec    k8saudit.Decoder
		alerts []alert.Alert
		events uint64
		werr   error
	)
	stats := &jsonsrc.Stats{}
	r := &k8saudit.FileReader{Stats: stats, Log: slog.New(slog.NewTextHandler(stderr, nil)),
		Emit: func(data []byte, ts uint64) {
			if ctx.Err() != nil || werr != nil {
				return
			}
			events++
			if err := dec.Decode(fc, data, ts); err != nil {
				fmt.Fprintf(stderr, "kestrel: audit event %d skipped: %v\n", events, err)
				return
			}
			alerts = src.Process(fc, alerts[:0])
			for i := range alerts {
				if err := out.emit(&alerts[i]); err != nil && werr == nil {
					werr = err
				}
			}
		}}
	start := time.Now()
	rerr := r.Read(ctx, o.Path, false)
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
