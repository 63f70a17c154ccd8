package recorder

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// The captures are written off the pipeline's goroutine, by one writer
// goroutine that runs while there are captures to write, one after the
// other, oldest first.
//
// The pipeline's goroutine hands a capture over as a job: the checkpoint
// it starts from (whose section nothing changes), the container records
// and the scope made from the model at the alert, and the range of the
// ring's events it holds, from the checkpoint to the latest handed over
// (job.avail, which grows with the live events). It copies no event: the
// ring keeps every event of a job, from what the writer has read on, until
// the writer is done with it (the ring's hold, the lowest such number of
// the jobs; see [Ring]). While the writer reads, the ring keeps on taking
// the new events in the room left, and drops its oldest events but those.
// So the ring is the queue between the two goroutines, bounded by its
// budget: when the writer falls behind and the ring has no room left but
// the events held for it, the ring refuses the new events, which are left
// out of the capture and counted (Stats.Dropped); the pipeline's goroutine
// never waits for the writer.

// closeWait bounds how long Close waits for the writer to finish.
var closeWait = 10 * time.Second

// Writer pacing: the pipeline's goroutine wakes the writer every
// wakeEvery events it hands over (and when a capture ends), the writer
// looks for new events every pollEvery when not woken, and lets the ring
// drop the events it has read every releaseEvery events.
const (
	wakeEvery    = 256
	pollEvery    = 20 * time.Millisecond
	releaseEvery = 4096
	// maxOps bounds the changes of a job waiting for the writer; beyond
	// it, a widening of the scope is merged into the previous one.
	maxOps = 256
)

// job is a capture handed to the writer.
type job struct {
	path  string
	w     window   // the checkpoint the capture starts from
	alert uint64   // the events numbered from alert on came after the alert
	ctrs  [][]byte // container records, written first
	scope *scope   // what the capture shows (nil: every event); the writer's
	lim   Limits   // the recorder's limits when the capture started

	avail   atomic.Uint64 // the capture's events are those below avail
	stopped atomic.Bool   // the writer ended the capture (a limit, an error)
	dropped atomic.Uint64 // live events left out
	wake    chan struct{}
	woken   uint64 // avail when the writer was last woken (the pipeline's goroutine)

	mu     sync.Mutex
	ops    []op // changes for the writer, by event number
	closed bool // no more events: the capture ends with those below avail

	// Under the recorder's wmu.
	read uint64 // the writer read the events below read
	err  error  // why the capture failed
}

// op is a change to a capture from the event numbered seq on: container
// records to write before it, or a wider scope.
type op struct {
	seq   uint64
	recs  [][]byte
	widen *scope // the scope of a later alert; nil (without recs): every event
}

func newJob(path string, w window, head uint64, lim Limits) *job {
	j := &job{path: path, w: w, alert: head, lim: lim, wake: make(chan struct{}, 1)}
	j.avail.Store(head)
	return j
}

// publish hands the events below n to the writer.
func (j *job) publish(n uint64) {
	j.avail.Store(n)
	if n-j.woken >= wakeEvery {
		j.woken = n
		j.signal()
	}
}

// post hands a change to the writer.
func (j *job) post(o op) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if n := len(j.ops); n >= maxOps && o.recs == nil && o.widen != nil && j.ops[n-1].widen != nil {
		j.ops[n-1].widen.merge(o.widen)
		return
	}
	j.ops = append(j.ops, o)
}

// close ends the capture with the events handed over.
func (j *job) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.signal()
}

func (j *job) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// submit hands j to the writer, starting it when it does not run. The
// ring keeps j's events from now on.
func (r *Recorder) submit(j *job) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	j.read = j.w.cp.seq
	r.jobs = append(r.jobs, j)
	r.setHold()
	if r.done == nil {
		r.done = make(chan struct{})
		go r.run(r.done)
	}
}

// setHold sets the ring's hold to the lowest event a job still reads.
// r.wmu is held.
func (r *Recorder) setHold() {
	low := noHold
	for _, j := range r.jobs {
		low = min(low, j.read)
	}
	r.ring.hold.Store(low)
}

