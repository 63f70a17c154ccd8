package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kestrel-sec/kestrel/internal/replay"
	"github.com/kestrel-sec/kestrel/scap"
)

// runChurn writes a capture of procs short-lived processes to out.
func runChurn(out string, procs uint64, gz, quiet bool) error {
	start := time.Now()
	var n uint64
	size, err := writeAtomic(out, func(w io.Writer) (err error) {
		n, err = replay.WriteChurn(w, replay.NewChurn(), procs, scap.WriterOptions{Compress: gz})
		return err
	})
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(os.Stderr, "mkbig: %s: %d events of %d short-lived processes, %d bytes, in %.1fs\n",
			out, n, procs, size, time.Since(start).Seconds())
	}
	return nil
}
