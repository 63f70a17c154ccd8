package pipeline

import (
	"bufio"
	"io"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
)

// PrinterOptions configure a [Printer].
type PrinterOptions struct {
	Format *field.Format // the -p format
	// PluginFormat, when set, prints the plugin events (PLUGINEVENT_E)
	// instead of Format, as sysdig prints them with no -p format.
	PluginFormat *field.Format
	JSON         bool            // one JSON object per event instead of text
	Internal     bool            // also print internal events
	Filter       *filter.Program // only matching events (nil: every event)
	// Live writes what is printed whenever a live source has nothing
	// more for now (see [IdleSink]), and at the latest liveDelay after it
	// was printed, rather than when the buffer fills: live output is
	// never held back, even on a busy host whose source is never idle.
	Live bool
}

// Printer prints the events that readers show, as sysdig does: one line
// per event in a -p format, or one JSON object.
type Printer struct {
	w    *bufio.Writer
	fc   *field.Context
	o    PrinterOptions
	line []byte
	// Live: when the oldest line the buffer holds was printed, and the
	// events seen since the clock was last looked at.
	held   time.Time
	looked uint32
}

// liveDelay bounds how long a live printer holds a line.
const liveDelay = 100 * time.Millisecond

// NewPrinter returns a printer writing to out that reads fields from fc.
func NewPrinter(out io.Writer, fc *field.Context, o PrinterOptions) *Printer {
	return &Printer{w: bufio.NewWriterSize(out, 1<<16), fc: fc, o: o}
}

// Event prints e when it is shown, matches the filter and has the fields
// the format requires.
func (p *Printer) Event(e *event.Event, k Kind) error {
	if p.o.Live && p.w.Buffered() > 0 {
		if err := p.flushHeld(); err != nil {
			return err
		}
	}
	if k&(Preamble|StateOnly) != 0 || (k&Internal != 0 && !p.o.Internal) {
		return nil
	}
	if p.o.Filter != nil && !p.o.Filter.Match(p.fc) {
		return nil
	}
	fm := p.o.Format
	if p.o.PluginFormat != nil && e.Type() == event.PluginEventE {
		fm = p.o.PluginFormat
	}
	var ok bool
	if p.o.JSON {
		p.line, ok = fm.AppendJSON(p.line[:0], p.fc)
	} else {
		p.line, ok = fm.AppendText(p.line[:0], p.fc)
	}
	if !ok {
		return nil
	}
	p.fc.Shown()
	p.line = append(p.line, '\n')
	if p.o.Live && p.w.Buffered() == 0 {
		p.held = time.Now()
	}
	_, err := p.w.Write(p.line)
	return err
}

// flushHeld writes out the lines held longer than liveDelay; it looks at
// the clock once every 64 events.
func (p *Printer) flushHeld() error {
	if p.looked++; p.looked%64 != 0 || time.Since(p.held) < liveDelay {
		return nil
	}
	return p.w.Flush()
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
