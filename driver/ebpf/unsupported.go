//go:build !(linux && amd64)

package ebpf

import (
	"context"
	"fmt"
	"runtime"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
)

// Probe is the live event source; on this platform it cannot be opened.
type Probe struct{}

// Check reports that live capture is not available here.
func Check() error {
	return fmt.Errorf("%w: the probe is built for linux/amd64, not %s/%s", driver.ErrUnsupported, runtime.GOOS, runtime.GOARCH)
}

// Open fails: live capture is not available here.
func Open(Options) (*Probe, error) { return nil, Check() }

func (*Probe) Next(context.Context) (*event.Event, error) { return nil, driver.ErrClosed }
func (*Probe) Stats() driver.Stats                        { return driver.Stats{} }
func (*Probe) Close() error                               { return nil }
func (*Probe) Pending() int                               { return 0 }
func (*Probe) Select([]string) error                      { return Check() }
func (*Probe) SetPrefilter(driver.Prefilter) error        { return Check() }
func (*Probe) Prefiltered() uint64                        { return 0 }
func (*Probe) MeasureRuns(func()) ([]ProgramRuns, error)  { return nil, Check() }
func (*Probe) PerSyscallHooks() (bool, error)             { return false, Check() }

// SyscallTracepoint reports that no syscall tracepoint is usable here.
func SyscallTracepoint(string) bool { return false }
