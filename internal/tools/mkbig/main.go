// Command mkbig writes a large capture for benchmarks by replaying the
// events of a small one many times (see package replay): each round is
// shifted in time and runs with its own thread ids, which the process list
// knows. With -ranges N the rounds cycle through N thread-id ranges, which
// keeps the process list at N copies of the replayed threads instead of one
// per round. The output is deterministic.
//
//	go run ./internal/tools/mkbig -o bench/out/big.scap
//	go run ./internal/tools/mkbig -events 5000000 -ranges 1000 -o bench/out/big-5000000-r1000.scap
//	go run ./internal/tools/mkbig -in ../shared/testdata/scap/curl_google.scap -events 1000000 -z -o big.scap.gz
//	go run ./internal/tools/mkbig -churn 1000000 -o bench/out/churn-1000000.scap
//
// With -churn N it writes instead N short-lived processes, one after the
// other (see replay.Churn), for the memory benchmark of the model.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kestrel-sec/kestrel/internal/replay"
	"github.com/kestrel-sec/kestrel/scap"
)

func main() {
	in := flag.String("in", "examples/session.scap", "capture whose events are replayed (plain or gzip, one section)")
	out := flag.String("o", "bench/out/big.scap", "capture to write")
	events := flag.Uint64("events", 5_000_000, "number of events to write")
	gz := flag.Bool("z", false, "gzip the capture")
	ranges := flag.Uint64("ranges", 0, "number of thread-id ranges the rounds cycle through (0: each round its own)")
	quiet := flag.Bool("q", false, "print nothing on success")
	churn := flag.Uint64("churn", 0, "instead of replaying -in, write this many short-lived processes (clone, execve, opens and closes, exit; see replay.Churn)")
	flag.Parse()
	if flag.NArg() > 0 || *events == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if *churn > 0 {
		err = runChurn(*out, *churn, *gz, *quiet)
	} else {
		err = run(*in, *out, *events, *ranges, *gz, *quiet)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbig:", err)
		os.Exit(1)
	}
}

func run(in, out string, n, ranges uint64, gz, quiet bool) error {
	start := time.Now()
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	src, err := replay.Load(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	src.Ranges = ranges
	var written uint64
	size, err := writeAtomic(out, func(w io.Writer) (err error) {
		written, err = src.Write(w, n, scap.WriterOptions{Compress: gz})
		return err
	})
	if err != nil {
		return err
	}
	if !quiet {
		rounds := src.Rounds(written)
		fmt.Fprintf(os.Stderr, "mkbig: %s: %d events (%d rounds of the %d in %s), %d threads in the process list, %d bytes, in %.1fs\n",
			out, written, rounds, src.Len(), in, src.Threads(rounds), size, time.Since(start).Seconds())
	}
	return nil
}

// writeAtomic writes a capture to out through fn: to a temporary name,
// buffered, then renamed, so that an interrupted run leaves no truncated
// capture behind. It returns the file's size.
func writeAtomic(out string, fn func(w io.Writer) error) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, err
	}
	tmp := out + ".tmp"
	o, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(o, 1<<20)
	err = fn(bw)
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
		return 0, fmt.Errorf("%s: %w", out, err)
	}
	var size int64
	if st, err := os.Stat(out); err == nil {
		size = st.Size()
	}
	return size, nil
}
