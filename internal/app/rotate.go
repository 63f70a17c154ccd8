package app

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// RotateOptions split a written capture into several files, like sysdig's
// -C, -G and -W; see [rotationNames] for the names of the files.
type RotateOptions struct {
	Size    int64 // -C: start a new file once the current one holds more than this many bytes (0: no limit)
	Seconds int   // -G: start a new file every this many seconds (0: never)
	Files   int   // -W: keep at most this many files, reusing their names in a ring (0: no limit)
	// Location is the time zone of names formatted from the time; nil:
	// local time, as sysdig uses.
	Location *time.Location
}

// Enabled reports whether the capture is split.
func (o RotateOptions) Enabled() bool { return o.Size > 0 || o.Seconds > 0 }

// Check reports, as usage errors, options that do not fit together or
// with write, the -w name.
func (o RotateOptions) Check(write string) error {
	switch {
	case o.Size < 0 || o.Seconds < 0 || o.Files < 0:
		return Usagef("-C, -G and -W take positive numbers")
	case o.Files > 0 && !o.Enabled():
		return Usagef("-W limits the number of files of -C or -G, and neither was given")
	case o.Enabled() && write == "":
		return Usagef("-C and -G split the capture written with -w, and no -w was given")
	case o.Seconds > 0 && strings.Contains(write, "%"):
		if err := checkStrftime(write); err != nil {
			return Usagef("-w: %v", err)
		}
	}
	return nil
}

// rotatingSink writes events to a capture split into several files. Each
// file is readable on its own: it starts with a section that holds the
// host model as it is when the file starts (state.State.Section). A new
// file is started before an event is written, when the current file has
// grown past o.Size or its period of o.Seconds has ended (by the event's
// time), so that every file holds at least one event; the exit that
// follows its own enter event stays in the enter's file. It is the
// [pipeline.EventWriter] of a [pipeline.Writer], which filters.
type rotatingSink struct {
	opts  RotateOptions
	names *rotationNames
	wopts scap.WriterOptions
	base  *scap.Section // machine, interfaces, users and groups of every section
	st    *state.State  // the pipeline's model

	file   *os.File
	out    *countWriter
	w      *scap.Writer
	events int    // events written to the current file
	period uint64 // when the current file's period started, ns since the epoch

	// next is the section of the next file, taken when a new file became
	// due, and nextTS the time of the event that made it due.
	next   *scap.Section
	rec    []byte // a container record being written
	nextTS uint64
	// The type and thread of the latest syscall event, when it was an
	// enter (see paired).
	enter    event.Type
	enterTID int64
	inEnter  bool
}

// newRotatingSink starts the first file of a split capture, with sec as
// its section, at start (the beginning of its period and the time its
// name is formatted with). st is the model whose state each later file
// starts with.
func newRotatingSink(path string, sec *scap.Section, wo scap.WriterOptions, st *state.State, o RotateOptions, start time.Time) (*rotatingSink, error) {
	if err := o.Check(path); err != nil {
		return nil, err
	}
	r := &rotatingSink{opts: o, names: newRotationNames(path, o), wopts: wo, base: sec, st: st}
	r.period = uint64(start.UnixNano())
	if err := r.open(sec, start); err != nil {
		return nil, err
	}
	return r, nil
}

// StartSection starts a new section in the current file.
func (r *rotatingSink) StartSection(sec *scap.Section) error {
	r.base = sec
	return r.w.StartSection(sec)
}

// Before notes, before the model applies e, whether a new file is due,
// and takes its section then.
func (r *rotatingSink) Before(e *event.Event) error {
	if paired := r.paired(e); r.next == nil && !paired && r.due(e) {
		r.next, r.nextTS = r.st.Section(r.base), e.TS()
	}
	return nil
}

// WriteEvent writes e, to a new file when one is due.
func (r *rotatingSink) WriteEvent(e *event.Event) error {
	if r.next != nil {
		if err := r.rotate(); err != nil {
			return err
		}
	}
	r.events++
	return r.w.WriteEvent(e)
}

// paired reports whether e must stay in the file of the latest syscall
// enter event: it is that enter's exit, or a scheduler or internal event
// between the two, as readers need the enter in the exit's file. It
// notes e.
func (r *rotatingSink) paired(e *event.Event) bool {
	info := e.Info()
	if info == nil {
		return r.inEnter
	}
	if c := info.Category.Class(); c == event.CatScheduler || c == event.CatInternal {
		return r.inEnter
	}
	t := e.Type()
	if t.IsEnter() {
		r.enter, r.enterTID, r.inEnter = t, e.TID(), true
		return false
	}
	p := r.inEnter && r.enter == t-1 && r.enterTID == e.TID()
	r.inEnter = false
	return p
}

// due reports whether e is to go to a new file.
func (r *rotatingSink) due(e *event.Event) bool {
	if r.opts.Seconds > 0 && e.TS() >= r.period+uint64(r.opts.Seconds)*uint64(time.Second) {
		return true
	}
	return r.opts.Size > 0 && r.size() > r.opts.Size
}

// size returns the length of the current file: what reached it and, for
// an uncompressed one, what the writer holds. A compressed file is
// measured by the compressed bytes that reached it, which lag behind by
// what the compressor holds.
func (r *rotatingSink) size() int64 {
	n := r.out.n
	if !r.wopts.Compress {
		n += int64(r.w.Buffered())
	}
	return n
}

// rotate ends the current file and starts the next with the section taken
// when it became due. A file that holds no event yet, which readers would
// reject, is kept: its period starts again.
func (r *rotatingSink) rotate() error {
	sec, ts := r.next, r.nextTS
	r.next = nil
	r.period = ts
	if r.events == 0 {
		return nil
	}
	if err := r.closeFile(); err != nil {
		return err
	}
	if err := r.open(sec, time.Unix(0, int64(ts))); err != nil {
		return err
	}
	return r.writeContainers(ts)
}

// writeContainers starts a new file with the container records the model
// has, as the first file has them, so that each file stands alone.
func (r *rotatingSink) writeContainers(ts uint64) error {
	var ev event.Event
	for _, c := range pipeline.ContainersByGen(r.st) {
		var err error
		if r.rec, err = pipeline.ContainerRecord(r.rec[:0], &ev, ts, c); err != nil {
			return err
		}
		if err := r.w.WriteEvent(&ev); err != nil {
			return err
		}
	}
	return nil
}

// open creates the next file, removing the one whose place it takes in
// the ring, and writes sec.
func (r *rotatingSink) open(sec *scap.Section, at time.Time) error {
	name, remove := r.names.next(at)
	if remove != "" {
		if err := os.Remove(remove); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("capture rotation: %w", err)
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("capture rotation: %w", err)
	}
	r.out = &countWriter{w: f}
	w, err := scap.NewWriter(r.out, sec, r.wopts)
	if err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	r.file, r.w, r.events = f, w, 0
	return nil
}

func (r *rotatingSink) closeFile() error {
	err := r.w.Close()
	if cerr := r.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", r.file.Name(), err)
	}
	return nil
}

// Close ends the current file.
func (r *rotatingSink) Close() error { return r.closeFile() }

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
