package scap

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/kestrel-sec/kestrel/event"
)

// WriterOptions configure a [Writer]; the zero value writes an
// uncompressed capture with the events as they are given.
type WriterOptions struct {
	Compress bool // gzip the stream
	// Profile is how events are written; [ProfileAsIs] by default.
	Profile Profile
}

// Profile says how a [Writer] writes the events it is given.
type Profile uint8

const (
	// ProfileAsIs writes each event's record as it is.
	ProfileAsIs Profile = iota
	// ProfileSysdig029 writes the events of the current, exit-only
	// model as sysdig 0.29.3's own driver recorded the same system
	// calls, so that 0.29.3 and every later reader resolve them: an
	// enter event rebuilt before each syscall exit whose enter carries
	// parameters; the older event codes where the current table has
	// newer ones (accept4, dup2, pipe2…); a generic syscall event for
	// the syscalls 0.29.3 has no event for (memfd_create, prctl…).
	// Enter events and events that are not syscalls are written as
	// they are. Live captures are written this way.
	ProfileSysdig029
)

// Writer writes a capture that Debian's sysdig 0.29.3 and current Falco
// readers both read (the writer profile of the format specification):
// a version 1.2 section header without options, the machine, interface,
// user and process lists, one fd list per thread, then event blocks.
// Lengths are always computed, never copied from the input, and state
// strings longer than readers accept are truncated.
//
// Every section needs at least one event: readers reject a capture
// section without one. A Writer is not safe for concurrent use.
type Writer struct {
	bw     *bufio.Writer
	zw     *gzip.Writer // nil when uncompressed
	state  stateBuf     // metadata blocks, reused between sections
	hdr    [14]byte     // event block header and prefix
	tail   [7]byte      // event block padding and trailer
	nev    uint64       // events written, all sections
	secEvs uint64       // events written in the current section
	nsect  int
	legacy *legacyWriter // ProfileSysdig029
	closed bool
	err    error // sticky: the first error, returned by every later call
}

// errWriterClosed is wrapped by the errors of calls after [Writer.Close].
var errWriterClosed = errors.New("capture writer is closed")

// Event block dump flags.
const (
	// dumpFlagLarge is an in-memory flag of the Falco libraries; on disk
	// it is expressed by the block type, so the writer drops it.
	dumpFlagLarge = 1 << 2
)

// NewWriter starts a capture on w: the section header and the metadata
// blocks for sec. sec may be nil, which writes the section header and an
// empty process list. The section header always says version 1.2,
// whatever sec.Major and sec.Minor hold. Writes are buffered: errors of w
// show when the buffer fills, or at [Writer.Flush] and [Writer.Close].
// NewWriter fails only for a section that cannot be written (an
// interface of unknown type).
func NewWriter(w io.Writer, sec *Section, opts WriterOptions) (*Writer, error) {
	wr := &Writer{}
	if opts.Profile == ProfileSysdig029 {
		wr.legacy = &legacyWriter{}
	}
	dst := w
	if opts.Compress {
		wr.zw = gzip.NewWriter(w)
		dst = wr.zw
	}
	wr.bw = bufio.NewWriterSize(dst, 64<<10)
	if err := wr.writeSection(sec); err != nil {
		return nil, err
	}
	return wr, nil
}

// StartSection ends the current section and begins a new one: a section
// header and the metadata blocks for sec (nil as in [NewWriter]). Readers
// drop the thread and fd tables of the previous section and load sec's.
// The current section must hold at least one event. When StartSection
// refuses sec (no events yet, an interface of unknown type), it writes
// nothing.
func (w *Writer) StartSection(sec *Section) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("start section %d: %w", w.nsect+1, errWriterClosed)
	}
	if w.secEvs == 0 {
		return fmt.Errorf("start section %d: section %d has no events, which readers reject", w.nsect+1, w.nsect)
	}
	return w.writeSection(sec)
}

func (w *Writer) writeSection(sec *Section) error {
	if err := validateSection(sec); err != nil {
		// Nothing was written: the capture is still whole.
		return fmt.Errorf("write section %d: %w", w.nsect+1, err)
	}
	w.nsect++
	w.secEvs = 0
	if err := w.state.encodeSection(sec, w.bw); err != nil {
		return w.fail(fmt.Errorf("write section %d: %w", w.nsect, err))
	}
	return nil
}

