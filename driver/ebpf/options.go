// Package ebpf is Kestrel's live event source: a CO-RE eBPF probe on the
// raw syscall and scheduler tracepoints that writes scap records into a
// BPF ring buffer, and the loader and reader that turn them into events.
package ebpf

import "github.com/kestrel-sec/kestrel/driver"

// Options configure [Open]. The zero value reports every syscall of every
// process but Kestrel's own, through an 8 MiB ring per CPU.
type Options struct {
	// RingSize is the size in bytes of each kernel ring buffer, a power
	// of two and a multiple of the page size; 0 means 8 MiB.
	RingSize int
	// CPUsPerRing is how many CPUs share a ring buffer. 0 means a ring
	// per CPU (the fastest) up to MaxDefaultRings rings; on hosts with
	// more CPUs, as few CPUs per ring as keep to that many. The rings
	// take RingSize × CPUs / CPUsPerRing of locked memory.
	CPUsPerRing int
	// QueueLen bounds the events read from the ring and not yet taken by
	// Next; past it records are dropped and counted. 0 means 65536.
	QueueLen int
	// Syscalls names the syscalls to report ("open", "execve"); nil
	// means all of them. The process events (execve images, procexit)
	// and the clone family are always reported, for the process model.
	Syscalls []string
	// IncludeSelf also reports Kestrel's own process.
	IncludeSelf bool
	// Snaplen is how many bytes of I/O data (read, write, send, receive,
	// module images) the events keep, at most MaxSnaplen; 0 keeps none.
	Snaplen int
	// Prefilter is what the probe keeps in the kernel from the start
	// (see [Probe.SetPrefilter] for its limits); the zero value sends
	// every selected event.
	Prefilter driver.Prefilter
	// Hooks chooses how the probe catches the selected syscalls' exits:
	// the raw sys_exit tracepoint (the zero value), or, when tracefs is
	// mounted, their own exit tracepoints (see [HookMode]).
	Hooks HookMode
}

// HookMode is how the probe catches syscall exits ([Options.Hooks]).
type HookMode int

const (
	// HooksRaw attaches to the raw sys_exit tracepoint, which runs the
	// probe for every syscall of the host, selected or not.
	HooksRaw HookMode = iota
	// HooksAuto attaches to the selected syscalls' own exit tracepoints
	// (syscalls/sys_exit_<name>), which run the probe for them alone,
	// when tracefs is mounted (the probe does not mount it) and the
	// selection is not every syscall; otherwise as HooksRaw. Syscalls
	// that have no exit tracepoint (on x86-64, those the kernel does not
	// implement: they fail with ENOSYS) are then not reported.
	HooksAuto
	// HooksPerSyscall is HooksAuto whatever the selection (for tests).
	HooksPerSyscall
)

// MaxSnaplen is the largest [Options.Snaplen] (MAX_SNAPLEN of the probe).
const MaxSnaplen = 8192

// MaxDefaultRings bounds the number of rings when [Options.CPUsPerRing]
// is 0, and so the memory they take by default (128 MiB of 8 MiB rings).
const MaxDefaultRings = 16

const (
	defaultRingSize = 8 << 20
	defaultQueueLen = 65536
)

// StateSyscalls returns the syscalls the process and fd model needs
// whatever a filter selects.
func StateSyscalls() []string {
	return []string{
		"clone", "clone3", "fork", "vfork", "execve", "execveat",
		"open", "openat", "openat2", "creat", "close", "socket", "bind", "connect",
		"accept", "accept4", "dup", "dup2", "dup3",
		"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
		"chdir", "fchdir", "setsid", "setpgid",
	}
}

// ringLayout returns how many CPUs share a ring and how many rings there
// are, for ncpu CPUs and the CPUs per ring asked for (0: the default).
func ringLayout(ncpu, perRing int) (int, int) {
	if perRing == 0 {
		perRing = (ncpu + MaxDefaultRings - 1) / MaxDefaultRings
	}
	return perRing, (ncpu + perRing - 1) / perRing
}
