package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/kestrel-sec/kestrel/internal/app"
)

// ringHelp ends the help of the live commands.
const ringHelp = `

The probe writes into one ring buffer per CPU (--ring-size MiB each, 8 by
default; on hosts with more than 16 CPUs, CPUs share rings so that there
are 16) that Kestrel drains and merges in time order. If Kestrel falls
behind a burst, a full ring drops events; every drop is counted and
reported, by cause. Larger rings absorb longer bursts; --cpus-per-ring
sets how many CPUs share a ring.`

// liveFlags are the flags capture and run share: how long to watch, the
// kernel ring's size, and a hidden CPU profile.
type liveFlags struct {
	seconds     float64
	ringMiB     int
	cpusPerRing int
	cpuprofile  string
}

func (l *liveFlags) add(f *pflag.FlagSet, what string) {
	f.Float64VarP(&l.seconds, "seconds", "M", 0, "stop after this many seconds (0: until interrupted)")
	f.IntVar(&l.ringMiB, "ring-size", 8, "size of each kernel ring buffer in MiB (a power of two)")
	f.IntVar(&l.cpusPerRing, "cpus-per-ring", 0, "CPUs sharing a kernel ring buffer; the rings take ring-size × CPUs / this\n(0: a ring per CPU, up to 16 rings)")
	f.StringVar(&l.cpuprofile, "cpuprofile", "", "write a CPU profile of the "+what+" to this file (for 'go tool pprof')")
	_ = f.MarkHidden("cpuprofile")
}

// values checks the flags and returns them as options.
func (l *liveFlags) values() (app.LiveOptions, error) {
	if l.seconds < 0 {
		return app.LiveOptions{}, app.Usagef("-M %v: a duration cannot be negative", l.seconds)
	}
	if l.ringMiB < 0 || l.ringMiB&(l.ringMiB-1) != 0 {
		return app.LiveOptions{}, app.Usagef("--ring-size %d: give a power of two of MiB", l.ringMiB)
	}
	if l.cpusPerRing < 0 {
		return app.LiveOptions{}, app.Usagef("--cpus-per-ring %d: give a positive number, or 0 for the default", l.cpusPerRing)
	}
	return app.LiveOptions{
		Duration:    time.Duration(l.seconds * float64(time.Second)),
		RingSize:    l.ringMiB << 20,
		CPUsPerRing: l.cpusPerRing,
	}, nil
}

// profile starts the CPU profile when one was asked for; stop ends it.
func (l *liveFlags) profile() (stop func(), err error) {
	if l.cpuprofile == "" {
		return func() {}, nil
	}
	return startCPUProfile(l.cpuprofile)
}
