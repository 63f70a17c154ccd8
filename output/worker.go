package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
)

// flushEvery is how often buffered outputs are flushed at least.
const flushEvery = time.Second

// worker owns one sink: it takes alerts from the sink's queue and sends
// them, flushes buffered writes, and reopens the sink when asked.
type worker struct {
	sink   Sink
	q      chan alert.Alert
	reopen chan struct{} // capacity 1: one pending request is enough
	drain  chan struct{} // closed by Close: send what is queued, then stop
	done   chan struct{} // closed when the worker has stopped
	c      counters
	fails  failLog
	drops  dropLog
	flush  time.Duration // 0: the sink does not buffer
	buf    []byte
	err    error // from closing the sink; read after done
}

func newWorker(s Sink, capacity int, flush time.Duration, log *slog.Logger) *worker {
	log = log.With("output", s.Name())
	return &worker{
		sink:   s,
		q:      make(chan alert.Alert, capacity),
		reopen: make(chan struct{}, 1),
		drain:  make(chan struct{}),
		done:   make(chan struct{}),
		fails:  failLog{log: log, every: logEvery},
		drops:  dropLog{log: log, every: logEvery},
		flush:  flush,
	}
}

// enqueue queues a without blocking, or counts it dropped.
func (w *worker) enqueue(a *alert.Alert) {
	select {
	case w.q <- *a:
	default:
		w.c.drop(DropQueueFull)
		w.drops.dropped(w.c.load(DropQueueFull))
	}
}

// run is the worker's goroutine. ctx ends when Close gives up.
func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	var tick <-chan time.Time
	if w.flush > 0 {
		t := time.NewTicker(w.flush)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case a := <-w.q:
			w.deliver(ctx, &a)
		case <-tick:
			w.flushSink(ctx)
		case <-w.reopen:
			w.reopenSink(ctx)
		case <-w.drain:
			w.drainQueue(ctx)
			w.closeSink(ctx)
			return
		}
	}
}

func (w *worker) deliver(ctx context.Context, a *alert.Alert) {
	if ctx.Err() != nil {
		w.c.drop(DropShutdown)
		return
	}
	w.buf = w.sink.Render(w.buf[:0], a)
	err := w.sink.Send(ctx, w.buf)
	switch {
	case err == nil:
		w.c.sent.Add(1)
		w.fails.succeeded()
	case ctx.Err() != nil:
		w.c.drop(DropShutdown)
	default:
		w.c.failed.Add(1)
		w.fails.failed(err)
	}
}

// drainQueue sends what is queued, without waiting for more.
func (w *worker) drainQueue(ctx context.Context) {
	for {
		select {
		case a := <-w.q:
			w.deliver(ctx, &a)
		default:
			return
		}
	}
}

func (w *worker) flushSink(ctx context.Context) {
	if err := w.sink.Flush(ctx); err != nil {
		w.fails.failed(fmt.Errorf("flush: %w", err))
	}
}

func (w *worker) reopenSink(ctx context.Context) {
	r, ok := w.sink.(Reopener)
	if !ok {
		return
	}
	if err := r.Reopen(ctx); err != nil {
		w.fails.failed(fmt.Errorf("reopen: %w", err))
	}
}

func (w *worker) closeSink(ctx context.Context) {
	if err := w.sink.Close(ctx); err != nil {
		w.err = fmt.Errorf("close %s output: %w", w.sink.Name(), err)
		w.fails.log.Error("close output", "err", err)
	}
}

// dropQueued empties the queue, counting each alert dropped for shutdown.
// Close calls it for a worker stuck past the deadline.
func (w *worker) dropQueued() {
	for {
		select {
		case <-w.q:
			w.c.drop(DropShutdown)
		default:
			return
		}
	}
}

func (w *worker) stats() OutputStats { return w.c.snapshot(w.sink.Name(), len(w.q)) }

// errStuck is returned by Close for outputs still busy after it gave up.
var errStuck = errors.New("output still busy after close deadline")
