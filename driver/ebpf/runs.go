package ebpf

import "time"

// ProgramRuns is the kernel's account of one of the probe's programs over
// a measurement: how many times it ran and for how long in all.
type ProgramRuns struct {
	Program string // the program's name in bpf/probe.c
	Runs    uint64
	Time    time.Duration
}

// PerRun returns the mean time of one run.
func (r ProgramRuns) PerRun() time.Duration {
	if r.Runs == 0 {
		return 0
	}
	return r.Time / time.Duration(r.Runs)
}
