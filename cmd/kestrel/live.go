package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/kestrel-sec/kestrel/internal/app"
)

// liveFlags are the flags capture and run share: how long to watch, the
// kernel ring's size, and a hidden CPU profile.
type liveFlags struct {
	seconds    float64
	ringMiB    int
	cpuprofile string
}

func (l *liveFlags) add(f *pflag.FlagSet, what string) {
	f.Float64VarP(&l.seconds, "seconds", "M", 0, "stop after this many seconds (0: until interrupted)")
	f.IntVar(&l.ringMiB, "ring-size", 8, "size of the kernel ring buffer in MiB (a power of two)")
	f.StringVar(&l.cpuprofile, "cpuprofile", "", "write a CPU profile of the "+what+" to this file (for 'go tool pprof')")
	_ = f.MarkHidden("cpuprofile")
}

// values checks the flags and returns the duration and ring size.
func (l *liveFlags) values() (time.Duration, int, error) {
	if l.seconds < 0 {
		return 0, 0, app.Usagef("-M %v: a duration cannot be negative", l.seconds)
	}
	if l.ringMiB < 0 || l.ringMiB&(l.ringMiB-1) != 0 {
		return 0, 0, app.Usagef("--ring-size %d: give a power of two of MiB", l.ringMiB)
	}
	return time.Duration(l.seconds * float64(time.Second)), l.ringMiB << 20, nil
}

// profile starts the CPU profile when one was asked for; stop ends it.
func (l *liveFlags) profile() (stop func(), err error) {
	if l.cpuprofile == "" {
		return func() {}, nil
	}
	return startCPUProfile(l.cpuprofile)
}
