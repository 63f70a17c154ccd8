// Package app wires Kestrel's packages into the jobs the command line
// runs. Each job takes its options and its output streams and returns an
// error; it owns the goroutines it starts.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
)

// DefaultFormat is the line sysdig prints for each event.
const DefaultFormat = "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"

// ErrUsage marks errors in how a job was asked for (bad flags, bad format).
var ErrUsage = errors.New("usage")

// usageError is an error in how a job was asked for; it matches [ErrUsage]
// and the error it wraps, if any.
type usageError struct {
	msg string
	err error
}

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == ErrUsage }
func (e *usageError) Unwrap() error        { return e.err }

// Usagef returns an error matching [ErrUsage] with the given message.
func Usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// usageErr marks err as an error in how a job was asked for: it matches
// [ErrUsage] as well as what err matches.
func usageErr(err error) error {
	return &usageError{msg: err.Error(), err: err}
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
	Live     bool   // live output: written whenever the source has nothing more for now
}

// Read prints or copies the events of a capture file, like sysdig -r.
func Read(ctx context.Context, o ReadOptions, stdout, stderr io.Writer) error {
	prog, err := compileFilter(o.Filter, stderr)
	if err != nil {
		return err
	}
	if o.Write != "" {
		if err := scapfile.CheckDistinct(o.Path, o.Write); err != nil {
			return Usagef("-w %v", err)
		}
	}
	src, err := scapfile.Open(ctx, o.Path, scapfile.Options{})
	if err != nil {
		return err
	}
	p := pipeline.New(src, src.Initial(), pipeline.Options{})
	defer p.Close()
	if o.Progress {
		if st, err := os.Stat(o.Path); err == nil && st.Mode().IsRegular() {
			stop := startProgress(stderr, src.BytesRead, st.Size())
			defer stop()
		}
	}
	if err := addReadSink(p, src.Initial(), o, stdout, prog); err != nil {
		return err
	}
	if err := p.Run(ctx, o.Limit); err != nil {
		return fmt.Errorf("read %s: %w", o.Path, err)
	}
	return p.Close()
}

// addReadSink adds to p the printer or the capture writer o asks for.
// A written capture starts with sec.
func addReadSink(p *pipeline.Pipeline, sec *scap.Section, o ReadOptions, stdout io.Writer, prog *filter.Program) error {
	if o.Write != "" {
		f, err := scapfile.Create(o.Write, sec, scap.WriterOptions{Compress: o.Compress})
		if err != nil {
			return err
		}
		p.Add(pipeline.NewWriter(f, p.Context(), prog))
		return nil
	}
	pr, err := newPrinter(o, p.Context(), stdout, prog)
	if err != nil {
		return err
	}
	p.Add(pr)
	return nil
}

// newPrinter returns the printer of a -p format (DefaultFormat when
// empty) or of JSON lines.
func newPrinter(o ReadOptions, fc *field.Context, out io.Writer, prog *filter.Program) (*pipeline.Printer, error) {
	spec := o.Format
	if spec == "" {
		spec = DefaultFormat
	}
	fm, err := field.Default().CompileFormat(spec)
	if err != nil {
		return nil, Usagef("-p: %v", err)
	}
	return pipeline.NewPrinter(out, fc, pipeline.PrinterOptions{
		Format: fm, JSON: o.JSON, Internal: o.Internal, Filter: prog, Live: o.Live,
	}), nil
}

// compileFilter compiles a command-line filter; "" is no filter. Its
// warnings (a pattern that never matches, an index that gives no value)
// are printed on stderr.
func compileFilter(src string, stderr io.Writer) (*filter.Program, error) {
	if src == "" {
		return nil, nil
	}
	prog, err := filter.Compile(src, filter.Options{})
	var errs filter.Errors
	if errors.As(err, &errs) {
		return nil, Usagef("%s", errs.Format("filter"))
	}
	if err == nil && len(prog.Warnings()) > 0 {
		fmt.Fprintf(stderr, "kestrel: warning: %s\n", prog.Warnings().Format("filter"))
	}
	return prog, err
}

// startProgress prints how much of the file has been read, every quarter
// second, until the returned function is called.
func startProgress(w io.Writer, done func() int64, total int64) (stop func()) {
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
					pct = float64(done()) * 100 / float64(total)
				}
				fmt.Fprintf(w, "\rreading: %5.1f%% of %d bytes", pct, total)
				shown = true
			}
		}
	}()
	return func() { close(quit); <-finished }
}
