package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
)

// DefaultQueueCapacity is the capacity of each output's queue when
// outputs_queue.capacity is 0. Falco's 0 means unbounded; Kestrel keeps
// every queue bounded so that a dead output costs a known amount of
// memory, and counts what it drops.
const DefaultQueueCapacity = 1024

// closeGrace is how long Close waits, after its deadline, for the workers
// to see that their deliveries were aborted.
const closeGrace = 250 * time.Millisecond

// Options configure a [Fanout]; the zero value has no output. The fields
// are falco.yaml's keys, named in each comment; applying Falco's defaults
// (stdout and syslog enabled) is the configuration's work.
type Options struct {
	// Format is json_output and the json_include_* keys, for the stdout,
	// file, syslog and program outputs. The HTTP output always posts the
	// JSON form, with Format.JSONOptions.
	Format Format
	// Buffered is buffered_outputs. When false, each alert is written out
	// as soon as it is sent; when true, writes to stdout, the file and the
	// program are buffered and flushed at least every second.
	Buffered bool
	// QueueCapacity is outputs_queue.capacity: the number of alerts each
	// output may have waiting. 0 means [DefaultQueueCapacity].
	QueueCapacity int
	// Version is Kestrel's version, for the HTTP user agent.
	Version string

	Stdout  StdoutOptions  // stdout_output
	Syslog  SyslogOptions  // syslog_output
	File    FileOptions    // file_output
	HTTP    HTTPOptions    // http_output
	Program ProgramOptions // program_output

	// Sinks are more outputs, each with its own queue and worker like the
	// built-in ones. Names must be unique.
	Sinks []Sink

	// Logger receives delivery errors, a few lines per failing output at
	// most; nil discards them.
	Logger *slog.Logger
}

// Fanout hands each alert to every output through the output's own
// bounded queue and worker.
type Fanout struct {
	workers []*worker
	cancel  context.CancelFunc
	log     *slog.Logger

	mu     sync.RWMutex // Publish holds it for reading; Close, to mark closed
	closed bool
}

// New builds the enabled outputs and starts one worker for each.
func New(o Options) (*Fanout, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	capacity := o.QueueCapacity
	if capacity < 0 {
		return nil, fmt.Errorf("outputs_queue.capacity %d: must not be negative", capacity)
	}
	if capacity == 0 {
		capacity = DefaultQueueCapacity
	}
	sinks, err := o.sinks(log)
	if err != nil {
		return nil, err
	}
	var flush time.Duration
	if o.Buffered {
		flush = flushEvery
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fanout{cancel: cancel, log: log}
	for _, s := range sinks {
		w := newWorker(s, capacity, flush, log)
		f.workers = append(f.workers, w)
		go w.run(ctx)
	}
	return f, nil
}

// sinks builds the enabled outputs.
func (o *Options) sinks(log *slog.Logger) ([]Sink, error) {
	var sinks []Sink
	var errs []error
	add := func(s Sink, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		sinks = append(sinks, s)
	}
	if o.Stdout.Enabled {
		add(newStdout(o.Stdout, o.Format, o.Buffered), nil)
	}
	if o.Syslog.Enabled {
		add(newSyslog(o.Syslog, o.Format))
	}
	if o.File.Enabled {
		add(newFile(o.File, o.Format, o.Buffered))
	}
	if o.HTTP.Enabled {
		add(newHTTP(o.HTTP, o.Format.JSONOptions, o.Version))
	}
	if o.Program.Enabled {
		add(newProgram(o.Program, o.Format, o.Buffered, log))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sinks = append(sinks, o.Sinks...)
	return sinks, uniqueNames(sinks)
}

func uniqueNames(sinks []Sink) error {
	seen := map[string]bool{}
	for _, s := range sinks {
		if seen[s.Name()] {
			return fmt.Errorf("output %q: configured twice", s.Name())
		}
		seen[s.Name()] = true
	}
	return nil
}

// Publish queues a for every output. It never blocks: an output whose
// queue is full drops the alert and counts it. a's strings and bytes are
// shared by the outputs, read-only.
func (f *Fanout) Publish(a alert.Alert) {
	if !f.mu.TryRLock() { // Close holds it: closing
		f.dropAll(DropClosed)
		return
	}
	defer f.mu.RUnlock()
	if f.closed {
		f.dropAll(DropClosed)
		return
	}
	for _, w := range f.workers {
		w.enqueue(&a)
	}
}

func (f *Fanout) dropAll(r DropReason) {
	for _, w := range f.workers {
		w.c.drop(r)
	}
}

// Stats returns each output's counters, in the order the outputs were
// built. It may be called from any goroutine.
func (f *Fanout) Stats() []OutputStats {
	s := make([]OutputStats, len(f.workers))
	for i, w := range f.workers {
		s[i] = w.stats()
	}
	return s
}

// Reopen asks each output that can to start afresh (Falco does it on
// SIGUSR1): the file output reopens its file, the program output restarts
// its program. It does not wait.
func (f *Fanout) Reopen() {
	for _, w := range f.workers {
		select {
		case w.reopen <- struct{}{}:
		default: // one request is already pending
		}
	}
}

// Close stops taking alerts, lets every output send what is queued and
// flush, and stops the workers and programs. At ctx's deadline it aborts
// what is still in flight and counts every alert not delivered as dropped
// for "shutdown". A worker blocked in a write nothing can interrupt (a
// full standard output pipe nobody reads) is left behind and reported in
// the error.
func (f *Fanout) Close(ctx context.Context) error {
	f.mu.Lock()
	already := f.closed
	f.closed = true
	f.mu.Unlock()
	if already {
		return errors.New("close outputs: already closed")
	}
	for _, w := range f.workers {
		close(w.drain)
	}
	var errs []error
	if !f.wait(ctx.Done()) {
		errs = append(errs, fmt.Errorf("close outputs: %w", ctx.Err()))
		f.cancel()
		grace, stop := context.WithTimeout(context.Background(), closeGrace)
		f.wait(grace.Done())
		stop()
	}
	f.cancel()
	return errors.Join(append(errs, f.finish()...)...)
}

// wait waits until every worker has stopped or stop is ready; it reports
// whether every worker stopped.
func (f *Fanout) wait(stop <-chan struct{}) bool {
	for _, w := range f.workers {
		select {
		case <-w.done:
			continue // stopped, whether or not stop is ready
		default:
		}
		select {
		case <-w.done:
		case <-stop:
			return false
		}
	}
	return true
}

// finish collects the workers' errors and drops what stuck workers hold.
func (f *Fanout) finish() []error {
	var errs []error
	for _, w := range f.workers {
		select {
		case <-w.done:
			errs = append(errs, w.err)
		default:
			w.dropQueued()
			f.log.Error("output still busy after close deadline", "output", w.sink.Name())
			errs = append(errs, fmt.Errorf("%s: %w", w.sink.Name(), errStuck))
		}
	}
	return errs
}
