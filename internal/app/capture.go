package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// DefaultSnaplen is how many bytes of the data of each read, write, send
// and receive a live capture keeps unless told otherwise: sysdig's
// default, enough for the data= argument to show what was read or written.
const DefaultSnaplen = 80

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
	Snaplen  int           // bytes of I/O data kept in the events (0: none; the command's default is DefaultSnaplen)
	Self     bool          // also capture Kestrel's own process
	Rotate   RotateOptions // split the capture written with -w (-C, -G, -W)
	Ring     RingOptions   // keep the recent past in memory, write it when it matters
	ProcRoot string        // procfs for the initial state; "/proc" when empty
	EtcRoot  string        // user and group databases; "/etc" when empty
	// Containers are the container runtimes asked for metadata; nil: the
	// defaults of the configuration (the usual sockets, below $HOST_ROOT).
	Containers *config.ContainerEngines
	// Ready, when set, is called once the probe is attached and the
	// initial state is taken: actions from then on are seen.
	Ready func()
}

// Capture prints or records the system calls of the host as they happen,
// like sysdig without -r. It stops when ctx ends, after o.Duration or
// o.Limit events, and reports the events it lost on stderr.
func Capture(ctx context.Context, o CaptureOptions, stdout, stderr io.Writer) error {
	if o.Snaplen < 0 || o.Snaplen > ebpf.MaxSnaplen {
		return Usagef("--snaplen %d: give a number of bytes from 0 to %d", o.Snaplen, ebpf.MaxSnaplen)
	}
	prog, err := compileFilter(o.Filter, stderr)
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
	ce := config.Default().ContainerEngines
	if o.Containers != nil {
		ce = *o.Containers
	}
	sec, err := state.Snapshot(orDefault(o.ProcRoot, "/proc"), etcRoot(o.EtcRoot, ce), state.SnapshotOptions{})
	if err != nil {
		return err
	}
	po := pipeline.Options{Sweep: sweepEvery, ProcRoot: orDefault(o.ProcRoot, "/proc")}
	// Warnings only: a runtime that fails; the absent ones are skipped.
	ctrs := newContainerManager(ctx, ce, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if ctrs != nil {
		po.Inbox = ctrs
		ctrs.Start(ctx)
		defer ctrs.Close()
	}
	p := pipeline.New(src, sec, po)
	defer p.Close()
	if ctrs != nil {
		p.State().WatchContainers(ctrs)
	}
	if o.Ring.Enabled {
		var stop func()
		if ctx, stop, err = addRing(ctx, p, sec, o, stderr); err != nil {
			return err
		}
		defer stop()
	} else if err := addCaptureSink(p, sec, o, stdout, prog); err != nil {
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
	err = p.Run(ctx, o.Limit)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	reportDrops(stderr, src.Stats())
	return err
}

// addCaptureSink adds to p the printer, the capture writer or the split
// capture writer o asks for. A live capture file is written as sysdig
// 0.29.3's driver recorded the syscalls ([scap.ProfileSysdig029]): readers
// of the classic model, 0.29.3 among them, take fds and arguments from
// the enter events, and skip event codes newer than their table. Its
// filter is matched on the probe's events, before that conversion, so
// that it sees the syscall as it was (dup2, not the dup it is written as).
func addCaptureSink(p *pipeline.Pipeline, sec *scap.Section, o CaptureOptions, stdout io.Writer, prog *filter.Program) error {
	wo := scap.WriterOptions{Compress: o.Compress, Profile: scap.ProfileSysdig029}
	switch {
	case o.Write != "" && o.Rotate.Enabled():
		r, err := newRotatingSink(o.Write, sec, wo, p.State(), o.Rotate, time.Now())
		if err != nil {
			return err
		}
		w := pipeline.NewWriter(r, p.Context(), prog)
		w.WriteContainers()
		p.Add(w)
	case o.Write != "":
		f, err := scapfile.Create(o.Write, sec, wo)
		if err != nil {
			return err
		}
		w := pipeline.NewWriter(f, p.Context(), prog)
		w.WriteContainers()
		p.Add(w)
	default:
		pr, err := newPrinter(ReadOptions{Format: o.Format, JSON: o.JSON, Internal: o.Internal, Live: true}, p.Context(), stdout, prog)
		if err != nil {
			return err
		}
		p.Add(pr)
	}
	return nil
}

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
