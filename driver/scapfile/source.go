// Package scapfile is the event source of a capture file: a .scap file,
// plain or gzip-compressed, read as a [driver.Source] like the live probe,
// so that every command has one pump.
//
// A Source owns one goroutine, started by [Open] and stopped by
// [Source.Close], that reads and decompresses the file ahead of the
// consumer and hands it the decoded events in batches: reading and
// decompression run on another core than the host model and the rules.
// Next is for one goroutine.
package scapfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// Stdin is the path that names standard input, as sysdig users expect.
const Stdin = "-"

// Options configure [Open]; the zero value is the default.
type Options struct {
	Reader scap.ReaderOptions
	// Batches bounds the batches of events read ahead (0: 4).
	Batches int
}

// Batch bounds: a batch is handed over when it holds batchEvents events
// or batchBytes bytes of records, or when a section ends.
const (
	batchEvents    = 2048
	batchBytes     = 256 << 10
	defaultBatches = 4
)

// Source reads a capture file ahead of its consumer. It implements
// [driver.Source]; Next returns io.EOF after the last event.
type Source struct {
	name    string
	file    io.Closer
	count   *countingReader
	rd      *scap.Reader
	initial *scap.Section

	full     chan *batch
	free     chan *batch
	done     chan struct{}
	finished chan struct{}
	once     sync.Once

	cur    *batch
	pos    int
	sect   *scap.Section
	nsect  int
	err    error // sticky: what ended the stream
	events atomic.Uint64
}

// batch is a run of events copied from the reader, all of one section,
// and the error that ended the stream after them, if it ended.
type batch struct {
	data  []byte
	evs   []event.Event
	sect  *scap.Section
	nsect int
	err   error
}

// Open opens the capture at path ([Stdin] for standard input), reads its
// first section's header and state, and starts reading ahead. It returns
// ctx.Err() when ctx ends first, whatever the opening is blocked on (a
// FIFO that no writer opened, a pipe that sends nothing).
func Open(ctx context.Context, path string, o Options) (*Source, error) {
	type opened struct {
		s   *Source
		err error
	}
	done := make(chan opened, 1)
	go func() {
		s, err := open(path, o)
		done <- opened{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		go func() { // close what the opening gives, when it gives it
			if r := <-done; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func open(path string, o Options) (*Source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	s, err := NewSource(f, path, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func openFile(path string) (*os.File, error) {
	if path == Stdin {
		return os.Stdin, nil
	}
	return os.Open(path)
}

// NewSource reads a capture from r, named name in errors; Close closes r.
func NewSource(r io.ReadCloser, name string, o Options) (*Source, error) {
	cr := &countingReader{r: r}
	rd, err := scap.NewReader(cr, o.Reader)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	n := o.Batches
	if n <= 0 {
		n = defaultBatches
	}
	s := &Source{
		name: name, file: r, count: cr, rd: rd, initial: rd.Section(),
		full: make(chan *batch, n), free: make(chan *batch, n),
		done: make(chan struct{}), finished: make(chan struct{}),
		sect: rd.Section(), nsect: rd.SectionNum(),
	}
	for range n {
		s.free <- &batch{data: make([]byte, 0, batchBytes), evs: make([]event.Event, 0, batchEvents)}
	}
	go s.fill()
	return s, nil
}

// Name returns the path the source was opened with.
func (s *Source) Name() string { return s.name }

// Initial returns the first section: the state the capture starts with.
func (s *Source) Initial() *scap.Section { return s.initial }

// Section returns the section of the latest event Next returned (the
// first section before any).
func (s *Source) Section() *scap.Section { return s.sect }

// SectionNum numbers the section of the latest event Next returned, from
// 1; it changes when a concatenated capture starts a new section.
func (s *Source) SectionNum() int { return s.nsect }

// BytesRead returns how many bytes of the file have been read so far; it
// may be called from any goroutine.
func (s *Source) BytesRead() int64 { return s.count.n.Load() }

// Stats returns the events delivered; a file loses none.
func (s *Source) Stats() driver.Stats { return driver.Stats{Events: s.events.Load()} }

// Next returns the next event, valid until the following call; io.EOF
// after the last; a format error for bytes that are not a valid capture.
func (s *Source) Next(ctx context.Context) (*event.Event, error) {
	for s.cur == nil || s.pos >= len(s.cur.evs) {
		if err := s.nextBatch(ctx); err != nil {
			return nil, err
		}
	}
	e := &s.cur.evs[s.pos]
	s.pos++
	if s.cur.nsect != s.nsect {
		s.sect, s.nsect = s.cur.sect, s.cur.nsect
	}
	s.events.Add(1)
	return e, nil
}

// nextBatch recycles the used-up batch and waits for the next one.
func (s *Source) nextBatch(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	if b := s.cur; b != nil {
		s.cur = nil
		if b.err != nil {
			s.err = b.err
			return s.err
		}
		s.free <- b
	}
	select {
	case b := <-s.full:
		s.cur, s.pos = b, 0
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return driver.ErrClosed
	}
}

// fill reads events into batches until the stream ends or the source is
// closed; the batch that ends the stream carries its error.
func (s *Source) fill() {
	defer close(s.finished)
	var ev event.Event
	b := s.take()
	for b != nil {
		err := s.rd.Next(&ev)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("read %s: %w", s.name, err)
			}
			b.err = err
			s.send(b)
			return
		}
		if len(b.evs) > 0 && (b.nsect != s.rd.SectionNum() || !b.room(len(ev.Raw()))) {
			if b = s.send(b); b == nil {
				return
			}
		}
		if len(b.evs) == 0 {
			b.sect, b.nsect = s.rd.Section(), s.rd.SectionNum()
		}
		b.add(&ev)
	}
}

// room reports whether b takes one more record of n bytes.
func (b *batch) room(n int) bool {
	return len(b.evs) < cap(b.evs) && cap(b.data)-len(b.data) >= n
}

// add copies e to the end of b. A record larger than an empty batch's
// buffer gets a buffer of its own; a batch with events is never grown,
// since its events view its buffer.
func (b *batch) add(e *event.Event) {
	raw := e.Raw()
	if cap(b.data)-len(b.data) < len(raw) {
		b.data = make([]byte, 0, len(raw))
	}
	start := len(b.data)
	b.data = append(b.data, raw...)
	b.evs = append(b.evs, event.Event{})
	b.evs[len(b.evs)-1].Clone(e, b.data[start:len(b.data):len(b.data)])
}

// take returns an empty batch, or nil when the source is closed.
func (s *Source) take() *batch {
	select {
	case b := <-s.free:
		b.data, b.evs, b.err = b.data[:0], b.evs[:0], nil
		if cap(b.data) > 4*batchBytes {
			b.data = make([]byte, 0, batchBytes) // a large record's buffer
		}
		return b
	case <-s.done:
		return nil
	}
}

// send hands b over and returns an empty batch, or nil when the source is
// closed.
func (s *Source) send(b *batch) *batch {
	select {
	case s.full <- b:
	case <-s.done:
		return nil
	}
	return s.take()
}

// closeWait bounds how long Close waits for the reading goroutine, which
// may be blocked reading a pipe that closing does not interrupt.
const closeWait = time.Second

// Close stops reading and closes the file; a Next blocked in another
// goroutine returns [driver.ErrClosed].
func (s *Source) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.file.Close()
		select {
		case <-s.finished:
			if cerr := s.rd.Close(); err == nil {
				err = cerr
			}
		case <-time.After(closeWait):
		}
	})
	return err
}

var _ driver.Source = (*Source)(nil)

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
