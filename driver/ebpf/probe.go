//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
)

const btfPath = "/sys/kernel/btf/vmlinux"

// wakeFraction: the probe wakes the reader when a 1/wakeFraction of the
// ring waits to be read; otherwise the reader polls (pollInterval).
const wakeFraction = 8

// Probe is the loaded and attached probe with its ring-buffer reader. It
// implements [driver.Source].
type Probe struct {
	objs     probeObjects
	links    []link.Link
	ringMaps []*ebpf.Map
	rings    *rings
	q        *queue
	filled   chan struct{} // closed when the ring reader has stopped

	pfMu  sync.Mutex // serialises SetPrefilter
	pfGen int        // the generation of the pre-filter's sets in use

	selMu    sync.Mutex    // serialises Select
	hooks    *syscallHooks // the per-syscall links; nil: the raw tracepoint
	hooksErr error         // why per-syscall hooks were asked for and not used
}

var _ driver.Source = (*Probe)(nil)

// Check reports what the machine or the process lacks for live capture:
// the capabilities that loading the probe and reading every process in
// /proc need (see caps.go; an error wrapping [driver.ErrNotRoot] names
// those missing), or a kernel with BTF. It returns nil when all are there.
func Check() error {
	if err := checkCaps(); err != nil {
		return err
	}
	if _, err := os.Stat(btfPath); err != nil {
		return fmt.Errorf("%w (%v)", driver.ErrNoBTF, err)
	}
	return nil
}

// Open loads the probe into the kernel, attaches it and starts reading its
// ring buffer: events queue from then on, until Next takes them.
func Open(o Options) (*Probe, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if o.RingSize == 0 {
		o.RingSize = defaultRingSize
	}
	if o.QueueLen == 0 {
		o.QueueLen = defaultQueueLen
	}
	if o.CPUsPerRing < 0 {
		return nil, fmt.Errorf("cpus per ring %d: not positive", o.CPUsPerRing)
	}
	if o.RingSize&(o.RingSize-1) != 0 || o.RingSize < os.Getpagesize() {
		return nil, fmt.Errorf("ring size %d: not a power of two of at least a page", o.RingSize)
	}
	if o.Snaplen < 0 || o.Snaplen > MaxSnaplen {
		return nil, fmt.Errorf("snaplen %d: not between 0 and %d", o.Snaplen, MaxSnaplen)
	}
	sel, err := selection(o.Syscalls)
	if err != nil {
		return nil, fmt.Errorf("syscall selection: %w", err)
	}
	pf, err := compilePrefilter(o.Prefilter)
	if err != nil {
		return nil, fmt.Errorf("pre-filter: %w", err)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		if bpfDenied() {
			return nil, errBPFDenied
		}
		return nil, fmt.Errorf("lifting the locked-memory limit: %w", err)
	}
	spec, err := loadProbe()
	if err != nil {
		return nil, err
	}
	nrings, err := configure(spec, o)
	if err != nil {
		return nil, err
	}
	p := &Probe{}
	if err := spec.LoadAndAssign(&p.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("loading the probe: %+v", ve)
		}
		return nil, fmt.Errorf("loading the probe: %w", err)
	}
	if err := p.fill(sel); err != nil {
		p.Close()
		return nil, err
	}
	if err := p.setPrefilter(pf); err != nil {
		p.Close()
		return nil, err
	}
	if err := p.makeRings(spec.Maps[probeMapRings].InnerMap, nrings, o.RingSize); err != nil {
		p.Close()
		return nil, err
	}
	p.q = newQueue(o.QueueLen)
	p.q.ringData = p.rings.available
	p.filled = make(chan struct{})
	go p.q.fill(p.rings, p.filled)
	if err := p.attach(o.Hooks, o.Syscalls == nil, sel); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// configure sizes the maps and sets the probe's constants; it returns the
// number of rings.
func configure(spec *ebpf.CollectionSpec, o Options) (int, error) {
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return 0, fmt.Errorf("counting CPUs: %w", err)
	}
	perRing, nrings := ringLayout(ncpu, o.CPUsPerRing)
	spec.Maps[probeMapScratchMap].MaxEntries = uint32(ncpu)
	spec.Maps[probeMapRings].MaxEntries = uint32(nrings)
	spec.Maps[probeMapRings].InnerMap.MaxEntries = uint32(o.RingSize)
	if err := spec.Variables[probeVarCpusPerRing].Set(uint32(perRing)); err != nil {
		return 0, fmt.Errorf("cpus_per_ring: %w", err)
	}
	own := uint32(os.Getpid())
	if o.IncludeSelf {
		own = 0
	}
	if err := spec.Variables[probeVarOwnTgid].Set(own); err != nil {
		return 0, fmt.Errorf("own_tgid: %w", err)
	}
	if err := spec.Variables[probeVarBootToEpoch].Set(bootToEpoch()); err != nil {
		return 0, fmt.Errorf("boot_to_epoch: %w", err)
	}
	if err := spec.Variables[probeVarSnaplen].Set(uint32(o.Snaplen)); err != nil {
		return 0, fmt.Errorf("snaplen: %w", err)
	}
	if err := spec.Variables[probeVarWakeBytes].Set(uint64(o.RingSize / wakeFraction)); err != nil {
		return 0, fmt.Errorf("wake_bytes: %w", err)
	}
	return nrings, nil
}

// bootToEpoch is the wall-clock time of the boot-time clock's zero, in ns.
func bootToEpoch() uint64 {
	var rt, bt unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_REALTIME, &rt)
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &bt)
	return uint64(rt.Nano() - bt.Nano())
}

