//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
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
	objs  probeObjects
	links []link.Link
	ring  *ringbuf.Reader
	q     *queue
}

var _ driver.Source = (*Probe)(nil)

// Check reports what the machine lacks for live capture: root, or a
// kernel with BTF. It returns nil when both are there.
func Check() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: running as uid %d", driver.ErrNotRoot, os.Geteuid())
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
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("lifting the locked-memory limit: %w", err)
	}
	spec, err := loadProbe()
	if err != nil {
		return nil, err
	}
	if err := configure(spec, o); err != nil {
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
	if p.ring, err = ringbuf.NewReader(p.objs.Events); err != nil {
		p.Close()
		return nil, fmt.Errorf("ring buffer: %w", err)
	}
	p.q = newQueue(o.QueueLen)
	p.q.ringData = p.ring.AvailableBytes
	go p.q.fill(p.ring)
	if err := p.attach(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// configure sizes the maps and sets the probe's constants.
func configure(spec *ebpf.CollectionSpec, o Options) error {
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return fmt.Errorf("counting CPUs: %w", err)
	}
	spec.Maps[probeMapScratchMap].MaxEntries = uint32(ncpu)
	spec.Maps[probeMapEvents].MaxEntries = uint32(o.RingSize)
	own := uint32(os.Getpid())
	if o.IncludeSelf {
		own = 0
	}
	if err := spec.Variables[probeVarOwnTgid].Set(own); err != nil {
		return fmt.Errorf("own_tgid: %w", err)
	}
	if err := spec.Variables[probeVarBootToEpoch].Set(bootToEpoch()); err != nil {
		return fmt.Errorf("boot_to_epoch: %w", err)
	}
	if err := spec.Variables[probeVarSnaplen].Set(uint32(o.Snaplen)); err != nil {
		return fmt.Errorf("snaplen: %w", err)
	}
	if err := spec.Variables[probeVarWakeBytes].Set(uint64(o.RingSize / wakeFraction)); err != nil {
		return fmt.Errorf("wake_bytes: %w", err)
	}
	return nil
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

func (p *Probe) attach() error {
	for _, prog := range []*ebpf.Program{p.objs.OnExit, p.objs.OnFork, p.objs.OnExec, p.objs.OnSysExit} {
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
	for _, l := range p.links {
		l.Close()
	}
	p.links = nil
	if p.ring != nil {
		p.ring.Close()
	}
	if p.q != nil {
		p.q.close()
	}
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
		}
	}
	return s
}

// kernelDrops mirrors struct drops of the probe (bpf/record.h).
type kernelDrops struct {
	RingFull, ReadFail, TooLong, Events uint64
}

// Next returns the next event, valid until the next call.
func (p *Probe) Next(ctx context.Context) (*event.Event, error) { return p.q.next(ctx) }

// Pending reports how many events wait to be taken by Next.
func (p *Probe) Pending() int { return p.q.pending() }
