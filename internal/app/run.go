package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/state"
)

// DefaultConfigFile is the configuration file run reads when it exists
// and no other is given.
const DefaultConfigFile = "/etc/kestrel/kestrel.yaml"

// RunOptions configure [Run]: the configuration file, the rule selection
// of [ReplayOptions] (its Path is unused; its flags win over the file),
// and the live source's settings.
type RunOptions struct {
	ReplayOptions
	LiveOptions
	// ConfigFile is the configuration file (-c); DefaultConfigFile when
	// empty and it exists; otherwise the built-in defaults.
	ConfigFile string
	// DryRun loads the configuration and the rules, prints what would
	// run and returns, without loading the probe or starting anything
	// (Falco's --dry-run).
	DryRun   bool
	ProcRoot string // procfs for the initial state; "/proc" when empty
	EtcRoot  string // user and group databases; "/etc" when empty
	// Starting, when set, is called once the web server listens, before
	// the probe is loaded, with its address ("" when it is off).
	Starting func(webAddr string)
	// Ready, when set, is called once the probe is attached and the
	// initial state is taken, with the web server's address.
	Ready func(webAddr string)
	// Signals, when set, replaces the process's SIGHUP (reload) and
	// SIGUSR1 (reopen the file outputs) for tests.
	Signals <-chan os.Signal
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

// Run is live detection, what falco does, as a service: it watches the
// host's system calls through the eBPF probe, judges them against the
// rules and hands the alerts to the configured outputs as they happen,
// each through its own queue. SIGHUP, or a change of a watched
// configuration or rules file, reloads the configuration and the rules
// without stopping the probe; SIGUSR1 reopens the file outputs. When ctx
// ends or o.Duration has passed, it drains the events that happened
// before, flushes the outputs and prints the summary on stderr. With
// o.DryRun it stops after loading the configuration and the rules, and
// prints what it would run.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	cfg, err := loadRunConfig(o, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a := &agent{o: o, stdout: stdout, stderr: stderr, log: log}
	if o.DryRun {
		return a.dryRun(cfg)
	}
	if err := a.start(cfg); err != nil {
		a.stop()
		return err
	}
	return a.run(ctx)
}

// loadRunConfig reads the configuration file and -o settings, with the
// command-line flags over them, and prints its diagnostics.
func loadRunConfig(o RunOptions, stderr io.Writer) (*config.Config, error) {
	cfg, ds := readRunConfig(o)
	for _, d := range ds {
		fmt.Fprintf(stderr, "%s\n\n", d.String())
	}
	if ds.HasErrors() {
		return nil, configErr(ds)
	}
	return cfg, nil
}

// readRunConfig is loadRunConfig without printing.
func readRunConfig(o RunOptions) (*config.Config, config.Diagnostics) {
	path := o.ConfigFile
	if path == "" {
		if _, err := os.Stat(DefaultConfigFile); err == nil {
			path = DefaultConfigFile
		}
	}
	cfg, ds := config.LoadWithOverrides(path, o.Settings)
	if ds.HasErrors() {
		return nil, ds
	}
	if len(o.Rules) > 0 {
		cfg.RulesFiles = o.Rules
	}
	if o.JSON {
		cfg.JSONOutput = true
	}
	if o.AllEvents {
		cfg.BaseSyscalls.All = true
	}
	if o.Unbuffered {
		cfg.BufferedOutputs = false
	}
	return cfg, ds
}

// agent is a running `kestrel run`: the probe and the pipeline, the
// rules, the outputs, and what watches them.
type agent struct {
	o      RunOptions
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger

	mu    sync.Mutex // held by reloads
	cfg   *config.Config
	eng   *engine.Engine
	outs  *outputs
	probe *ebpf.Probe
	pipe  *pipeline.Pipeline
	rules *pipeline.Rules
	mon   *monitor
	ctrs  *containers.Manager // nil when no container runtime answers
	// flight is the flight recorder, nil unless capture.enabled.
	flight *flightRecorder
	srcs   *sourceSet // the sources other than syscall, nil when none runs
}

