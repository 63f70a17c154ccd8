package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kestrel-sec/kestrel/internal/replay"
	"github.com/kestrel-sec/kestrel/scap"
)

// runChurn writes a capture of procs short-lived processes to out.
func runChurn(out string, procs uint64, gz, quiet bool) error {
	start := time.Now()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	o, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(o, 1<<20)
	n, err := replay.WriteChurn(bw, replay.NewChurn(), procs, scap.WriterOptions{Compress: gz})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", out, err)
	}
	if !quiet {
		var size int64
		if st, _ := os.Stat(out); st != nil {
			size = st.Size()
		}
		fmt.Fprintf(os.Stderr, "mkbig: %s: %d events of %d short-lived processes, %d bytes, in %.1fs\n",
			out, n, procs, size, time.Since(start).Seconds())
	}
	return nil
}
