package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// CaptureOptions configure [Capture].
type CaptureOptions struct {
	LiveOptions
	Filter   string        // event filter: only matching events are printed or written
	Format   string        // -p format; DefaultFormat when empty
	JSON     bool          // one JSON object per event
	Write    string        // write the events to this capture instead of printing them
	Compress bool          // gzip the written capture
	Limit    uint64        // stop after this many events (0: no limit)
	Internal bool          // also print internal events
	Snaplen  int           // bytes of I/O data kept in the events (0: none)
	Self     bool          // also capture Kestrel's own process
	Rotate   RotateOptions // split the capture written with -w (-C, -G, -W)
	ProcRoot string        // procfs for the initial state; "/proc" when empty
	EtcRoot  string        // user and group databases; "/etc" when empty
	// Ready, when set, is called once the probe is attached and the
	// initial state is taken: actions from then on are seen.
	Ready func()
}

// Capture prints or records the system calls of the host as they happen,
// like sysdig without -r. It stops when ctx ends, after o.Duration or
// o.Limit events, and reports the events it lost on stderr.
func Capture(ctx context.Context, o CaptureOptions, stdout, stderr io.Writer) error {
	prog, err := compileFilter(o.Filter)
	if err != nil {
		return err
	}
	if err := ebpf.Check(); err != nil {
		return err
	}
	src, err := ebpf.Open(o.probeOptions(selectedSyscalls(prog, o.Write != ""), o.Self, o.Snaplen))
	if err != nil {
		return err
	}
	defer src.Close()
	// The stream runs and queues from here; the snapshot comes second so
	// that nothing starting meanwhile is missed (see state.Snapshot).
	sec, err := state.Snapshot(orDefault(o.ProcRoot, "/proc"), orDefault(o.EtcRoot, "/etc"), state.SnapshotOptions{})
	if err != nil {
		return err
	}
	// A written capture is filtered here, on the events as the probe
	// sends them, before they are written as sysdig 0.29.3 reads them
	// (see livePump); its sink takes every event it is given.
	sinkFilter, pumpFilter := prog, (*filter.Program)(nil)
	if o.Write != "" {
		sinkFilter, pumpFilter = nil, prog
	}
	sink, _, err := captureSinkFor(o, sec, stdout, sinkFilter)
	if err != nil {
		return err
	}
	if o.Ready != nil {
		o.Ready()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	pump := newLivePump(sink, o.Write != "", pumpFilter, sec)
	err = pump.run(ctx, src, o.Limit)
	if cerr := sink.close(); err == nil {
		err = cerr
	}
	reportDrops(stderr, src.Stats())
	return err
}

// captureSinkFor returns the sink for o and the model it applies events
// to (nil when it keeps none).
func captureSinkFor(o CaptureOptions, sec *scap.Section, stdout io.Writer, prog *filter.Program) (eventSink, *state.State, error) {
	if o.Write != "" && o.Rotate.Enabled() {
		r, err := newRotatingSink(o.Write, sec, o.Compress, prog, o.Rotate, time.Now())
		if err != nil {
			return nil, nil, err
		}
		return r, r.st, nil
	}
	if o.Write != "" {
		c, err := newCaptureSink(o.Write, sec, o.Compress, prog)
		if err != nil {
			return nil, nil, err
		}
		return c, c.st, nil
	}
	p, err := newPrintSink(ReadOptions{Format: o.Format, JSON: o.JSON, Internal: o.Internal}, sec, stdout, prog)
	if err != nil {
		return nil, nil, err
	}
	return p, p.st, nil
}

// livePump hands a live source's events to a sink. The source's exit
// events carry every parameter of their syscall, which the host model
// reads from them. A capture file (toFile) is written as sysdig 0.29.3's
// driver recorded the syscalls instead (see legacyWriter): readers of the
// classic model, 0.29.3 among them, take fds and arguments from the enter
// events, and skip event codes newer than their table. A filter of a
// written capture is matched on the source's event, before that
// conversion, so that it sees the syscall as it was (dup2, not the dup
// it is written as); the events it does not match are written as
// state-only events when they change the model, or not at all.
type livePump struct {
	sink   eventSink
	toFile bool
	lw     legacyWriter
	filter *filter.Program // nil: every event
	st     *state.State    // the filter's model
	fc     *field.Context
}

// newLivePump returns the pump for sink; prog, when not nil, filters the
// events with a model seeded from sec.
func newLivePump(sink eventSink, toFile bool, prog *filter.Program, sec *scap.Section) *livePump {
	p := &livePump{sink: sink, toFile: toFile, filter: prog}
	if prog != nil {
		p.st = state.FromSection(sec)
		p.fc = field.NewContext(p.st)
		p.fc.Resolver = p.st
	}
	return p
}

// run hands the source's events to the sink until ctx ends or limit
// events went by. When ctx ends, the events that happened before are
// still handed over (see drain).
func (p *livePump) run(ctx context.Context, src driver.Source, limit uint64) error {
	for n := uint64(0); limit == 0 || n < limit; n++ {
		e, err := src.Next(ctx)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			left := uint64(0)
			if limit > 0 {
				left = limit - n
			}
			return p.drain(src, uint64(time.Now().UnixNano()), left)
		}
		if errors.Is(err, driver.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := p.event(e); err != nil {
			return err
		}
	}
	return nil
}

func (p *livePump) event(e *event.Event) error {
	var flags uint32
	if p.filter != nil {
		p.st.Apply(e)
		p.fc.Observe(e)
		if !p.filter.Match(p.fc) {
			if info := e.Info(); info == nil || info.Flags&event.FlagModifiesState == 0 {
				return nil
			}
			flags = event.DumpFlagStateOnly
		}
	}
	if !p.toFile {
		return p.sink.event(e)
	}
	en, ex, err := p.lw.convert(e)
	if err != nil {
		return err
	}
	if en != nil {
		if err := p.write(en, flags); err != nil {
			return err
		}
	}
	return p.write(ex, flags)
}

// write hands e to the sink with flags added to its dump flags.
func (p *livePump) write(e *event.Event, flags uint32) error {
	saved := e.DumpFlags
	e.DumpFlags |= flags
	err := p.sink.event(e)
	e.DumpFlags = saved
	return err
}

// drainTime bounds how long a stopping pump waits for the events that
// happened before the stop.
const drainTime = time.Second

// drain hands over, at most left of them (0: no limit), the events that
// the source still holds from before stop (ns since the epoch): it
// stops at the first younger event, when the source holds none, or after
// drainTime.
func (p *livePump) drain(src driver.Source, stop, left uint64) error {
	pend, ok := src.(interface{ Pending() int })
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), drainTime)
	defer cancel()
	for n := uint64(0); (left == 0 || n < left) && pend.Pending() > 0; n++ {
		e, err := src.Next(ctx)
		if err != nil || e.TS() > stop {
			return nil
		}
		if err := p.event(e); err != nil {
			return err
		}
	}
	return nil
}

