package recorder

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// Options configure a [Recorder].
type Options struct {
	// Budget is the memory of the ring and its checkpoints, in bytes:
	// the ring's events take [ringShare] of it, the checkpoints of the
	// model the rest.
	Budget int
	// Before is how far before the alert a capture starts.
	Before time.Duration
	// PathPrefix starts the captures' file names (see captureName).
	PathPrefix string
	// MaxEvents ends a capture after this many events (0: no limit).
	MaxEvents uint64
	// MaxFileSize ends a capture once its file is this long (0: no
	// limit).
	MaxFileSize int64
	// MaxFiles and MaxTotal bound the captures kept under PathPrefix, by
	// number and by bytes together; the oldest are removed first (0: no
	// limit).
	MaxFiles int
	MaxTotal int64
	// Base holds the machine, interfaces, users and groups of every
	// capture's section (the live start's snapshot).
	Base *scap.Section
	// Logger reports the captures that fail and the files removed; nil:
	// nothing is reported.
	Logger *slog.Logger
	// Scope is the part of the host a capture on alert shows; the events
	// of the rest are left out, or written state-only when they change
	// the model.
	Scope Scope
}

// Recorder is the flight recorder, a pipeline sink: it keeps the recent
// events in a [Ring] and the model as it was at checkpoints a little
// apart, and on [Recorder.Capture] has a capture written that starts
// Before the latest event, with the host's state at its start, and goes
// on with the live events. It runs on the pipeline's goroutine; only
// [Recorder.Stats] may be called from others. A capture whose time is up
// ends at the first later event, or, when none comes (a quiet host), by
// a timer, finishGrace after its end (counted from the alert).
//
// The files are written by a writer goroutine (see writer.go): asking for
// a capture costs the pipeline's goroutine a pick of the checkpoint, the
// container records and the alert's scope, not the writing. The writer
// reads the capture's events, from the checkpoint to the capture's end,
// in the ring itself, which keeps them for it (see [Ring]); when it falls
// behind and the ring has no room left, the live events that do not fit
// are left out of the capture and counted ([Stats].Dropped).
type Recorder struct {
	o     Options
	st    *state.State
	ring  *Ring
	cps   []checkpoint
	cpMax int    // memory the checkpoints may take
	big   bool   // a checkpoint alone outgrew cpMax (reported once)
	every uint64 // ns of event time between checkpoints
	// Checkpoint due at this event time, or once this many ring bytes
	// went by since the last.
	nextTS    uint64
	nextBytes int
	bytesCP   int
	pair      pairing
	last      uint64 // time of the latest event
	tid       int64  // thread of the latest event
	kept      bool   // the ring kept the latest event
	seen      uint64 // events seen
	cev       event.Event

	// The capture under way, shared with its timer, and the limits
	// new captures take (SetLimits changes them).
	mu     sync.Mutex
	lim    Limits
	cur    *capture
	active atomic.Bool // cur != nil
	timer  *time.Timer
	armed  uint64 // times the timer was armed

	// The writer goroutine and the captures it has to write.
	wmu     sync.Mutex
	jobs    []*job                    // oldest first; jobs[0] is being written
	done    chan struct{}             // closed when the writer goroutine ends; nil: none runs
	abort   atomic.Bool               // Close gave up waiting: the writer drops what it writes
	starved atomic.Bool               // the pipeline's goroutine waits for room in the ring
	freed   chan struct{}             // the writer let the ring drop events (when starved)
	wrapOut func(io.Writer) io.Writer // wraps the files' writers (tests)

	files, bytes, failed, dropped atomic.Uint64
}

// capture is the capture under way, as the pipeline's goroutine sees it.
type capture struct {
	j       *job
	end     uint64        // events after this time are not written
	gen     uint64        // the model's container generation written
	scoped  bool          // the capture shows a scope (widened by later alerts)
	stalled time.Duration // time waited for room in the ring
}

// When the ring has no room for a live event of a capture under way but
// the events held for the writer, the pipeline's goroutine waits for the
// writer to read some, stallMax at most for one event, and stallBudget at
// most for the whole capture; then the events that do not fit are left
// out of the capture.
var (
	stallMax    = 2 * time.Millisecond
	stallBudget = 50 * time.Millisecond
)

