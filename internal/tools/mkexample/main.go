// Command mkexample writes examples/session.scap, the small capture
// Kestrel ships (see internal/example).
//
//	go run ./internal/tools/mkexample -o examples/session.scap
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/kestrel-sec/kestrel/internal/example"
)

func main() {
	out := flag.String("o", "examples/session.scap", "capture to write")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkexample:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = example.Write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
