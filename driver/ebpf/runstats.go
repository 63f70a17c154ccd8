//go:build linux && amd64

package ebpf

import (
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// MeasureRuns has the kernel time the probe's programs while work runs,
// and returns what it measured of each (sorted by name). The kernel
// times BPF programs only while asked to (BPF_ENABLE_STATS, as the
// sysctl kernel.bpf_stats_enabled does until it is reset): the clock
// reads add some tens of ns to each run, so the figures are for comparing
// paths of the probe, not its cost when unmeasured.
func (p *Probe) MeasureRuns(work func()) ([]ProgramRuns, error) {
	progs := map[string]*ebpf.Program{
		probeProgOnExec:    p.objs.OnExec,
		probeProgOnExit:    p.objs.OnExit,
		probeProgOnFork:    p.objs.OnFork,
		probeProgOnSysExit: p.objs.OnSysExit,

		probeProgOnSyscallExit: p.objs.OnSyscallExit,
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return nil, fmt.Errorf("enabling BPF run-time statistics: %w", err)
	}
	defer stats.Close()
	before, err := programStats(progs)
	if err != nil {
		return nil, err
	}
	work()
	after, err := programStats(progs)
	if err != nil {
		return nil, err
	}
	runs := make([]ProgramRuns, 0, len(progs))
	for _, name := range []string{probeProgOnExec, probeProgOnExit, probeProgOnFork, probeProgOnSysExit, probeProgOnSyscallExit} {
		b, a := before[name], after[name]
		runs = append(runs, ProgramRuns{Program: name, Runs: a.RunCount - b.RunCount, Time: a.Runtime - b.Runtime})
	}
	return runs, nil
}

func programStats(progs map[string]*ebpf.Program) (map[string]*ebpf.ProgramStats, error) {
	out := make(map[string]*ebpf.ProgramStats, len(progs))
	for name, prog := range progs {
		s, err := prog.Stats()
		if err != nil {
			return nil, fmt.Errorf("run-time statistics of %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}