// finishGrace is how long after a capture's end its timer ends it, when
// no later event did: the time the events of its last moments may take
// to come through the probe's queues.
const finishGrace = time.Second

// minCheckpointEvery bounds how often checkpoints are taken by time.
const minCheckpointEvery = time.Second

// ringShare is the part of the budget the ring's events take; the model's
// checkpoints take the rest.
const ringShare = 0.75

// New returns a recorder of the events of the model st (the pipeline's,
// which applies each event before the recorder sees it).
func New(st *state.State, o Options) *Recorder {
	every := max(o.Before/2, minCheckpointEvery)
	ringBytes := int(float64(o.Budget) * ringShare)
	r := &Recorder{o: o, st: st, every: uint64(every), freed: make(chan struct{}, 1), cpMax: o.Budget - ringBytes, lim: o.limits()}
	r.ring = NewRing(ringBytes, o.Before+2*every)
	r.nextBytes = len(r.ring.slab) / 4
	return r
}

// Ring returns the recorder's ring.
func (r *Recorder) Ring() *Ring { return r.ring }

// Stats are what a recorder wrote.
type Stats struct {
	Files  uint64 // captures written
	Bytes  uint64 // bytes written to them
	Failed uint64 // captures that could not be written
	// Dropped counts the live events left out of captures under way: the
	// writer fell behind, and the ring had no room for them.
	Dropped uint64
}

// Stats returns what the recorder wrote; it may be called from any
// goroutine.
func (r *Recorder) Stats() Stats {
	return Stats{Files: r.files.Load(), Bytes: r.bytes.Load(), Failed: r.failed.Load(), Dropped: r.dropped.Load()}
}

// Before takes a checkpoint of the model, before it applies e, when one
// is due: every half of Before of event time (a second at least), or
// when the ring took a quarter of its slab since the last one, so that
// the ring always holds the events that follow one.
func (r *Recorder) Before(e *event.Event) error {
	if r.pair.paired(e) {
		return nil
	}
	if e.TS() < r.nextTS && r.bytesCP < r.nextBytes {
		return nil
	}
	sec := r.st.Section(r.o.Base)
	r.cps = append(r.cps, checkpoint{seq: r.ring.Head(), ts: e.TS(), sec: sec, mem: sectionMemory(sec)})
	r.cps = pruneCheckpoints(r.cps, r.ring.Tail())
	r.cps = fitCheckpoints(r.cps, r.cpMax)
	if c := r.cps[len(r.cps)-1]; c.mem > r.cpMax && !r.big && r.o.Logger != nil {
		r.big = true
		r.o.Logger.Warn("flight recorder: one checkpoint of the host's model takes more than its share of capture.ring_size_mb; raise it",
			"checkpoint_bytes", c.mem, "share_bytes", r.cpMax, "ring_size_bytes", r.o.Budget)
	}
	r.nextTS, r.bytesCP = e.TS()+r.every, 0
	return nil
}

// Limits are the settings of the captures a recorder writes that may
// change while it runs: each capture keeps those it started with.
type Limits struct {
	PathPrefix  string
	MaxEvents   uint64
	MaxFileSize int64
	MaxFiles    int
	MaxTotal    int64
	Scope       Scope
}

// limits returns the Limits of o.
func (o *Options) limits() Limits {
	return Limits{PathPrefix: o.PathPrefix, MaxEvents: o.MaxEvents, MaxFileSize: o.MaxFileSize,
		MaxFiles: o.MaxFiles, MaxTotal: o.MaxTotal, Scope: o.Scope}
}

// SetLimits changes the limits of the captures started from now on (a
// reload); the capture under way keeps its own. It may be called from
// any goroutine.
func (r *Recorder) SetLimits(l Limits) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lim = l
}

// Memory returns the memory the recorder holds: its ring and its
// checkpoints.
func (r *Recorder) Memory() int {
	n := r.ring.Memory()
	for _, c := range r.cps {
		n += c.mem
	}
	return n
}

