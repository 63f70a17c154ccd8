package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/state"
)

// RunOptions configure [Run]: the rule selection of [ReplayOptions] (its
// Path is unused), and the live source's settings.
type RunOptions struct {
	ReplayOptions
	LiveOptions
	ProcRoot string // procfs for the initial state; "/proc" when empty
	EtcRoot  string // user and group databases; "/etc" when empty
	// Ready, when set, is called once the probe is attached and the
	// initial state is taken.
	Ready func()
}

// LiveOptions are the settings of the live source that capture and run
// share.
type LiveOptions struct {
	Duration    time.Duration // stop after this long (0: until ctx ends)
	RingSize    int           // size of each kernel ring buffer in bytes (0: the probe's default)
	CPUsPerRing int           // CPUs sharing a kernel ring buffer (0: the probe's default, see ebpf.Options)
}

func (o LiveOptions) probeOptions(syscalls []string, self bool, snaplen int) ebpf.Options {
	return ebpf.Options{RingSize: o.RingSize, CPUsPerRing: o.CPUsPerRing, Syscalls: syscalls, IncludeSelf: self, Snaplen: snaplen}
}

// Run is live detection, what falco does: it watches the host's system
// calls through the eBPF probe, judges them against the rules and prints
// the alerts, until ctx ends or o.Duration has passed; then it prints the
// summary and what the probe lost on stderr. Only the syscalls the rules
// and the host model need reach user space.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	cfg, eng, err := compileRules(o.ReplayOptions, stderr)
	if err != nil {
		return err
	}
	if err := ebpf.Check(); err != nil {
		return err
	}
	src, err := ebpf.Open(o.probeOptions(ruleSyscalls(eng), false, 0))
	if err != nil {
		return err
	}
	defer src.Close()
	// The stream runs and queues from here; the snapshot follows (see
	// state.Snapshot).
	sec, err := state.Snapshot(orDefault(o.ProcRoot, "/proc"), orDefault(o.EtcRoot, "/etc"), state.SnapshotOptions{})
	if err != nil {
		return err
	}
	p := pipeline.New(src, sec, pipeline.Options{Hostname: cfg.engine.Hostname})
	defer p.Close()
	out := newAlertPrinter(cfg, stdout, true)
	p.Add(pipeline.NewRules(eng, p.Context(), out.emit), out)
	fmt.Fprintf(stderr, "kestrel: watching this host with %d rules\n", len(eng.Selected()))
	if o.Ready != nil {
		o.Ready()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	err = p.Run(ctx, 0)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	out.summary(stderr, p.Events())
	reportDrops(stderr, src.Stats())
	return err
}

// ruleSyscalls returns the syscalls whose events the selected rules can
// match; nil (all) when one of them may match any.
func ruleSyscalls(eng *engine.Engine) []string {
	var ts filter.TypeSet
	for _, r := range eng.Selected() {
		ts.Union(r.Program.EventTypes())
	}
	return syscallsOf(&ts)
}