// release lets the ring drop j's events below seq.
func (r *Recorder) release(j *job, seq uint64) {
	r.wmu.Lock()
	j.read = seq
	r.setHold()
	r.wmu.Unlock()
	if r.starved.Load() {
		select {
		case r.freed <- struct{}{}:
		default:
		}
	}
}

// run is the writer goroutine: it writes the jobs, and ends (closing done)
// when none is left.
func (r *Recorder) run(done chan struct{}) {
	for {
		r.wmu.Lock()
		if len(r.jobs) == 0 {
			r.done = nil
			r.wmu.Unlock()
			close(done)
			return
		}
		j := r.jobs[0]
		r.wmu.Unlock()
		err := r.writeJob(j)
		r.wmu.Lock()
		j.err = err
		r.jobs[0] = nil
		r.jobs = r.jobs[1:]
		r.setHold()
		r.wmu.Unlock()
	}
}

// wait waits, d at most, for the writer to write the jobs it holds, and
// returns why those that failed did. When d runs out, the writer drops
// what it writes.
func (r *Recorder) wait(d time.Duration) error {
	r.wmu.Lock()
	done, jobs := r.done, append([]*job(nil), r.jobs...)
	r.wmu.Unlock()
	if done != nil {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			r.abort.Store(true)
			return fmt.Errorf("capture: the writer did not finish %d capture(s) within %v; they are dropped", len(jobs), d)
		}
	}
	var errs []error
	r.wmu.Lock()
	for _, j := range jobs {
		errs = append(errs, j.err)
	}
	r.wmu.Unlock()
	return errors.Join(errs...)
}

var errAborted = errors.New("dropped: the recorder was closed before the capture was written")

// writeJob writes the capture j: its file, the checkpoint's section,
// the container records, then its events from the ring as they come,
// until the capture ends or a limit is reached; it finishes the file,
// counts it and applies the bounds on the captures kept.
func (r *Recorder) writeJob(j *job) error {
	defer j.stopped.Store(true)
	if r.abort.Load() {
		err := fmt.Errorf("capture %s: %w", j.path, errAborted)
		r.failed.Add(1)
		r.log("capture failed", err)
		return err
	}
	f, err := createFile(j.path, j.w.cp.sec, scap.WriterOptions{Profile: scap.ProfileSysdig029}, r.wrapOut)
	if err == nil {
		w := &jobWriter{r: r, j: j, f: f, v: r.ring.view(), scope: j.scope}
		if err = w.run(); err != nil {
			f.abort()
		}
	}
	if err != nil {
		r.failed.Add(1)
		r.log("capture failed", err)
		return err
	}
	n, err := f.finish()
	if err != nil {
		r.failed.Add(1)
		r.log("capture failed", err)
		return err
	}
	r.files.Add(1)
	r.bytes.Add(uint64(n))
	if r.o.Logger != nil {
		r.o.Logger.Info("capture written", "path", f.path, "events", f.events, "bytes", n, "dropped", j.dropped.Load())
		if d := j.dropped.Load(); d > 0 {
			r.o.Logger.Warn("capture misses events: its writer fell behind and the ring was full", "path", f.path, "dropped", d)
		}
	}
	removed, err := prune(j.lim.PathPrefix, j.lim.MaxFiles, j.lim.MaxTotal)
	if err != nil {
		r.log("removing old captures", err)
	}
	if len(removed) > 0 && r.o.Logger != nil {
		r.o.Logger.Info("old captures removed", "files", removed)
	}
	return nil
}

// jobWriter writes one capture, on the writer goroutine.
type jobWriter struct {
	r     *Recorder
	j     *job
	f     *file
	v     view
	scope *scope
	// then is the model as the capture's reader knows it at the event
	// written, for a scoped capture: the checkpoint's, with the events
	// applied one by one (the processes that ended before the alert are
	// known, and the live events are judged as a reader sees them).
	then *state.State
	ev   event.Event
}