// Event keeps e in the ring, and hands it to the capture under way.
func (r *Recorder) Event(e *event.Event, _ pipeline.Kind) error {
	brk := r.ring.brk
	seq, kept := r.ring.add(e.Raw(), e.CPU, e.DumpFlags)
	if !kept && r.active.Load() && len(e.Raw()) <= len(r.ring.slab) {
		seq, kept = r.stall(e, brk)
	}
	r.seen++
	r.bytesCP += len(e.Raw())
	r.last, r.tid, r.kept = e.TS(), e.TID(), kept
	if !kept {
		// The checkpoints are of events before this one: none leads to
		// the events the ring keeps from now on.
		r.cps = pruneCheckpoints(r.cps, r.ring.Head()+1)
	} else if len(r.cps) > 0 && r.cps[0].seq < r.ring.Tail() {
		r.cps = pruneCheckpoints(r.cps, r.ring.Tail())
	}
	if r.active.Load() {
		r.mu.Lock()
		if r.cur != nil {
			r.live(e, seq, kept)
		}
		r.mu.Unlock()
	}
	return nil
}

// stall waits, a bounded time, for the writer of the capture under way
// to read enough of the ring for it to take e, which it refused, and
// returns what the ring made of e in the end. brk is the ring's break
// before e.
func (r *Recorder) stall(e *event.Event, brk uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cur
	if c == nil || e.TS() > c.end || c.j.stopped.Load() || c.stalled >= stallBudget {
		return r.ring.Head(), false
	}
	start := time.Now()
	defer func() { c.stalled += time.Since(start) }()
	r.starved.Store(true)
	defer r.starved.Store(false)
	c.j.signal()
	t := time.NewTimer(min(stallMax, stallBudget-c.stalled))
	defer t.Stop()
	for {
		select {
		case <-r.freed:
		case <-t.C:
			return r.ring.Head(), false
		}
		r.ring.refused-- // counted again if refused again
		if seq, kept := r.ring.add(e.Raw(), e.CPU, e.DumpFlags); kept {
			r.ring.brk = brk // nothing was left out after all
			return seq, true
		}
	}
}

// Close ends the capture under way, waits (closeWait at most) for the
// writer to finish the captures it holds, and returns why those that
// failed did.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.cur != nil {
		r.end()
	}
	r.mu.Unlock()
	return r.wait(closeWait)
}

// arm (re)starts the timer that ends the capture under way when no
// event after its end comes: finishGrace after its end, counted from
// now, the time of the latest event. r.mu is held.
func (r *Recorder) arm() {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.armed++
	gen := r.armed
	wait := time.Duration(r.cur.end-min(r.cur.end, r.last)) + finishGrace
	r.timer = time.AfterFunc(wait, func() { r.expire(gen) })
}

// expire ends the capture under way, unless the timer was armed again
// since it started (gen).
func (r *Recorder) expire(gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && gen == r.armed {
		r.end()
	}
}

// end ends the capture under way: the writer writes the events handed
// to it so far, then finishes the file. r.mu is held.
func (r *Recorder) end() {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.cur.j.close()
	r.cur = nil
	r.active.Store(false)
}

// Capture makes sure a capture covers the latest event (the one that
// raised an alert) from Before it to after past it, in the scope of the
// limits' Scope, and returns the path the capture will have once it
// ends. A capture under way is extended rather than a new one started.
func (r *Recorder) Capture(after time.Duration) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.capture(after, r.lim.Scope)
}

// CaptureScope is [Recorder.Capture] in scope sc, around the thread of
// the latest event. A capture under way is extended, its scope widened
// to hold the new alert's (from now on). When the model does not know
// the latest event's thread, the capture shows every event.
//
// It does not write: it picks the checkpoint the capture starts from,
// makes the records of the model's containers and the alert's scope,
// and hands them to the writer goroutine, with the ring's events from
// the checkpoint on, which the ring keeps until the writer has read them.
// A file that cannot be written is reported by the writer (logged,
// counted in [Stats].Failed, and returned by [Recorder.Close] when it
// waited for it).
func (r *Recorder) CaptureScope(after time.Duration, sc Scope) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.capture(after, sc)
}

