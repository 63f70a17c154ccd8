// Package app wires Kestrel's packages into the jobs the command line
// runs. Each job takes its options and its output streams and returns an
// error; it owns the goroutines it starts.
package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// DefaultFormat is the line sysdig prints for each event.
const DefaultFormat = "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"

// ErrUsage marks errors in how a job was asked for (bad flags, bad format).
var ErrUsage = errors.New("usage")

// usageError is an error in how a job was asked for; it matches [ErrUsage].
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

// Usagef returns an error matching [ErrUsage] with the given message.
func Usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// ReadOptions configure [Read].
type ReadOptions struct {
	Path     string // capture file
	Filter   string // event filter (not supported yet)
	Format   string // -p format; DefaultFormat when empty
	JSON     bool   // one JSON object per event
	Write    string // write the events to this capture instead of printing them
	Compress bool   // gzip the written capture
	Limit    uint64 // stop after this many events (0: no limit)
	Internal bool   // also print internal events (procinfo and the like)
	Progress bool   // report progress on Stderr
}

// Read prints or copies the events of a capture file, like sysdig -r.
func Read(ctx context.Context, o ReadOptions, stdout, stderr io.Writer) error {
	if o.Filter != "" {
		return Usagef("event filters are not supported yet (got %q): read without a filter, or use -n to limit the events", o.Filter)
	}
	f, err := os.Open(o.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := &countingReader{r: f}
	rd, err := scap.NewReader(cr, scap.ReaderOptions{})
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Path, err)
	}
	defer rd.Close()
	if o.Progress {
		if st, err := f.Stat(); err == nil {
			stop := startProgress(stderr, &cr.n, st.Size())
			defer stop()
		}
	}
	var sink eventSink
	if o.Write != "" {
		sink, err = newCaptureSink(o.Write, rd.Section(), o.Compress)
	} else {
		sink, err = newPrintSink(o, rd.Section(), stdout)
	}
	if err != nil {
		return err
	}
	if err := pump(ctx, rd, o.Limit, sink); err != nil {
		sink.close()
		return fmt.Errorf("read %s: %w", o.Path, err)
	}
	return sink.close()
}

// eventSink is where [pump] sends events.
type eventSink interface {
	section(sec *scap.Section) error // a new section of a concatenated capture starts
	event(e *event.Event) error
	close() error
}

func pump(ctx context.Context, rd *scap.Reader, limit uint64, sink eventSink) error {
	var ev event.Event
	sect := rd.SectionNum()
	for n := uint64(0); limit == 0 || n < limit; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := rd.Next(&ev)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if rd.SectionNum() != sect {
			sect = rd.SectionNum()
			if err := sink.section(rd.Section()); err != nil {
				return err
			}
		}
		if err := sink.event(&ev); err != nil {
			return err
		}
	}
	return nil
}

// printSink prints events in a -p format or as JSON.
type printSink struct {
	w        *bufio.Writer
	format   *field.Format
	json     bool
	internal bool
	st       *state.State
	fc       *field.Context
	line     []byte
}

func newPrintSink(o ReadOptions, sec *scap.Section, out io.Writer) (*printSink, error) {
	reg := field.Default()
	spec := o.Format
	if spec == "" {
		spec = DefaultFormat
	}
	fm, err := reg.CompileFormat(spec)
	if err != nil {
		return nil, Usagef("-p: %v", err)
	}
	st := state.FromSection(sec)
	fc := field.NewContext(st)
	fc.Resolver = st
	return &printSink{
		w: bufio.NewWriterSize(out, 1<<16), format: fm, json: o.JSON, internal: o.Internal,
		st: st, fc: fc,
	}, nil
}

func (p *printSink) section(sec *scap.Section) error {
	p.st.Reset(sec)
	return nil
}

func (p *printSink) event(e *event.Event) error {
	p.st.Apply(e)
	p.fc.Observe(e)
	if e.DumpFlags&event.DumpFlagStateOnly != 0 {
		return nil
	}
	if !p.internal {
		if info := e.Info(); info != nil && info.Category.Class() == event.CatInternal {
			return nil
		}
	}
	var ok bool
	if p.json {
		p.line, ok = p.format.AppendJSON(p.line[:0], p.fc)
	} else {
		p.line, ok = p.format.AppendText(p.line[:0], p.fc)
	}
	if !ok {
		return nil
	}
	p.fc.Shown()
	p.line = append(p.line, '\n')
	_, err := p.w.Write(p.line)
	return err
}

func (p *printSink) close() error { return p.w.Flush() }

// captureSink copies events into a new capture file.
type captureSink struct {
	f *os.File
	w *scap.Writer
}

func newCaptureSink(path string, sec *scap.Section, compress bool) (*captureSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w, err := scap.NewWriter(f, sec, scap.WriterOptions{Compress: compress})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &captureSink{f: f, w: w}, nil
}

func (c *captureSink) section(sec *scap.Section) error { return c.w.StartSection(sec) }

func (c *captureSink) event(e *event.Event) error { return c.w.WriteEvent(e) }

func (c *captureSink) close() error {
	err := c.w.Close()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// startProgress prints how much of the file has been read, every quarter
// second, until the returned function is called.
func startProgress(w io.Writer, done *atomic.Int64, total int64) (stop func()) {
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-quit:
				if shown {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				pct := 100.0
				if total > 0 {
					pct = float64(done.Load()) * 100 / float64(total)
				}
				fmt.Fprintf(w, "\rreading: %5.1f%% of %d bytes", pct, total)
				shown = true
			}
		}
	}()
	return func() { close(quit); <-finished }
}
