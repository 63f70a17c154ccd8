//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cilium/ebpf"

	"github.com/kestrel-sec/kestrel/driver"
)

// Live capture needs, besides a kernel with BTF, the capabilities below in
// the process's effective set; root has them all. Without each:
//
//   - CAP_BPF: the probe's programs and maps cannot be created.
//   - CAP_PERFMON: the kernel refuses the tracing programs
//     (fentry, tp_btf), which read kernel memory.
//   - CAP_SYS_PTRACE: the /proc snapshot cannot follow the
//     exe, cwd, root, fd and namespace links of processes of other users
//     (or with more capabilities), and leaves them empty.
//   - CAP_DAC_READ_SEARCH: the snapshot cannot list the fd
//     tables (/proc/PID/fd, fdinfo: mode 0500) of other users' processes
//     nor read their environments (mode 0400), and leaves them empty.
//
// A snapshot that silently misses other users' files and programs is a
// blind host model, so Check refuses to start without the last two as
// it does without the first two.
//
// CAP_SYS_RESOURCE is needed only on kernels before 5.11, which charge
// BPF memory to RLIMIT_MEMLOCK instead of the memory cgroup, when the
// limit is not already unlimited (LimitMEMLOCK=infinity).
//
// The systemd unit in packaging/systemd grants exactly this set.

// capNeed is one capability live capture needs.
type capNeed struct {
	cap  int   // the capability to grant
	also []int // capabilities that grant the same rights
}

// liveCaps are the capabilities live capture always needs. CAP_SYS_ADMIN
// grants what CAP_BPF and CAP_PERFMON grant (and is what kernels before
// 5.8 ask for); CAP_DAC_OVERRIDE grants what CAP_DAC_READ_SEARCH does.
var liveCaps = []capNeed{
	{unix.CAP_BPF, []int{unix.CAP_SYS_ADMIN}},
	{unix.CAP_PERFMON, []int{unix.CAP_SYS_ADMIN}},
	{unix.CAP_SYS_PTRACE, nil},
	{unix.CAP_DAC_READ_SEARCH, []int{unix.CAP_DAC_OVERRIDE}},
}

// memlockCap is needed as well where BPF memory counts against
// RLIMIT_MEMLOCK (see needsMemlock).
var memlockCap = capNeed{unix.CAP_SYS_RESOURCE, nil}

// capNames are the names of the capabilities Kestrel speaks of.
var capNames = map[int]string{
	unix.CAP_DAC_OVERRIDE:    "CAP_DAC_OVERRIDE",
	unix.CAP_DAC_READ_SEARCH: "CAP_DAC_READ_SEARCH",
	unix.CAP_SYS_PTRACE:      "CAP_SYS_PTRACE",
	unix.CAP_SYS_ADMIN:       "CAP_SYS_ADMIN",
	unix.CAP_SYS_RESOURCE:    "CAP_SYS_RESOURCE",
	unix.CAP_PERFMON:         "CAP_PERFMON",
	unix.CAP_BPF:             "CAP_BPF",
}

// capName returns the name of capability c, as capabilities(7) spells it.
func capName(c int) string {
	if n, ok := capNames[c]; ok {
		return n
	}
	return "capability " + strconv.Itoa(c)
}

// checkCaps returns driver.ErrNotRoot, wrapped with the names of the
// missing capabilities and how to grant them, when the process lacks
// any that live capture needs.
func checkCaps() error {
	eff, err := effectiveCaps()
	if err != nil {
		return fmt.Errorf("reading the process's capabilities: %w", err)
	}
	var memlock bool
	var uts unix.Utsname
	var lim unix.Rlimit
	if unix.Uname(&uts) == nil && unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil {
		memlock = needsMemlock(unix.ByteSliceToString(uts.Release[:]), lim.Max)
	}
	return capsError(eff, neededCaps(memlock))
}

// neededCaps returns the capabilities live capture needs; memlock adds
// CAP_SYS_RESOURCE to them.
func neededCaps(memlock bool) []capNeed {
	if !memlock {
		return liveCaps
	}
	return append(liveCaps[:len(liveCaps):len(liveCaps)], memlockCap)
}

// capsError returns nil when the effective set eff holds every capability
// of needs; otherwise driver.ErrNotRoot, wrapped with the names of those
// missing and how to grant the whole set.
func capsError(eff uint64, needs []capNeed) error {
	var missing, all []string
	for _, n := range needs {
		all = append(all, strings.ToLower(capName(n.cap)))
		if !hasAny(eff, n) {
			missing = append(missing, capName(n.cap))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (run as root, or grant them: AmbientCapabilities= as in "+
		"packaging/systemd/kestrel.service, or setcap %s+ep on the kestrel binary)",
		driver.ErrNotRoot, strings.Join(missing, ", "), strings.Join(all, ","))
}

// hasAny reports whether eff holds n's capability or one that grants the
// same.
func hasAny(eff uint64, n capNeed) bool {
	if eff&(1<<n.cap) != 0 {
		return true
	}
	for _, c := range n.also {
		if eff&(1<<c) != 0 {
			return true
		}
	}
	return false
}

// effectiveCaps returns the calling thread's effective capability set,
// one bit per capability.
func effectiveCaps() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3: two 32-bit halves
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, fmt.Errorf("capget: %w", err)
	}
	return uint64(data[1].Effective)<<32 | uint64(data[0].Effective), nil
}

// needsMemlock reports whether loading the probe must raise RLIMIT_MEMLOCK,
// which takes CAP_SYS_RESOURCE: on kernels before 5.11 (release, as uname
// gives it), which charge BPF memory to that limit, when its hard limit
// max is not already unlimited. An unparsable release is taken as recent.
func needsMemlock(release string, max uint64) bool {
	if max == unix.RLIM_INFINITY {
		return false
	}
	major, minor, ok := kernelVersion(release)
	return ok && (major < 5 || major == 5 && minor < 11)
}

// kernelVersion parses the major and minor numbers of a kernel release
// ("6.1.0-18-amd64").
func kernelVersion(release string) (major, minor int, ok bool) {
	maj, rest, found := strings.Cut(release, ".")
	if !found {
		return 0, 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(maj)
	minor, err2 = strconv.Atoi(rest[:end])
	return major, minor, err1 == nil && err2 == nil
}

// errBPFDenied says that the bpf() system call itself is refused,
// although the capabilities are there (Check passed).
var errBPFDenied = errors.New("the kernel refuses the bpf() system call although Kestrel has CAP_BPF: " +
	"a seccomp profile or a security module denies it (in a container, run Kestrel with the seccomp profile " +
	"Unconfined, as deploy/kubernetes/kestrel.yaml does, or one that allows bpf())")

// bpfDenied reports whether the kernel refuses to create even the
// smallest BPF map with EPERM.
func bpfDenied() bool {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err == nil {
		m.Close()
		return false
	}
	return errors.Is(err, unix.EPERM)
}