// WriteEvent writes ev as one event block: EV_V2 when it has no dump
// flags, EVF_V2 otherwise, and their large-payload variants when the
// event type's schema has large payloads. The record bytes
// ([event.Event.Raw]) are copied verbatim with ev.CPU as the producing
// CPU; the caller keeps them in the form the readers expect (the
// parameter counts sysdig 0.29.3 knows, see the writer profile of the
// format specification). Bit 2 of the dump flags, an in-memory flag of the
// Falco libraries for large payloads, is not written: the block type
// carries it.
//
// A record too long for its block type is an error that writes nothing
// and leaves the capture usable. A write error of the underlying writer
// is returned by every later call. Errors number events from 1, across
// sections.
func (w *Writer) WriteEvent(ev *event.Event) error {
	if w.legacy != nil {
		return w.writeLegacy(ev)
	}
	return w.writeOne(ev)
}

// writeLegacy writes ev as [ProfileSysdig029] says, leaving ev as it was.
func (w *Writer) writeLegacy(ev *event.Event) error {
	restore := legacyGeneric(ev)
	defer restore.undo(ev)
	en, ex, err := w.legacy.convert(ev)
	if err != nil {
		return fmt.Errorf("write event %d: %w", w.nev+1, err)
	}
	if en != nil {
		if err := w.writeOne(en); err != nil {
			return err
		}
	}
	return w.writeOne(ex)
}

func (w *Writer) writeOne(ev *event.Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("write event %d: %w", w.nev+1, errWriterClosed)
	}
	btype, prefix, total, err := eventBlock(ev)
	if err != nil {
		// Nothing was written: the capture is still whole.
		return fmt.Errorf("write event %d: %w", w.nev+1, err)
	}
	if err := w.writeEvent(ev, btype, prefix, total); err != nil {
		return w.fail(fmt.Errorf("write event %d: %w", w.nev+1, err))
	}
	w.nev++
	w.secEvs++
	return nil
}

// eventBlock returns the block type, the length of the prefix before the
// record (cpu, and the flags for EVF blocks) and the block length for ev.
func eventBlock(ev *event.Event) (btype uint32, prefix int, total uint64, err error) {
	rec := ev.Raw()
	if len(rec) < event.HeaderLen {
		return 0, 0, 0, fmt.Errorf("record of %d bytes, shorter than the %d-byte header", len(rec), event.HeaderLen)
	}
	flags := ev.DumpFlags &^ dumpFlagLarge
	large := ev.Info() != nil && ev.Info().Large()
	btype, prefix = blockEVV2, 2
	switch {
	case large && flags != 0:
		btype, prefix = blockEVFV2Large, 6
	case large:
		btype = blockEVV2Large
	case flags != 0:
		btype, prefix = blockEVFV2, 6
	}
	total = uint64(8+prefix+len(rec)+4+3) &^ 3
	if !large && total > maxEventBlockLen {
		return 0, 0, 0, fmt.Errorf("type %d: a %d-byte record needs a %d-byte block, more than readers accept for a type without large payloads (%d)",
			ev.Type(), len(rec), total, maxEventBlockLen)
	}
	if total > math.MaxUint32 {
		return 0, 0, 0, fmt.Errorf("type %d: a %d-byte record does not fit in a block", ev.Type(), len(rec))
	}
	return btype, prefix, total, nil
}

func (w *Writer) writeEvent(ev *event.Event, btype uint32, prefix int, total uint64) error {
	rec := ev.Raw()
	h := w.hdr[:8+prefix]
	binary.LittleEndian.PutUint32(h[0:], btype)
	binary.LittleEndian.PutUint32(h[4:], uint32(total))
	binary.LittleEndian.PutUint16(h[8:], ev.CPU)
	if prefix == 6 {
		binary.LittleEndian.PutUint32(h[10:], ev.DumpFlags&^dumpFlagLarge)
	}
	pad := int(total) - len(h) - len(rec) - 4
	tail := w.tail[:pad+4]
	clear(tail[:pad])
	binary.LittleEndian.PutUint32(tail[pad:], uint32(total))
	if _, err := w.bw.Write(h); err != nil {
		return err
	}
	if _, err := w.bw.Write(rec); err != nil {
		return err
	}
	_, err := w.bw.Write(tail)
	return err
}

// Flush writes buffered data to the underlying writer. For a compressed
// capture it also flushes the compressor, so that what was written so
// far can be decompressed.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("flush: %w", errWriterClosed)
	}
	if err := w.flush(); err != nil {
		return w.fail(fmt.Errorf("flush: %w", err))
	}
	return nil
}

func (w *Writer) flush() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.zw != nil {
		return w.zw.Flush()
	}
	return nil
}

// Close flushes the buffered data and ends the gzip stream, if any. It
// does not close the underlying writer. After a write error it returns
// that error; calls after the first return nil.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(fmt.Errorf("close: %w", err))
	}
	if w.zw != nil {
		if err := w.zw.Close(); err != nil {
			return w.fail(fmt.Errorf("close: %w", err))
		}
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}