// start compiles the rules, starts the outputs, opens the probe and takes
// the initial state.
func (a *agent) start(cfg *config.Config) error {
	eng, err := a.compile(cfg)
	if err != nil {
		return err
	}
	a.cfg, a.eng = cfg, eng
	if a.outs, err = newOutputs(cfg, a.stdout, a.log); err != nil {
		return err
	}
	// The web server answers from here, /healthz "starting" until ready.
	if a.mon, err = newMonitor(a); err != nil {
		return err
	}
	if a.o.Starting != nil {
		a.o.Starting(a.mon.webAddr())
	}
	if err := ebpf.Check(); err != nil {
		return err
	}
	po := a.o.probeOptions(runSyscalls(eng, cfg), false, 0)
	po.Prefilter, _ = kernelFilter(eng, cfg)
	po.Hooks = map[string]ebpf.HookMode{"auto": ebpf.HooksAuto}[cfg.KernelFilter.PerSyscallHooks]
	if a.probe, err = ebpf.Open(po); err != nil {
		return err
	}
	// The stream runs and queues from here; the snapshot follows (see
	// state.Snapshot).
	sec, err := state.Snapshot(orDefault(a.o.ProcRoot, "/proc"), etcRoot(a.o.EtcRoot, cfg.ContainerEngines), state.SnapshotOptions{})
	if err != nil {
		a.probe.Close()
		return err
	}
	plo := pipeline.Options{Hostname: hostnameOf(a.o), Count: true, Sweep: sweepEvery, ProcRoot: orDefault(a.o.ProcRoot, "/proc")}
	if a.ctrs = newContainerManager(context.Background(), cfg.ContainerEngines, a.log); a.ctrs != nil {
		plo.Inbox = a.ctrs
	}
	a.pipe = pipeline.New(a.probe, sec, plo)
	if a.ctrs != nil {
		a.ctrs.Start(context.Background())
		a.pipe.State().WatchContainers(a.ctrs)
	}
	a.rules = pipeline.NewRules(eng, a.pipe.Context(), a.startRecorder(cfg, sec))
	a.rules.Time(evalSample)
	a.pipe.Add(a.rules)
	a.srcs = startSources(cfg, eng, a.outs.emit, a.log, hostnameOf(a.o))
	a.mon.attach()
	return nil
}

// sweepEvery is how often a live model drops the threads gone from the
// host whose exit it did not see (see state.State.Sweep).
const sweepEvery = time.Minute

// evalSample is how often the rules' evaluation time is measured: one
// event in evalSample, the time scaled.
const evalSample = 64

// compile loads and compiles the rules cfg names and checks that the
// selection leaves rules to run, logging each warning.
func (a *agent) compile(cfg *config.Config) (*engine.Engine, error) {
	eo, err := engineOptions(cfg, a.o)
	if err != nil {
		return nil, err
	}
	_, eng, ds := loadRules(cfg.RulesFiles, eo)
	if ds.HasErrors() {
		for _, d := range ds.Errors() {
			fmt.Fprintf(a.stderr, "%s\n\n", d.String())
		}
		return nil, ds.Err()
	}
	warnings, err := checkSelection(eng, eo)
	for _, w := range warnings {
		a.log.Warn(w)
	}
	if err = a.onlySources(err, eng, cfg); err != nil {
		return nil, err
	}
	return eng, nil
}

// onlySources accepts a selection error that only says no syscall rule
// runs when an enabled source's rules run (a run for the Kubernetes
// audit log alone, say); the probe still feeds the host model.
func (a *agent) onlySources(err error, eng *engine.Engine, cfg *config.Config) error {
	if err == nil || !errors.Is(err, ErrNoRules) {
		return err
	}
	enabled := func(source string) bool {
		for _, b := range sourceBlocks(cfg.Sources) {
			if b.name == source {
				return b.enabled
			}
		}
		return false
	}
	if !sourceRulesRun(eng, enabled) {
		return err
	}
	a.log.Info("no syscall rule runs: only the rules of the other sources", "error", err)
	return nil
}

// engineOptions turns the configuration and the flags into the engine's
// options.
func engineOptions(cfg *config.Config, o RunOptions) (engine.Options, error) {
	e := engine.DefaultOptions()
	e.Matching, e.MinPriority, e.TimeISO8601 = cfg.RuleMatching, cfg.Priority, cfg.TimeFormatISO8601
	e.Disable, e.EnableTags, e.DisableTags = o.Disable, o.EnableTags, o.DisableTags
	e.AllEvents = cfg.BaseSyscalls.All
	e.Hostname = hostnameOf(o)
	for _, s := range cfg.Rules {
		e.Select = append(e.Select, engine.Selection{Enable: s.Enable, Rule: s.Rule, Tag: s.Tag})
	}
	for _, a := range cfg.AppendOutput {
		ao := engine.AppendOutput{Source: a.Match.Source, Tags: a.Match.Tags, Rule: a.Match.Rule, ExtraOutput: a.ExtraOutput}
		for _, f := range a.ExtraFields {
			ao.ExtraFields = append(ao.ExtraFields, engine.ExtraField{Name: f.Name, Format: f.Format})
		}
		e.AppendOutput = append(e.AppendOutput, ao)
	}
	if err := e.Check(); err != nil {
		return e, Usagef("%v", err)
	}
	return e, nil
}

func hostnameOf(o RunOptions) string {
	if o.Hostname != "" {
		return o.Hostname
	}
	return hostnameOrEmpty()
}

// run drives the pipeline until ctx ends, o.Duration passes or the exit
// action of syscall_event_drops fires; then it stops everything in order
// and prints the summary.
func (a *agent) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if a.o.Duration > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, a.o.Duration)
		defer stop()
	}
	bg := a.background(ctx, cancel)
	a.log.Info("watching this host", "rules", len(a.eng.Selected()), "outputs", a.outs.names())
	a.mon.ready()
	if a.o.Ready != nil {
		a.o.Ready(a.mon.webAddr())
	}
	err := a.pipe.Run(ctx, 0)
	cancel(nil)
	bg.Wait()
	if cause := context.Cause(ctx); errors.Is(cause, ErrDropExit) && err == nil {
		err = cause
	}
	if cerr := a.stop(); err == nil {
		err = cerr
	}
	return err
}