// run writes the container records, then the events of the capture:
// those before the window state-only, those from the window on shown
// (in the scope), until the capture ends or a limit is reached.
func (w *jobWriter) run() error {
	j, o := w.j, &w.j.lim
	for _, rec := range j.ctrs {
		if err := w.ev.Reset(rec); err != nil {
			return fmt.Errorf("capture %s: %w", j.path, err)
		}
		w.ev.DumpFlags = event.DumpFlagStateOnly
		if err := w.f.write(&w.ev); err != nil {
			return err
		}
	}
	if w.scope != nil {
		w.then = state.FromSection(j.w.cp.sec)
	}
	var pending []op
	poll := time.NewTimer(pollEvery)
	defer poll.Stop()
	seq, released := j.w.cp.seq, j.w.cp.seq
	for {
		avail := j.avail.Load()
		j.mu.Lock()
		pending = append(pending, j.ops...)
		clear(j.ops)
		j.ops = j.ops[:0]
		closed := j.closed
		j.mu.Unlock()
		if closed {
			avail = j.avail.Load() // the last events, handed over before the end
		}
		for ; seq < avail; seq++ {
			for len(pending) > 0 && pending[0].seq <= seq {
				if err := w.apply(pending[0], seq); err != nil {
					return err
				}
				pending = pending[1:]
			}
			re := w.v.get(seq)
			if err := w.ev.Reset(re.Rec); err != nil {
				return fmt.Errorf("capture %s: event %d: %w", j.path, seq, err)
			}
			w.ev.CPU, w.ev.DumpFlags = re.CPU, re.Flags
			if w.scope != nil {
				w.then.Apply(&w.ev)
			}
			if err := w.write(&w.ev, seq >= j.alert || re.TS >= j.w.visible); err != nil {
				return err
			}
			if seq >= j.alert && ((o.MaxEvents > 0 && w.f.events >= o.MaxEvents) || (o.MaxFileSize > 0 && w.f.size() >= o.MaxFileSize)) {
				return nil
			}
			if seq-released >= releaseEvery || w.r.starved.Load() {
				if w.r.abort.Load() {
					return fmt.Errorf("capture %s: %w", j.path, errAborted)
				}
				w.r.release(j, seq+1)
				released = seq + 1
			}
		}
		if seq != released {
			w.r.release(j, seq)
			released = seq
		}
		if closed {
			return nil
		}
		if seq < j.avail.Load() {
			continue
		}
		select {
		case <-j.wake:
		case <-poll.C:
		}
		if w.r.abort.Load() {
			return fmt.Errorf("capture %s: %w", j.path, errAborted)
		}
		poll.Reset(pollEvery)
	}
}

// apply makes the change o before the event seq.
func (w *jobWriter) apply(o op, seq uint64) error {
	switch {
	case o.recs != nil:
		for _, rec := range o.recs {
			if err := w.ev.Reset(rec); err != nil {
				return fmt.Errorf("capture %s: %w", w.j.path, err)
			}
			w.ev.DumpFlags = event.DumpFlagStateOnly
			if err := w.f.write(&w.ev); err != nil {
				return err
			}
		}
	case w.scope == nil:
	case o.widen != nil:
		w.scope.merge(o.widen)
	default:
		w.scope, w.then = nil, nil
	}
	return nil
}

// write writes e to the capture, as the model w.then knows its thread:
// shown when it is in the capture's window (inWindow) and scope;
// otherwise state-only when a reader needs the change it makes to the
// model (see scope.keeps), or not at all.
func (w *jobWriter) write(e *event.Event, inWindow bool) error {
	keep := true
	if w.scope != nil {
		th := w.then.Thread(e.TID())
		if !w.scope.has(w.then, th) {
			inWindow, keep = false, w.scope.keeps(th, e)
		}
	}
	if inWindow {
		return w.f.write(e)
	}
	if !keep || !changesModel(e) {
		return nil
	}
	saved := e.DumpFlags
	e.DumpFlags |= event.DumpFlagStateOnly
	err := w.f.write(e)
	e.DumpFlags = saved
	return err
}
