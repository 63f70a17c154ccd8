package ebpf

import (
	"fmt"

	"github.com/kestrel-sec/kestrel/event"
)

// maxSyscalls is the size of the probe's per-syscall tables.
const maxSyscalls = 512

// syscallNumbers returns the native numbers of the named syscalls, and an
// error naming the first unknown one.
func syscallNumbers(names []string) ([]uint32, error) {
	nrs := make([]uint32, 0, len(names))
	for _, name := range names {
		nr, ok := event.X64SyscallNum(name)
		if !ok {
			return nil, fmt.Errorf("unknown syscall %q", name)
		}
		nrs = append(nrs, uint32(nr))
	}
	return nrs, nil
}

// ppmCodes returns the portable syscall code (PPM_SC) of every native
// syscall, 0 for those the event schema does not name.
func ppmCodes() []uint16 {
	sc := event.Current()
	byName := make(map[string]uint16, len(sc.Syscalls))
	for code, name := range sc.Syscalls {
		if name != "" {
			byName[name] = uint16(code)
		}
	}
	codes := make([]uint16, maxSyscalls)
	for nr := range min(event.X64SyscallCount, maxSyscalls) {
		name := event.X64SyscallName(nr)
		if c, ok := byName[name]; ok {
			codes[nr] = c
		} else if name == "rt_sigreturn" {
			codes[nr] = byName["sigreturn"]
		}
	}
	return codes
}

// selection returns the per-syscall switch table for names (nil: all),
// with the syscalls the model needs always on.
func selection(names []string) ([]uint8, error) {
	on := make([]uint8, maxSyscalls)
	if names == nil {
		for i := range on {
			on[i] = 1
		}
		return on, nil
	}
	nrs, err := syscallNumbers(append(append([]string(nil), names...), StateSyscalls()...))
	if err != nil {
		return nil, err
	}
	for _, nr := range nrs {
		if nr < maxSyscalls {
			on[nr] = 1
		}
	}
	return on, nil
}

// IsSyscall reports whether name is a syscall the probe can select.
func IsSyscall(name string) bool { return event.IsX64Syscall(name) }