// background starts what runs beside the pipeline: signals, the file
// watcher, the drop monitor, the periodic metrics and the web server.
func (a *agent) background(ctx context.Context, cancel context.CancelCauseFunc) *sync.WaitGroup {
	var wg sync.WaitGroup
	sigs := a.o.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, syscall.SIGHUP, syscall.SIGUSR1)
		go func() { <-ctx.Done(); signal.Stop(ch) }()
		sigs = ch
	}
	wg.Go(func() { a.signals(ctx, sigs) })
	if a.cfg.WatchConfigFiles {
		wg.Go(func() { a.watch(ctx) })
	}
	wg.Go(func() {
		if err := a.mon.drops.run(ctx); err != nil {
			cancel(err)
		}
	})
	a.mon.startBackground(ctx, &wg)
	return &wg
}

// signals handles SIGHUP (reload) and SIGUSR1 (reopen the file outputs).
func (a *agent) signals(ctx context.Context, sigs <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sigs:
			switch s {
			case syscall.SIGHUP:
				a.reload("SIGHUP")
			case syscall.SIGUSR1:
				a.log.Info("reopening the file outputs", "signal", "SIGUSR1")
				a.outs.reopen()
			}
		}
	}
}

// stop closes the pipeline (the probe), the monitor and the outputs, then
// prints the summary. The outputs' drain counts from the start of the
// stop: what closing the sources and the probe took is not added to it.
func (a *agent) stop() error {
	var err error
	start := time.Now()
	a.srcs.stop()
	if a.pipe != nil {
		err = a.pipe.Close()
	} else if a.probe != nil {
		err = a.probe.Close()
	}
	if a.ctrs != nil {
		if cerr := a.ctrs.Close(); cerr != nil {
			a.log.Debug("closing the container runtimes", "error", cerr)
		}
	}
	if a.mon != nil {
		a.mon.close()
	}
	if a.outs != nil {
		drain := max(outputDrainTime-time.Since(start), minOutputDrain)
		if cerr := a.outs.close(drain); err == nil {
			err = cerr
		}
		if a.pipe != nil {
			a.summary(a.outs)
		}
	}
	return err
}

// outputDrainTime bounds how long stopping waits for the outputs to
// deliver what they hold, from the start of the stop; they have at
// least minOutputDrain after the pipeline's last alert.
const (
	outputDrainTime = 3 * time.Second
	minOutputDrain  = 500 * time.Millisecond
)

// summary prints what was judged and alerted, what each output did, and
// what the probe lost.
func (a *agent) summary(outs *outputs) {
	w := a.stderr
	outs.counts.summary(w, a.pipe.Events())
	a.srcs.summary(w)
	for _, s := range outs.stats() {
		fmt.Fprintf(w, "kestrel: output %s: %d sent, %d failed, %d dropped\n", s.Name, s.Sent, s.Failed, s.DroppedTotal())
	}
	if n := a.pipe.Swept(); n > 0 {
		fmt.Fprintf(w, "kestrel: %d threads whose exit the events did not show were removed from the model\n", n)
	}
	if a.ctrs != nil {
		c := containerStats(a.ctrs)
		fmt.Fprintf(w, "kestrel: containers: %d runtimes asked, %d lookups answered, %d not found, %d failed, %d dropped\n",
			c.Runtimes, c.Lookups, c.NotFound, c.Errors, c.Dropped)
	}
	if n := a.mon.drops.seen; n > 0 {
		fmt.Fprintf(w, "kestrel: %d seconds with events dropped over the threshold, acted on %d\n", n, a.mon.drops.acted)
	}
	st := a.probe.Stats()
	reportDrops(w, st)
	if st.Filtered > 0 {
		fmt.Fprintf(w, "kestrel: %d opens kept back in the kernel: no rule could match them (kernel_filter)\n", st.Filtered)
	}
}

// runSyscalls returns the syscalls the probe sends: those the selected
// rules can match, with the flight recorder's (capture.syscalls) and
// base_syscalls.custom_set's additions and removals; nil (all) when a
// rule may match any.
func runSyscalls(eng *engine.Engine, cfg *config.Config) []string {
	names := ruleSyscalls(eng)
	if names == nil {
		return nil
	}
	names = append(names, captureSyscalls(cfg)...)
	for _, s := range cfg.BaseSyscalls.CustomSet {
		if len(s) > 1 && s[0] == '!' {
			names = removeName(names, s[1:])
		} else if ebpf.IsSyscall(s) {
			names = append(names, s)
		}
	}
	return names
}

func removeName(names []string, name string) []string {
	out := names[:0]
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// ruleSyscalls returns the syscalls whose events the selected rules can
// match; nil (all) when one of them may match any.
func ruleSyscalls(eng *engine.Engine) []string {
	if len(eng.Selected()) == 0 {
		return []string{} // only the other sources' rules run: the model's syscalls
	}
	var ts filter.TypeSet
	for _, r := range eng.Selected() {
		ts.Union(r.Program.EventTypes())
	}
	return syscallsOf(&ts)
}
