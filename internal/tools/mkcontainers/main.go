// Command mkcontainers writes testdata/captures/containers.scap, a small
// deterministic capture of processes in containers of several runtimes:
// threads whose cgroups name docker (cgroupfs and systemd), containerd
// (CRI, systemd) and cri-o containers, the container records sysdig and
// Falco write into captures (container JSON events), and process and file
// events of those processes.
//
//	go run ./internal/tools/mkcontainers -o testdata/captures/containers.scap
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "testdata/captures/containers.scap", "capture to write")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkcontainers:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	err = capture(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
