package app

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Explain loads the configuration and the rules as 'kestrel run' would and
// prints what the probe would be told: the system calls it reports, and
// for each selected rule on opens, which opens it may match, and the
// filter the kernel applies from them (kernel_filter).
func Explain(o RunOptions, stdout, stderr io.Writer) error {
	cfg, err := loadRunConfig(o, stderr)
	if err != nil {
		return err
	}
	a := &agent{o: o, stdout: stdout, stderr: stderr, log: newLogger(cfg, stderr)}
	eng, err := a.compile(cfg)
	if err != nil {
		return err
	}
	if names := runSyscalls(eng, cfg); names == nil {
		fmt.Fprintln(stdout, "syscalls: every syscall (a selected rule may match any event type)")
	} else {
		names = slices.Compact(slices.Sorted(slices.Values(names)))
		fmt.Fprintf(stdout, "syscalls: %d, and those the host model needs: %s\n", len(names), strings.Join(names, " "))
	}
	_, rep := kernelFilter(eng, cfg)
	_, err = rep.WriteTo(stdout)
	return err
}
