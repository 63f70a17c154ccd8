//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/event"
)

// Per-syscall hooks. The raw sys_exit tracepoint runs the probe for every
// syscall of the host, to return at once for most; the syscalls' own exit
// tracepoints (syscalls/sys_exit_<name>, CONFIG_FTRACE_SYSCALLS) run it
// for the selected ones alone. Attaching to them needs their ids, which
// only tracefs tells: the probe uses them when tracefs is mounted (it
// does not mount it: that takes CAP_SYS_ADMIN), and the raw tracepoint
// otherwise.

// tracefsDirs are where tracefs may be, in the order they are tried (the
// second is an automount of the kernel's under debugfs).
var tracefsDirs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

const tracefsMagic = 0x74726163

// tpAliases are the syscalls whose exit tracepoints are named after the
// kernel's function (SYSCALL_DEFINE) rather than the syscall.
var tpAliases = map[string]string{
	"stat": "newstat", "fstat": "newfstat", "lstat": "newlstat", "uname": "newuname",
	"sendfile": "sendfile64", "umount2": "umount",
}

// syscallTracepoints returns the name of the exit tracepoint of each
// native syscall that has one ("" for the others: on x86-64, the
// syscalls this kernel does not implement, which fail with ENOSYS), or an
// error when tracefs or its syscall events are not there.
func syscallTracepoints() ([]string, error) {
	var errs []error
	for _, dir := range tracefsDirs {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err != nil {
			errs = append(errs, err)
			continue
		}
		if st.Type != tracefsMagic {
			errs = append(errs, fmt.Errorf("%s: not tracefs", dir))
			continue
		}
		ents, err := os.ReadDir(filepath.Join(dir, "events", "syscalls"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		have := make(map[string]bool, len(ents))
		for _, e := range ents {
			if name, ok := strings.CutPrefix(e.Name(), "sys_exit_"); ok {
				have[name] = true
			}
		}
		names := make([]string, maxSyscalls)
		n := 0
		for nr := range min(event.X64SyscallCount, maxSyscalls) {
			name := event.X64SyscallName(nr)
			if a, ok := tpAliases[name]; ok {
				name = a
			}
			if name != "" && have[name] {
				names[nr] = "sys_exit_" + name
				n++
			}
		}
		if n == 0 {
			errs = append(errs, fmt.Errorf("%s: no syscall exit events", dir))
			continue
		}
		return names, nil
	}
	return nil, fmt.Errorf("no tracefs with syscall events: %w", errors.Join(errs...))
}

// SyscallTracepoint reports whether the named syscall has an exit
// tracepoint that the probe can use in its per-syscall mode (false too
// when tracefs is not mounted).
func SyscallTracepoint(name string) bool {
	nr, ok := event.X64SyscallNum(name)
	if !ok || nr >= maxSyscalls {
		return false
	}
	tps, err := syscallTracepoints()
	return err == nil && tps[nr] != ""
}

// syscallHooks holds the per-syscall links of the probe's per-syscall
// mode.
type syscallHooks struct {
	names []string             // the exit tracepoint of each syscall ("": none)
	links map[uint32]link.Link // the attached ones, by syscall number
}

// hook attaches the program to the exit tracepoints of the syscalls that
// sel turns on and that are not attached yet; it returns those it
// attached, or, on an error, detaches them again.
func (h *syscallHooks) hook(p *Probe, sel []uint8) ([]uint32, error) {
	var added []uint32
	for nr := range uint32(maxSyscalls) {
		if sel[nr] == 0 || h.names[nr] == "" || h.links[nr] != nil {
			continue
		}
		l, err := link.Tracepoint("syscalls", h.names[nr], p.objs.OnSyscallExit, nil)
		if err != nil {
			h.unhook(added)
			return nil, fmt.Errorf("attaching to syscalls/%s: %w", h.names[nr], err)
		}
		h.links[nr] = l
		added = append(added, nr)
	}
	return added, nil
}

// unhook detaches the program from the syscalls nrs.
func (h *syscallHooks) unhook(nrs []uint32) {
	for _, nr := range nrs {
		if l := h.links[nr]; l != nil {
			l.Close()
			delete(h.links, nr)
		}
	}
}

// unhookOff detaches the program from the syscalls that sel turns off.
func (h *syscallHooks) unhookOff(sel []uint8) {
	var off []uint32
	for nr := range h.links {
		if sel[nr] == 0 {
			off = append(off, nr)
		}
	}
	h.unhook(off)
}

// close detaches every link.
func (h *syscallHooks) close() {
	for nr, l := range h.links {
		l.Close()
		delete(h.links, nr)
	}
}
