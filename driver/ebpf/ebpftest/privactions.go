package ebpftest

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Values of the privileged actions, all of which but capset fail.
const (
	// BadFD is never open: above the largest fd table the kernel allows
	// (fs.nr_open is at most 1<<30).
	BadFD = 0x7ffffff0
	// ModuleImage is the image init_module is given: shorter than an ELF
	// header, it is refused before anything is loaded.
	ModuleImage = "kestrel-not-elf!"
	ModuleArgs  = "kestrel=1"
	// FinitFlags are MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC.
	FinitFlags = 3
	SetnsType  = unix.CLONE_NEWUTS
)

// Priv is what the privileged actions did: the results are the kernel's
// (return value or -errno), the capability sets those capget reported.
type Priv struct {
	CapInheritable, CapPermitted, CapEffective uint64
	CapsetRes, SetnsRes                        int64
	InitModuleRes, FinitModuleRes              int64
}

// privActions sets the thread's capabilities to those it has, and calls
// setns, init_module and finit_module in ways that must fail.
func privActions(p *Priv) error {
	// capget and capset act on the calling thread: the same one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	p.CapInheritable = uint64(data[1].Inheritable)<<32 | uint64(data[0].Inheritable)
	p.CapPermitted = uint64(data[1].Permitted)<<32 | uint64(data[0].Permitted)
	p.CapEffective = uint64(data[1].Effective)<<32 | uint64(data[0].Effective)
	r, err := sys(unix.SYS_CAPSET, unsafe.Pointer(&hdr), unsafe.Pointer(&data[0]))
	if p.CapsetRes = result(r, err); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	r, err = sys(unix.SYS_SETNS, BadFD, SetnsType)
	p.SetnsRes = result(r, err)
	img := []byte(ModuleImage)
	r, err = sys(unix.SYS_INIT_MODULE, unsafe.Pointer(&img[0]), len(img), ModuleArgs)
	runtime.KeepAlive(img)
	p.InitModuleRes = result(r, err)
	r, err = sys(unix.SYS_FINIT_MODULE, BadFD, ModuleArgs, FinitFlags)
	p.FinitModuleRes = result(r, err)
	if p.SetnsRes >= 0 || p.InitModuleRes >= 0 || p.FinitModuleRes >= 0 {
		return fmt.Errorf("setns %d, init_module %d, finit_module %d: want failures", p.SetnsRes, p.InitModuleRes, p.FinitModuleRes)
	}
	return nil
}
