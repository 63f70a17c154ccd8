package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/recorder"
	"github.com/kestrel-sec/kestrel/scap"
)

// RingOptions configure `kestrel capture --ring`: record nothing to disk
// until it matters, then write the recent past.
type RingOptions struct {
	Enabled bool
	// Trigger is a filter: the first event it matches has a capture
	// written around it, then the command ends. Empty: only SIGUSR2
	// asks for captures, as many as it is sent.
	Trigger string
	Before  time.Duration // how far before the trigger a capture starts
	After   time.Duration // how far past it a capture goes on
	Memory  int           // MiB the ring of recent events may use
}

// Defaults of the ring's options.
const (
	DefaultRingBefore = 5 * time.Second
	DefaultRingAfter  = 5 * time.Second
	DefaultRingMemory = 64
)

// ringTrigger is the sink after the recorder: it asks the recorder for a
// capture when the trigger filter first matches an event, or when SIGUSR2
// came, and reports the capture's path.
type ringTrigger struct {
	rec     *recorder.Recorder
	p       *pipeline.Pipeline
	prog    *filter.Program
	o       RingOptions
	stderr  io.Writer
	asked   atomic.Bool // SIGUSR2 came
	fired   bool        // the trigger matched
	stop    context.CancelFunc
	stopped bool
	until   uint64 // event time at which the command ends (after a trigger)
}

func (r *ringTrigger) Event(e *event.Event, k pipeline.Kind) error {
	if r.fired && e.TS() >= r.until && !r.stopped {
		r.stopped = true
		r.stop()
		return nil
	}
	if r.asked.CompareAndSwap(true, false) {
		r.capture("SIGUSR2")
	}
	if r.prog != nil && !r.fired && k == pipeline.Shown && r.prog.Match(r.p.Context()) {
		r.fired = true
		r.until = e.TS() + uint64(r.o.After)
		r.capture("the trigger matched " + e.Info().Name)
	}
	return nil
}

func (r *ringTrigger) capture(why string) {
	path, err := r.rec.Capture(r.o.After)
	if err != nil {
		fmt.Fprintf(r.stderr, "kestrel: capture (%s): %v\n", why, err)
		return
	}
	fmt.Fprintf(r.stderr, "kestrel: %s: writing %s (from %v before to %v after)\n", why, path, r.o.Before, r.o.After)
}

func (r *ringTrigger) Close() error { return nil }

// addRing adds the recorder and its trigger to p: nothing is written
// until the trigger matches or SIGUSR2 comes; captures are named after
// o.Write. It returns the context the capture runs under (ended after a
// trigger's capture) and a function that stops listening for SIGUSR2.
func addRing(ctx context.Context, p *pipeline.Pipeline, sec *scap.Section, o CaptureOptions, stderr io.Writer) (context.Context, func(), error) {
	var prog *filter.Program
	if o.Ring.Trigger != "" {
		var err error
		if prog, err = compileFilter(o.Ring.Trigger, stderr); err != nil {
			return ctx, nil, err
		}
	}
	rec := recorder.New(p.State(), recorder.Options{Budget: o.Ring.Memory << 20, Before: o.Ring.Before,
		PathPrefix: o.Write, Base: sec})
	ctx, cancel := context.WithCancel(ctx)
	t := &ringTrigger{rec: rec, p: p, prog: prog, o: o.Ring, stderr: stderr, stop: cancel}
	p.Add(rec, t)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR2)
	go func() {
		for {
			select {
			case <-sigs:
				t.asked.Store(true)
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }, nil
}
