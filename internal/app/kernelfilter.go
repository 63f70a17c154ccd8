package app

import (
	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/prefilter"
)

// kernelFilter returns the pre-filter the probe applies for the selected
// rules of eng, and what it says of them; none when cfg turns it off.
func kernelFilter(eng *engine.Engine, cfg *config.Config) (driver.Prefilter, prefilter.Report) {
	if !cfg.KernelFilter.Enabled {
		return driver.Prefilter{}, prefilter.Report{Reason: "kernel_filter.enabled is false"}
	}
	if captureNeedsOpens(cfg) {
		return driver.Prefilter{}, prefilter.Report{Reason: "the flight recorder's captures hold every open (capture.syscalls)"}
	}
	pf, rep := prefilter.Derive(eng, prefilter.Options{})
	return prefilter.Normalize(pf), rep
}
