package ebpftest

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sys makes a direct syscall; string arguments are passed as pointers to
// NUL-terminated copies, kept alive until the call returns.
func sys(nr uintptr, args ...any) (uintptr, error) {
	var a [6]uintptr
	var keep [][]byte
	for i, v := range args {
		switch x := v.(type) {
		case string:
			b := append([]byte(x), 0)
			keep = append(keep, b)
			a[i] = uintptr(unsafe.Pointer(&b[0]))
		case int:
			a[i] = uintptr(x)
		case uintptr:
			a[i] = x
		case unsafe.Pointer:
			a[i] = uintptr(x)
		default:
			panic(fmt.Sprintf("sys: argument of type %T", v))
		}
	}
	r, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	runtime.KeepAlive(keep)
	if errno != 0 {
		return r, errno
	}
	return r, nil
}