// legacyGeneric gives a generic event whose syscall code sysdig 0.29.3
// does not know the code 0 (unknown), as the drivers of its time did:
// 0.29.3 indexes its syscall table with the code unchecked and crashes
// on larger ones. The native number stays in the event.
func legacyGeneric(e *event.Event) {
	if e.Type() != genericExit || e.NumParams() < 1 {
		return
	}
	if p := e.Param(0); len(p.Raw) == 2 && int(p.Uint()) >= len(event.Legacy().Syscalls) {
		p.Raw[0], p.Raw[1] = 0, 0
	}
}

// legacyKnows reports whether sysdig 0.29.3 knows event type t.
func legacyKnows(t event.Type) bool {
	info := event.Legacy().Lookup(t)
	return info != nil && info.Known()
}

// genericExit is the code of the generic syscall exit event.
const genericExit event.Type = 1

// selectedSyscalls returns the syscalls the filter can match, for the
// probe to select in the kernel; nil (all) when it may match any, or when
// the whole stream is recorded.
func selectedSyscalls(prog *filter.Program, all bool) []string {
	if prog == nil || all {
		return nil
	}
	return syscallsOf(prog.EventTypes())
}

// syscallsOf returns the syscalls whose events are in ts; nil (all) when
// ts may hold any.
func syscallsOf(ts *filter.TypeSet) []string {
	if ts == nil || ts.All() {
		return nil
	}
	names := []string{}
	for _, t := range ts.Types() {
		info := event.Current().Lookup(t)
		if info == nil {
			continue
		}
		if ebpf.IsSyscall(info.Name) {
			names = append(names, info.Name)
		}
	}
	if len(names) == 0 {
		// Only generic events, which may stand for any syscall.
		return nil
	}
	// A generic event in the set stands for a syscall named by evt.type,
	// which the named events already select.
	return names
}

// reportDrops prints what the source delivered and lost.
func reportDrops(w io.Writer, s driver.Stats) {
	fmt.Fprintf(w, "kestrel: %d events captured, %d dropped (ring buffer full %d, queue full %d, too long %d, unreadable %d), %d values not readable from memory\n",
		s.Events, s.Dropped(), s.RingFull, s.QueueFull, s.TooLong, s.Unreadable, s.ReadFail)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
