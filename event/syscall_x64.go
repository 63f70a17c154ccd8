package event

// X64SyscallNum returns the x86-64 number of the named syscall (the
// kernel's unistd_64.h), and whether it has one.
func X64SyscallNum(name string) (int, bool) {
	for nr, n := range x64Syscalls {
		if n == name && n != "" {
			return nr, true
		}
	}
	return 0, false
}

// X64SyscallName returns the name of x86-64 syscall nr, or "" when there
// is none.
func X64SyscallName(nr int) string {
	if nr < 0 || nr >= len(x64Syscalls) {
		return ""
	}
	return x64Syscalls[nr]
}

// X64SyscallCount is one more than the largest x86-64 syscall number.
const X64SyscallCount = len(x64Syscalls)

// IsX64Syscall reports whether name is an x86-64 syscall.
func IsX64Syscall(name string) bool {
	_, ok := X64SyscallNum(name)
	return ok
}
