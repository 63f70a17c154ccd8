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

// PluginFormat is the line sysdig prints for each plugin event when no
// -p format is given: the plugin's name and its summary of the event.
const PluginFormat = "*%evt.num %evt.datetime.s [%evt.pluginname] %evt.plugininfo"

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
	// Path is the capture file, or a file (or directory) of a built-in
	// source's events (Kubernetes audit, CloudTrail, Okta, GitHub), told
	// from its content as replay tells it; those events are read as a
	// capture holds them, plugin events.
	Path string
	// Merge are more inputs, captures or files of a source's events, whose
	// events are merged by time with those of Path.
	Merge    []string
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
// Plugin events of the built-in sources are shown with their source's
// fields; printed without a -p format, they take [PluginFormat], as
// sysdig prints them. Files of a source's events, and the inputs of
// Merge, are read as captures holding their events: written with -w, they
// give a capture of plugin events, merged by time with the other inputs'
// events, that starts with the initial state of the first capture among
// the inputs.
func Read(ctx context.Context, o ReadOptions, stdout, stderr io.Writer) error {
	reg, err := captureFields()
	if err != nil {
		return err
	}
	prog, err := compileFilterFields(o.Filter, reg, stderr)
	if err != nil {
		return err
	}
	inputs := append([]string{o.Path}, o.Merge...)
	if o.Write != "" {
		for _, in := range inputs {
			if err := scapfile.CheckDistinct(in, o.Write); err != nil {
				return Usagef("-w %v", err)
			}
		}
	}
	src, sec, err := openReadInputs(ctx, inputs, stderr)
	if err != nil {
		return err
	}
	p := pipeline.New(src, sec, pipeline.Options{})
	defer p.Close()
	if fsrc, ok := src.(*scapfile.Source); ok && o.Progress {
		if st, err := os.Stat(o.Path); err == nil && st.Mode().IsRegular() {
			stop := startProgress(stderr, fsrc.BytesRead, st.Size())
			defer stop()
		}
	}
	if err := addReadSink(p, sec, o, reg, stdout, prog); err != nil {
		return err
	}
	if err := p.Run(ctx, o.Limit); err != nil {
		return fmt.Errorf("read %s: %w", o.Path, err)
	}
	return p.Close()
}

// addReadSink adds to p the printer or the capture writer o asks for,
// after the sink that makes plugin events current as their source's
// events. A written capture starts with sec. reg resolves the fields of
// the -p format.
func addReadSink(p *pipeline.Pipeline, sec *scap.Section, o ReadOptions, reg *field.Registry, stdout io.Writer, prog *filter.Program) error {
	p.Add(pluginFields{ps: newPluginEvents(p.Context())})
	if o.Write != "" {
		f, err := scapfile.Create(o.Write, sec, scap.WriterOptions{Compress: o.Compress})
		if err != nil {
			return err
		}
		p.Add(pipeline.NewWriter(f, p.Context(), prog))
		return nil
	}
	pr, err := newPrinterFields(o, reg, p.Context(), stdout, prog)
	if err != nil {
		return err
	}
	p.Add(pr)
	return nil
}

// newPrinter returns the printer of a -p format (DefaultFormat when
// empty) or of JSON lines.
func newPrinter(o ReadOptions, fc *field.Context, out io.Writer, prog *filter.Program) (*pipeline.Printer, error) {
	return newPrinterFields(o, field.Default(), fc, out, prog)
}

// newPrinterFields is newPrinter with the format's fields resolved by
// reg.
func newPrinterFields(o ReadOptions, reg *field.Registry, fc *field.Context, out io.Writer, prog *filter.Program) (*pipeline.Printer, error) {
	spec := o.Format
	if spec == "" {
		spec = DefaultFormat
	}
	fm, err := reg.CompileFormat(spec)
	if err != nil {
		return nil, Usagef("-p: %v", err)
	}
	po := pipeline.PrinterOptions{Format: fm, JSON: o.JSON, Internal: o.Internal, Filter: prog, Live: o.Live}
	if o.Format == "" {
		// Plugin events have a line of their own, as in sysdig.
		if po.PluginFormat, err = reg.CompileFormat(PluginFormat); err != nil {
			return nil, err
		}
	}
	return pipeline.NewPrinter(out, fc, po), nil
}

// compileFilter compiles a command-line filter; "" is no filter. Its
// warnings (a pattern that never matches, an index that gives no value)
// are printed on stderr.
func compileFilter(src string, stderr io.Writer) (*filter.Program, error) {
	return compileFilterFields(src, nil, stderr)
}

// compileFilterFields is compileFilter with the fields resolved by reg
// ([field.Default] when nil).
func compileFilterFields(src string, reg *field.Registry, stderr io.Writer) (*filter.Program, error) {
	if src == "" {
		return nil, nil
	}
	prog, err := filter.Compile(src, filter.Options{Fields: reg})
	var errs filter.Errors
	if errors.As(err, &errs) {
		return nil, Usagef("%s", errs.Format("filter"))
	}
	if err == nil && len(prog.Warnings()) > 0 {
		fmt.Fprintf(stderr, "kestrel: warning: %s\n", prog.Warnings().Format("filter"))
	}
	return prog, err
}

// captureFields returns the fields of a capture's events: every system
// call field, and the fields of the built-in sources (ka.*, ct.*,
// json.value…), which read the plugin events of their source and have no
// value on other events.
func captureFields() (*field.Registry, error) {
	seen := map[string]bool{}
	var defs []field.Def
	add := func(r *field.Registry) {
		for _, d := range r.All() {
			if !seen[d.Name] {
				seen[d.Name] = true
				defs = append(defs, *d)
			}
		}
	}
	add(field.Default())
	for _, k := range sourceKinds() {
		add(k.def().Fields)
	}
	r, err := field.NewRegistry(defs)
	if err != nil {
		return nil, fmt.Errorf("capture fields: %w", err)
	}
	return r, nil
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
