package recorder

import (
	"fmt"
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
	// Budget is the memory of the ring, in bytes.
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
// apart, and on [Recorder.Capture] writes a capture that starts Before
// the latest event, with the host's state at its start, and goes on with
// the live events. It runs on the pipeline's goroutine; only
// [Recorder.Stats] may be called from others. A capture whose time is up
// ends at the first later event, or, when none comes (a quiet host), by
// a timer, finishGrace after its end (counted from the alert).
type Recorder struct {
	o     Options
	st    *state.State
	ring  *Ring
	cps   []checkpoint
	every uint64 // ns of event time between checkpoints
	// Checkpoint due at this event time, or once this many ring bytes
	// went by since the last.
	nextTS    uint64
	nextBytes int
	bytesCP   int
	pair      pairing
	last      uint64 // time of the latest event
	tid       int64  // thread of the latest event
	ev        event.Event
	rec       []byte

	// The capture under way, shared with its timer.
	mu     sync.Mutex
	cur    *capture
	active atomic.Bool // cur != nil
	timer  *time.Timer
	armed  uint64 // times the timer was armed

	files, bytes, failed atomic.Uint64
}

// capture is the capture being written.
type capture struct {
	f   *file
	end uint64 // events after this time are not written
	gen uint64 // the model's container generation written
	// scope is what the capture shows; nil: every event.
	scope *scope
}

// finishGrace is how long after a capture's end its timer ends it, when
// no later event did: the time the events of its last moments may take
// to come through the probe's queues.
const finishGrace = time.Second

// minCheckpointEvery bounds how often checkpoints are taken by time.
const minCheckpointEvery = time.Second

// New returns a recorder of the events of the model st (the pipeline's,
// which applies each event before the recorder sees it).
func New(st *state.State, o Options) *Recorder {
	every := max(o.Before/2, minCheckpointEvery)
	r := &Recorder{o: o, st: st, every: uint64(every)}
	r.ring = NewRing(o.Budget, o.Before+2*every)
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
}

// Stats returns what the recorder wrote; it may be called from any
// goroutine.
func (r *Recorder) Stats() Stats {
	return Stats{Files: r.files.Load(), Bytes: r.bytes.Load(), Failed: r.failed.Load()}
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
	r.cps = append(r.cps, checkpoint{seq: r.ring.Head(), ts: e.TS(), sec: r.st.Section(r.o.Base)})
	r.cps = pruneCheckpoints(r.cps, r.ring.Tail())
	r.nextTS, r.bytesCP = e.TS()+r.every, 0
	return nil
}

// Event keeps e in the ring, and writes it to the capture under way.
func (r *Recorder) Event(e *event.Event, _ pipeline.Kind) error {
	r.ring.Append(e.Raw(), e.CPU, e.DumpFlags)
	r.bytesCP += len(e.Raw())
	r.last, r.tid = e.TS(), e.TID()
	if len(r.cps) > 0 && r.cps[0].seq < r.ring.Tail() {
		r.cps = pruneCheckpoints(r.cps, r.ring.Tail())
	}
	if r.active.Load() {
		r.mu.Lock()
		if r.cur != nil {
			r.live(e)
		}
		r.mu.Unlock()
	}
	return nil
}

// Close ends the capture under way.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.cur != nil {
		r.finish()
	}
	return nil
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
		r.finish()
	}
}

// Capture makes sure a capture covers the latest event (the one that
// raised an alert) from Before it to after past it, in the scope of
// Options.Scope, and returns the path the capture will have once it
// ends. A capture under way is extended rather than a new one started.
func (r *Recorder) Capture(after time.Duration) (string, error) {
	return r.CaptureScope(after, r.o.Scope)
}

// CaptureScope is [Recorder.Capture] in scope sc, around the thread of
// the latest event. A capture under way is extended, its scope widened
// to hold the new alert's (from now on). When the model does not know
// the latest event's thread, the capture shows every event.
func (r *Recorder) CaptureScope(after time.Duration, sc Scope) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.last + uint64(max(after, 0))
	if r.cur != nil {
		r.cur.end = max(r.cur.end, end)
		if r.cur.scope != nil && (sc == ScopeAll || !r.cur.scope.add(r.st, r.tid, sc)) {
			r.cur.scope = nil
		}
		r.arm()
		return r.cur.f.path, nil
	}
	if r.ring.Len() == 0 {
		return "", fmt.Errorf("capture: no event recorded yet")
	}
	from := r.last - min(r.last, uint64(r.o.Before))
	w, ok := pickWindow(r.cps, r.ring.Tail(), from)
	if !ok {
		// The ring lost the events since every checkpoint: the capture
		// starts at the alert, with the model as it is.
		w = window{cp: checkpoint{seq: r.ring.Head() - 1, ts: r.last, sec: r.st.Section(r.o.Base)}, visible: r.last}
	}
	path := captureName(r.o.PathPrefix, r.last, r.ring.Head())
	f, err := createFile(path, w.cp.sec, scap.WriterOptions{Profile: scap.ProfileSysdig029})
	if err != nil {
		r.failed.Add(1)
		return "", err
	}
	c := &capture{f: f, end: end}
	if sc != ScopeAll {
		c.scope = newScope()
		if !c.scope.add(r.st, r.tid, sc) {
			c.scope = nil
			if r.o.Logger != nil {
				r.o.Logger.Warn("capture shows every event: the alert's thread is not in the model", "scope", sc.String(), "tid", r.tid)
			}
		}
	}
	if err := r.start(c, w); err != nil {
		f.abort()
		r.failed.Add(1)
		return "", err
	}
	r.cur = c
	r.active.Store(true)
	r.arm()
	return path, nil
}