// fill writes the syscall selection and the portable syscall codes.
func (p *Probe) fill(sel []uint8) error {
	codes := ppmCodes()
	for nr := range uint32(maxSyscalls) {
		if err := p.objs.Selected.Put(nr, sel[nr]); err != nil {
			return fmt.Errorf("syscall selection: %w", err)
		}
		if err := p.objs.PpmSc.Put(nr, codes[nr]); err != nil {
			return fmt.Errorf("syscall codes: %w", err)
		}
	}
	return nil
}

// Select changes, while the probe runs, which syscalls it sends: names
// (nil: all), with those the host model needs always on. Each syscall's
// switch is set in place, so that no syscall selected before and after
// is missed meanwhile. With per-syscall hooks, the newly selected
// syscalls' tracepoints are attached before their switches are set, and
// those no longer selected detached after; the others' stay.
func (p *Probe) Select(names []string) error {
	sel, err := selection(names)
	if err != nil {
		return fmt.Errorf("syscall selection: %w", err)
	}
	p.selMu.Lock()
	defer p.selMu.Unlock()
	var added []uint32
	if p.hooks != nil {
		if added, err = p.hooks.hook(p, sel); err != nil {
			return err
		}
	}
	for nr := range uint32(maxSyscalls) {
		if err := p.objs.Selected.Put(nr, sel[nr]); err != nil {
			if p.hooks != nil {
				p.hooks.unhook(added)
			}
			return fmt.Errorf("syscall selection: %w", err)
		}
	}
	if p.hooks != nil {
		p.hooks.unhookOff(sel)
	}
	return nil
}

// PerSyscallHooks reports whether the probe catches syscall exits on the
// syscalls' own tracepoints, and, when it does not, why if they were
// asked for ([HooksAuto], [HooksPerSyscall]).
func (p *Probe) PerSyscallHooks() (bool, error) { return p.hooks != nil, p.hooksErr }

// makeRings creates the ring buffers, puts them in the probe's map of
// rings and maps them for reading.
func (p *Probe) makeRings(inner *ebpf.MapSpec, n, size int) error {
	fds := make([]int, n)
	for i := range n {
		spec := inner.Copy()
		spec.Name = fmt.Sprintf("kestrel_ring%d", i)
		m, err := ebpf.NewMap(spec)
		if err != nil {
			return fmt.Errorf("ring buffer %d of %d bytes: %w", i, size, err)
		}
		p.ringMaps = append(p.ringMaps, m)
		if err := p.objs.Rings.Put(uint32(i), m); err != nil {
			return fmt.Errorf("ring buffer %d: %w", i, err)
		}
		fds[i] = m.FD()
	}
	rs, err := openRings(fds, size)
	if err != nil {
		return err
	}
	p.rings = rs
	return nil
}

// attach attaches the programs: the syscall exits through the syscalls'
// own tracepoints when mode asks for them and they can be (all: the
// selection sel is every syscall), otherwise the raw tracepoint.
func (p *Probe) attach(mode HookMode, all bool, sel []uint8) error {
	progs := []*ebpf.Program{p.objs.OnExit, p.objs.OnFork, p.objs.OnExec}
	raw := true
	switch {
	case mode == HooksRaw:
	case mode == HooksAuto && all:
		p.hooksErr = errors.New("every syscall is selected: the raw tracepoint costs less")
	default:
		names, err := syscallTracepoints()
		if err != nil {
			p.hooksErr = err
			break
		}
		h := &syscallHooks{names: names, links: map[uint32]link.Link{}}
		if _, err := h.hook(p, sel); err != nil {
			p.hooksErr = err
			break
		}
		p.hooks, raw = h, false
	}
	if raw {
		progs = append(progs, p.objs.OnSysExit)
	}
	for _, prog := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			return fmt.Errorf("attaching %s: %w", prog, err)
		}
		p.links = append(p.links, l)
	}
	return nil
}

// Close detaches the probe, stops the reader and frees the kernel objects.
func (p *Probe) Close() error {
	if p.hooks != nil {
		p.hooks.close()
	}
	for _, l := range p.links {
		l.Close()
	}
	p.links = nil
	if p.rings != nil {
		if p.filled != nil {
			p.rings.stop()
			<-p.filled
		}
		p.rings.close()
		p.rings = nil
	}
	if p.q != nil {
		p.q.close()
	}
	for _, m := range p.ringMaps {
		m.Close()
	}
	p.ringMaps = nil
	return p.objs.Close()
}

// Stats reads the kernel's drop counters, summed over the CPUs, and adds
// the reader's.
func (p *Probe) Stats() driver.Stats {
	s := p.q.stats()
	var per []kernelDrops
	if p.objs.DropMap != nil && p.objs.DropMap.Lookup(uint32(0), &per) == nil {
		for _, d := range per {
			s.Kernel += d.Events
			s.RingFull += d.RingFull
			s.ReadFail += d.ReadFail
			s.TooLong += d.TooLong
			s.Filtered += d.Prefiltered
		}
	}
	return s
}

// kernelDrops mirrors struct drops of the probe (bpf/record.h).
type kernelDrops struct {
	RingFull, ReadFail, TooLong, Events uint64
	_                                   uint64 // unwoken: not a counter
	Prefiltered                         uint64
}

// Next returns the next event, valid until the next call.
func (p *Probe) Next(ctx context.Context) (*event.Event, error) { return p.q.next(ctx) }

// Pending reports how many events wait to be taken by Next.
func (p *Probe) Pending() int { return p.q.pending() }
