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
	"github.com/kestrel-sec/kestrel/filter"
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
	Filter   string // event filter: only matching events are printed or written
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
	prog, err := compileFilter(o.Filter)
	if err != nil {
		return err
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
		sink, err = newCaptureSink(o.Write, rd.Section(), o.Compress, prog)
	} else {
		sink, err = newPrintSink(o, rd.Section(), stdout, prog)
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
	filter   *filter.Program // nil: every event
	line     []byte
	// begun is set at the first event that is not one of the container
	// records a capture starts with, which sysdig applies but never shows.
	begun bool
}

func newPrintSink(o ReadOptions, sec *scap.Section, out io.Writer, prog *filter.Program) (*printSink, error) {
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
	fc.Hostname = hostname(sec)
	return &printSink{
		w: bufio.NewWriterSize(out, 1<<16), format: fm, json: o.JSON, internal: o.Internal,
		st: st, fc: fc, filter: prog,
	}, nil
}

func (p *printSink) section(sec *scap.Section) error {
	p.st.Reset(sec)
	p.fc.Hostname = hostname(sec)
	return nil
}

func (p *printSink) event(e *event.Event) error {
	if !p.begun {
		if info := e.Info(); info != nil && info.Name == "container" {
			p.st.Apply(e)
			return nil
		}
		p.begun = true
	}
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
	if p.filter != nil && !p.filter.Match(p.fc) {
		return nil
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

// hostname returns the machine's name recorded in a capture section.
func hostname(sec *scap.Section) string {
	if sec == nil || sec.Machine == nil {
		return ""
	}
	return sec.Machine.Hostname
}

// captureSink copies events into a new capture file. With a filter, it
// copies the matching events, and marks "state only" the others that
// change the model (clone, execve, open, close…), so that a reader of the
// new file still knows the processes and files the matching events refer
// to, as sysdig's own filtered captures do.
type captureSink struct {
	f      *os.File
	w      *scap.Writer
	filter *filter.Program
	st     *state.State
	fc     *field.Context
}

func newCaptureSink(path string, sec *scap.Section, compress bool, prog *filter.Program) (*captureSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w, err := scap.NewWriter(f, sec, scap.WriterOptions{Compress: compress})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	c := &captureSink{f: f, w: w, filter: prog}
	if prog != nil {
		c.st = state.FromSection(sec)
		c.fc = field.NewContext(c.st)
		c.fc.Resolver = c.st
	}
	return c, nil
}

func (c *captureSink) section(sec *scap.Section) error {
	if c.st != nil {
		c.st.Reset(sec)
	}
	return c.w.StartSection(sec)
}

func (c *captureSink) event(e *event.Event) error {
	if c.filter == nil {
		return c.w.WriteEvent(e)
	}
	c.st.Apply(e)
	c.fc.Observe(e)
	if e.DumpFlags&event.DumpFlagStateOnly == 0 && c.filter.Match(c.fc) {
		return c.w.WriteEvent(e)
	}
	if info := e.Info(); info == nil || info.Flags&event.FlagModifiesState == 0 {
		return nil
	}
	saved := e.DumpFlags
	e.DumpFlags |= event.DumpFlagStateOnly
	err := c.w.WriteEvent(e)
	e.DumpFlags = saved
	return err
}

func (c *captureSink) close() error {
	err := c.w.Close()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// compileFilter compiles a command-line filter; "" is no filter.
func compileFilter(src string) (*filter.Program, error) {
	if src == "" {
		return nil, nil
	}
	prog, err := filter.Compile(src, filter.Options{})
	var errs filter.Errors
	if errors.As(err, &errs) {
		return nil, Usagef("%s", errs.Format("filter"))
	}
	return prog, err
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