// start writes the beginning of capture c: the container records, then
// the ring's events from the checkpoint on, those before the window
// state-only. A scoped capture judges each event of the ring by the
// model as it was then: the checkpoint's, with the ring's events applied
// one by one (the processes that ended before the alert are known).
func (r *Recorder) start(c *capture, w window) error {
	first, _ := r.ring.Get(w.cp.seq)
	if err := r.writeContainers(c, first.TS); err != nil {
		return err
	}
	var then *state.State
	if c.scope != nil {
		then = state.FromSection(w.cp.sec)
	}
	for seq := w.cp.seq; seq < r.ring.Head(); seq++ {
		re, ok := r.ring.Get(seq)
		if !ok {
			return fmt.Errorf("capture %s: event %d left the ring", c.f.path, seq)
		}
		if err := r.ev.Reset(re.Rec); err != nil {
			return fmt.Errorf("capture %s: %w", c.f.path, err)
		}
		r.ev.CPU, r.ev.DumpFlags = re.CPU, re.Flags
		if then != nil {
			then.Apply(&r.ev)
		}
		if err := r.write(c, then, &r.ev, re.TS >= w.visible); err != nil {
			return err
		}
	}
	return nil
}

// write writes e to capture c, as the model st knows its thread: shown
// when it is in the capture's window (inWindow) and scope; otherwise
// state-only when a reader needs the change it makes to the model (see
// scope.keeps), or not at all.
func (r *Recorder) write(c *capture, st *state.State, e *event.Event, inWindow bool) error {
	keep := true
	if c.scope != nil {
		th := st.Thread(e.TID())
		if !c.scope.has(st, th) {
			inWindow, keep = false, c.scope.keeps(th, e)
		}
	}
	if inWindow {
		return c.f.write(e)
	}
	if !keep || !changesModel(e) {
		return nil
	}
	saved := e.DumpFlags
	e.DumpFlags |= event.DumpFlagStateOnly
	err := c.f.write(e)
	e.DumpFlags = saved
	return err
}

// writeContainers writes a record of each container of the model newer
// than the capture's generation, at time ts.
func (r *Recorder) writeContainers(c *capture, ts uint64) error {
	if r.st.ContainerGen() == c.gen {
		return nil
	}
	for _, ctr := range pipeline.ContainersByGen(r.st) {
		if ctr.Gen() <= c.gen {
			continue
		}
		var err error
		if r.rec, err = pipeline.ContainerRecord(r.rec[:0], &r.ev, ts, ctr); err != nil {
			return err
		}
		if err := c.f.write(&r.ev); err != nil {
			return err
		}
	}
	c.gen = r.st.ContainerGen()
	return nil
}

// live writes a live event to the capture under way, and ends the
// capture when its time is up or a limit is reached. r.mu is held.
func (r *Recorder) live(e *event.Event) {
	c := r.cur
	if e.TS() > c.end {
		r.finish()
		return
	}
	err := r.writeContainers(c, e.TS())
	if err == nil {
		err = r.write(c, r.st, e, true)
	}
	if err != nil {
		r.fail(err)
		return
	}
	if (r.o.MaxEvents > 0 && c.f.events >= r.o.MaxEvents) || (r.o.MaxFileSize > 0 && c.f.size() >= r.o.MaxFileSize) {
		r.finish()
	}
}

// finish ends the capture under way, counts it and applies the bounds
// on the captures kept. r.mu is held.
func (r *Recorder) finish() {
	c := r.cur
	r.cur = nil
	r.active.Store(false)
	n, err := c.f.finish()
	if err != nil {
		r.failed.Add(1)
		r.log("capture failed", err)
		return
	}
	r.files.Add(1)
	r.bytes.Add(uint64(n))
	if r.o.Logger != nil {
		r.o.Logger.Info("capture written", "path", c.f.path, "events", c.f.events, "bytes", n)
	}
	removed, err := prune(r.o.PathPrefix, r.o.MaxFiles, r.o.MaxTotal)
	if err != nil {
		r.log("removing old captures", err)
	}
	if len(removed) > 0 && r.o.Logger != nil {
		r.o.Logger.Info("old captures removed", "files", removed)
	}
}

// fail drops the capture under way after a write error. r.mu is held.
func (r *Recorder) fail(err error) {
	r.cur.f.abort()
	r.cur = nil
	r.active.Store(false)
	r.failed.Add(1)
	r.log("capture failed", err)
}

func (r *Recorder) log(msg string, err error) {
	if r.o.Logger != nil {
		r.o.Logger.Warn(msg, "error", err)
	}
}