// capture is CaptureScope with r.mu held.
func (r *Recorder) capture(after time.Duration, sc Scope) (string, error) {
	end := r.last + uint64(max(after, 0))
	if r.cur != nil && r.cur.j.stopped.Load() {
		r.end() // the writer ended it (a limit, an error)
	}
	if r.cur != nil {
		r.extend(end, sc)
		return r.cur.j.path, nil
	}
	if r.seen == 0 {
		return "", fmt.Errorf("capture: no event recorded yet")
	}
	head := r.ring.Head()
	from := r.last - min(r.last, uint64(r.o.Before))
	w, ok := pickWindow(r.cps, r.ring.Tail(), from)
	if !ok {
		// The ring lost the events since every checkpoint: the capture
		// starts at the alert, with the model as it is (and without the
		// alert's event when the ring could not keep it).
		w = window{cp: checkpoint{seq: head, ts: r.last, sec: r.st.Section(r.o.Base)}, visible: r.last}
		if r.kept {
			w.cp.seq = head - 1
		} else {
			r.dropped.Add(1)
		}
	}
	j := newJob(captureName(r.lim.PathPrefix, r.last, head), w, head, r.lim)
	c := &capture{j: j, end: end}
	first := r.last
	if e, ok := r.ring.Get(w.cp.seq); ok {
		first = e.TS
	}
	var err error
	if j.ctrs, err = r.containers(c, first); err != nil {
		r.failed.Add(1)
		return "", fmt.Errorf("capture %s: %w", j.path, err)
	}
	if sc != ScopeAll {
		j.scope = newScope()
		if !j.scope.add(r.st, r.tid, sc) {
			j.scope = nil
			if r.o.Logger != nil {
				r.o.Logger.Warn("capture shows every event: the alert's thread is not in the model", "scope", sc.String(), "tid", r.tid)
			}
		}
		c.scoped = j.scope != nil
	}
	r.submit(j)
	r.cur = c
	r.active.Store(true)
	r.arm()
	return j.path, nil
}

// extend makes the capture under way go on until end at least, and
// widens its scope to hold the alert of the latest event's thread in sc,
// from the next event on. r.mu is held.
func (r *Recorder) extend(end uint64, sc Scope) {
	c := r.cur
	c.end = max(c.end, end)
	if c.scoped {
		o := op{seq: r.ring.Head()}
		if sc != ScopeAll {
			o.widen = newScope()
			if !o.widen.add(r.st, r.tid, sc) {
				o.widen = nil
			}
		}
		c.scoped = o.widen != nil
		c.j.post(o)
	}
	r.arm()
}

// containers returns a record of each container of the model newer than
// the capture's generation, at time ts, and notes the generation.
func (r *Recorder) containers(c *capture, ts uint64) ([][]byte, error) {
	if r.st.ContainerGen() == c.gen {
		return nil, nil
	}
	var recs [][]byte
	for _, ctr := range pipeline.ContainersByGen(r.st) {
		if ctr.Gen() <= c.gen {
			continue
		}
		rec, err := pipeline.ContainerRecord(nil, &r.cev, ts, ctr)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	c.gen = r.st.ContainerGen()
	return recs, nil
}

// live hands the live event e, numbered seq in the ring (when the ring
// kept it), to the capture under way, or ends the capture when its time
// is up or the writer ended it. r.mu is held.
func (r *Recorder) live(e *event.Event, seq uint64, kept bool) {
	c := r.cur
	if e.TS() > c.end || c.j.stopped.Load() {
		r.end()
		return
	}
	if !kept {
		r.dropped.Add(1)
		c.j.dropped.Add(1)
		return
	}
	if r.st.ContainerGen() != c.gen {
		recs, err := r.containers(c, e.TS())
		if err != nil {
			r.log("capture: container records", err)
		}
		if len(recs) > 0 {
			c.j.post(op{seq: seq, recs: recs})
		}
	}
	c.j.publish(seq + 1)
}

func (r *Recorder) log(msg string, err error) {
	if r.o.Logger != nil {
		r.o.Logger.Warn(msg, "error", err)
	}
}
