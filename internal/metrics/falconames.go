package metrics

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// falcoHelp is the help text Falco gives every metric.
const falcoHelp = "https://falco.org/docs/metrics/"

// falcoDescs are the descriptors of the metrics under Falco's names.
type falcoDescs struct {
	version, engine, kernel, hostname          *prometheus.Desc
	rules, outputDrops                         *prometheus.Desc
	reloadTS, startTS, duration, cpus, boot    *prometheus.Desc
	nEvts, nDrops, nDropsBuffer, nDropsScratch *prometheus.Desc
	nThreads, nFDs, nContainers                *prometheus.Desc
}

func falcoDesc(name string, labels []string, constLabels prometheus.Labels) *prometheus.Desc {
	return prometheus.NewDesc("falcosecurity_"+name, falcoHelp, labels, constLabels)
}

func newFalcoDescs(info *Info) *falcoDescs {
	return &falcoDescs{
		version:       falcoDesc("falco_version_info", nil, prometheus.Labels{"version": info.Version}),
		engine:        falcoDesc("scap_engine_name_info", nil, prometheus.Labels{"engine_name": info.Engine, "evt_source": info.eventSource()}),
		kernel:        falcoDesc("falco_kernel_release_info", nil, prometheus.Labels{"kernel_release": info.KernelRelease}),
		hostname:      falcoDesc("evt_hostname_info", nil, prometheus.Labels{"hostname": info.Hostname}),
		rules:         falcoDesc("falco_rules_matches_total", []string{"rule_name", "priority", "source"}, nil),
		outputDrops:   falcoDesc("falco_outputs_queue_num_drops_total", nil, nil),
		reloadTS:      falcoDesc("falco_reload_timestamp_nanoseconds", nil, nil),
		startTS:       falcoDesc("falco_start_timestamp_nanoseconds", nil, nil),
		duration:      falcoDesc("falco_duration_seconds_total", nil, nil),
		cpus:          falcoDesc("falco_host_num_cpus_total", nil, nil),
		boot:          falcoDesc("falco_host_boot_timestamp_nanoseconds", nil, nil),
		nEvts:         falcoDesc("scap_n_evts_total", nil, nil),
		nDrops:        falcoDesc("scap_n_drops_total", nil, nil),
		nDropsBuffer:  falcoDesc("scap_n_drops_buffer_total", nil, nil),
		nDropsScratch: falcoDesc("scap_n_drops_scratch_map_total", nil, nil),
		nThreads:      falcoDesc("scap_n_threads_total", nil, nil),
		nFDs:          falcoDesc("scap_n_fds_total", nil, nil),
		nContainers:   falcoDesc("scap_n_containers_total", nil, nil),
	}
}

func (d *falcoDescs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{
		d.version, d.engine, d.kernel, d.hostname, d.rules, d.outputDrops,
		d.reloadTS, d.startTS, d.duration, d.cpus, d.boot,
		d.nEvts, d.nDrops, d.nDropsBuffer, d.nDropsScratch, d.nThreads, d.nFDs, d.nContainers,
	} {
		ch <- x
	}
}

func (d *falcoDescs) collect(e emitter, s *Snapshot, info *Info) {
	d.collectInfo(e, s, info)
	for _, r := range s.Alerts {
		e.counter(d.rules, r.N, r.Rule, falcoPriorityNumber(r.Priority), r.Source)
	}
	e.counter(d.outputDrops, s.OutputDrops())
	src := &s.Source
	e.counter(d.nEvts, src.Kernel)
	e.counter(d.nDrops, src.Dropped())
	e.counter(d.nDropsBuffer, src.RingFull)
	e.counter(d.nDropsScratch, src.TooLong)
	e.gauge(d.nThreads, float64(s.State.Threads))
	e.gauge(d.nFDs, float64(s.State.FDs))
	e.gauge(d.nContainers, float64(s.State.Containers))
}

func (d *falcoDescs) collectInfo(e emitter, s *Snapshot, info *Info) {
	e.gauge(d.version, 1)
	if info.Engine != "" {
		e.gauge(d.engine, 1)
	}
	if info.KernelRelease != "" {
		e.gauge(d.kernel, 1)
	}
	if info.Hostname != "" {
		e.gauge(d.hostname, 1)
	}
	if !s.Loaded.IsZero() {
		e.gauge(d.reloadTS, float64(s.Loaded.UnixNano()))
	}
	e.gauge(d.startTS, float64(info.Start.UnixNano()))
	e.counter(d.duration, uint64(s.Time.Sub(info.Start).Seconds()))
	if info.NumCPUs > 0 {
		e.gauge(d.cpus, float64(info.NumCPUs))
	}
	if !info.BootTime.IsZero() {
		e.gauge(d.boot, float64(info.BootTime.UnixNano()))
	}
}

// falcoPriorities are Falco's priority names in the order of its numbers.
var falcoPriorities = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// falcoPriorityNumber returns the number Falco's metrics give a priority
// ("4" for "Warning"); a name Falco does not know is returned as it is.
func falcoPriorityNumber(p string) string {
	if strings.EqualFold(p, "info") {
		return "6"
	}
	for i, name := range falcoPriorities {
		if strings.EqualFold(p, name) {
			return strconv.Itoa(i)
		}
	}
	return p
}
