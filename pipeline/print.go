package pipeline

import (
	"bufio"
	"io"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
)

// PrinterOptions configure a [Printer].
type PrinterOptions struct {
	Format   *field.Format   // the -p format
	JSON     bool            // one JSON object per event instead of text
	Internal bool            // also print internal events
	Filter   *filter.Program // only matching events (nil: every event)
	// Live writes what is printed whenever a live source has nothing
	// more for now (see [IdleSink]), rather than when the buffer fills:
	// live output is never held back.
	Live bool
}

// Printer prints the events that readers show, as sysdig does: one line
// per event in a -p format, or one JSON object.
type Printer struct {
	w    *bufio.Writer
	fc   *field.Context
	o    PrinterOptions
	line []byte
}

// NewPrinter returns a printer writing to out that reads fields from fc.
func NewPrinter(out io.Writer, fc *field.Context, o PrinterOptions) *Printer {
	return &Printer{w: bufio.NewWriterSize(out, 1<<16), fc: fc, o: o}
}

// Event prints e when it is shown, matches the filter and has the fields
// the format requires.
func (p *Printer) Event(_ *event.Event, k Kind) error {
	if k&(Preamble|StateOnly) != 0 || (k&Internal != 0 && !p.o.Internal) {
		return nil
	}
	if p.o.Filter != nil && !p.o.Filter.Match(p.fc) {
		return nil
	}
	var ok bool
	if p.o.JSON {
		p.line, ok = p.o.Format.AppendJSON(p.line[:0], p.fc)
	} else {
		p.line, ok = p.o.Format.AppendText(p.line[:0], p.fc)
	}
	if !ok {
		return nil
	}
	p.fc.Shown()
	p.line = append(p.line, '\n')
	_, err := p.w.Write(p.line)
	return err
}

// Idle writes out what the printer holds, for live output.
func (p *Printer) Idle() error {
	if !p.o.Live || p.w.Buffered() == 0 {
		return nil
	}
	return p.w.Flush()
}

// Close flushes what the printer holds.
func (p *Printer) Close() error { return p.w.Flush() }
