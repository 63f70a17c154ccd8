// Command kestrel is runtime security and system-call forensics for Linux:
// it watches a host's system calls and judges them against Falco rules,
// and it reads, prints and writes .scap captures the way sysdig does.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kestrel-sec/kestrel/internal/app"
)

// stopGrace is how long a command has, after SIGINT or SIGTERM, to stop
// on its own (drain, flush its outputs, print its summary) before Kestrel
// exits anyway: a command blocked on a stalled pipe or on a FIFO nobody
// opens stops within this time. A second signal exits at once.
const stopGrace = 5 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopped atomic.Int32 // the exit status of the signal that stopped Kestrel
	stopOnSignal(cancel, &stopped, os.Stderr, stopGrace)
	cmd := newRootCmd()
	err := cmd.ExecuteContext(ctx)
	switch {
	case err != nil && errors.Is(err, context.Canceled) && stopped.Load() != 0:
		fmt.Fprintln(os.Stderr, "kestrel: interrupted")
		os.Exit(int(stopped.Load()))
	case err != nil:
		fmt.Fprintln(os.Stderr, "kestrel:", err)
		if errors.Is(err, app.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// stopOnSignal cancels the commands' context at the first SIGINT or
// SIGTERM, setting stopped to the exit status it calls for (128 + the
// signal's number), and exits with that status at a second signal or
// when grace has passed since the first.
func stopOnSignal(cancel context.CancelFunc, stopped *atomic.Int32, stderr io.Writer, grace time.Duration) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		code := int32(130)
		if sig == syscall.SIGTERM {
			code = 143
		}
		stopped.Store(code)
		cancel()
		select {
		case <-sigs:
			fmt.Fprintf(stderr, "kestrel: %v again: stopping now\n", sig)
		case <-time.After(grace):
			fmt.Fprintf(stderr, "kestrel: still busy %v after %v: stopping now\n", grace, sig)
		}
		os.Exit(int(code))
	}()
}
