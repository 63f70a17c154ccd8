package metrics

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Options select what [New] exposes beyond Kestrel's own metrics. The zero
// value exposes Kestrel's names only.
type Options struct {
	// FalcoNames also exposes the quantities Falco has under the names of
	// Falco's Prometheus endpoint (see the package documentation).
	FalcoNames bool
}

// Collector is a prometheus.Collector that takes a [Snapshot] at each
// scrape and reports it. It is safe for concurrent use.
type Collector struct {
	snapshot func() Snapshot
	info     Info
	reg      *prometheus.Registry
	d        *descs
	falco    *falcoDescs // nil without [Options.FalcoNames]

	mu sync.Mutex // serializes calls to snapshot
}

// New returns a collector that calls snapshot at each scrape, registered on
// a registry of its own ([Collector.Registry]) together with the process
// and Go runtime collectors. A zero info.Start is set to now.
func New(snapshot func() Snapshot, info Info, o Options) (*Collector, error) {
	if snapshot == nil {
		return nil, errors.New("new metrics collector: nil snapshot function")
	}
	if info.Start.IsZero() {
		info.Start = time.Now()
	}
	c := &Collector{snapshot: snapshot, info: info, reg: prometheus.NewRegistry(), d: newDescs()}
	if o.FalcoNames {
		c.falco = newFalcoDescs(&c.info)
	}
	for _, col := range []prometheus.Collector{
		c,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	} {
		if err := c.reg.Register(col); err != nil {
			return nil, fmt.Errorf("register metrics collector: %w", err)
		}
	}
	return c, nil
}

// Registry returns the registry that holds the collector, to serve with
// promhttp.HandlerFor.
func (c *Collector) Registry() *prometheus.Registry { return c.reg }

// Info returns the static information, with Start filled in.
func (c *Collector) Info() Info { return c.info }

// Snapshot calls the snapshot function, one call at a time, and sets the
// snapshot's Time to now when the function left it zero. The periodic JSON
// form should take its snapshots here, so that scrapes and ticks never
// call the function concurrently.
func (c *Collector) Snapshot() Snapshot {
	c.mu.Lock()
	s := c.snapshot()
	c.mu.Unlock()
	if s.Time.IsZero() {
		s.Time = time.Now()
	}
	return s
}

// Describe sends the descriptors of every metric the collector reports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	c.d.describe(ch)
	if c.falco != nil {
		c.falco.describe(ch)
	}
}

// Collect takes a snapshot and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.Snapshot()
	e := emitter{ch}
	c.d.collect(e, &s, &c.info)
	if c.falco != nil {
		c.falco.collect(e, &s, &c.info)
	}
}

// emitter sends constant metrics, reporting a bad one (say, a label value
// that is not UTF-8) as an invalid metric instead of panicking.
type emitter struct{ ch chan<- prometheus.Metric }

func (e emitter) send(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	e.ch <- m
}

func (e emitter) counter(d *prometheus.Desc, v uint64, labels ...string) {
	e.send(d, prometheus.CounterValue, float64(v), labels...)
}

func (e emitter) gauge(d *prometheus.Desc, v float64, labels ...string) {
	e.send(d, prometheus.GaugeValue, v, labels...)
}

// descs are the descriptors of Kestrel's own metrics.
type descs struct {
	build, uptime                      *prometheus.Desc
	events, sourceEvents, kernelEvents *prometheus.Desc
	dropped, readFail, filtered        *prometheus.Desc
	alerts                             *prometheus.Desc
	outSent, outFailed, outDropped     *prometheus.Desc
	evalSeconds, evals                 *prometheus.Desc
	threads, fds, containers           *prometheus.Desc
	reloads, loaded                    *prometheus.Desc
	captures, captureBytes             *prometheus.Desc
	captureDropped                     *prometheus.Desc
	ctrRuntimes, ctrLookups            *prometheus.Desc
	srcEvents, srcRequests             *prometheus.Desc
	ctrSeconds, ctrEvents              *prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

func newDescs() *descs {
	return &descs{
		build:        desc("kestrel_build_info", "Kestrel's version and rules engine version, as labels; always 1.", "version", "engine_version"),
		uptime:       desc("kestrel_uptime_seconds", "Time since Kestrel started."),
		events:       desc("kestrel_events_total", "Events the pipeline handled, by event type.", "event_type"),
		sourceEvents: desc("kestrel_source_events_total", "Events the source delivered to the pipeline."),
		kernelEvents: desc("kestrel_kernel_events_total", "Records the kernel side sent."),
		dropped:      desc("kestrel_events_dropped_total", "Events lost before the engine saw them, by cause.", "cause"),
		filtered:     desc("kestrel_kernel_filtered_total", "Events the kernel filter kept back because no loaded rule could match them (not losses; see 'kestrel rules explain')."),
		readFail:     desc("kestrel_kernel_read_failures_total", "Event values left empty because the probe could not read them from memory."),
		alerts:       desc("kestrel_alerts_total", "Alerts raised, by rule.", "rule", "priority", "source"),
		outSent:      desc("kestrel_output_sent_total", "Alerts an output delivered.", "output"),
		outFailed:    desc("kestrel_output_failed_total", "Alerts an output failed to deliver.", "output"),
		outDropped:   desc("kestrel_output_dropped_total", "Alerts an output dropped without trying, by reason.", "output", "reason"),
		evalSeconds:  desc("kestrel_rule_evaluation_seconds_total", "Time the engine spent judging events against the rules."),
		evals:        desc("kestrel_rule_evaluations_total", "Events the engine judged against the rules."),
		threads:      desc("kestrel_state_threads", "Threads in the model of the host."),
		fds:          desc("kestrel_state_fds", "Open file descriptors in the model of the host."),
		containers:   desc("kestrel_state_containers", "Containers in the model of the host."),
		srcEvents:    desc("kestrel_source_plugin_events_total", "Events of the sources besides syscall, by source and result: judged, invalid (malformed, left out), dropped (queue full).", "source", "result"),
		srcRequests:  desc("kestrel_source_webhook_requests_total", "Requests of the sources besides syscall (webhook deliveries received, API calls made), by source and result: ok, or rejected (a webhook delivery answered with a 4xx, a failed API call).", "source", "result"),
		ctrRuntimes:  desc("kestrel_container_runtimes", "Container runtimes Kestrel asks for container metadata."),
		ctrLookups:   desc("kestrel_container_lookups_total", "Lookups of container metadata, by result: ok, not_found (after the retries), error (failed or timed out), dropped (queue full).", "result"),
		ctrSeconds:   desc("kestrel_container_lookup_seconds_total", "Total time of the container lookups a runtime answered."),
		ctrEvents:    desc("kestrel_container_runtime_events_total", "Container lifecycle events received from the runtimes."),
		captures:     desc("kestrel_captures_total", "Captures the flight recorder wrote on alert."),
		captureBytes: desc("kestrel_capture_bytes_total", "Bytes the flight recorder wrote to captures."),
		captureDropped: desc("kestrel_capture_events_dropped_total",
			"Events left out of captures under way: the capture writer fell behind and the recorder's ring had no room for them."),
		reloads: desc("kestrel_reloads_total", "Reloads of the configuration and rules, by result.", "result"),
		loaded:  desc("kestrel_config_last_load_timestamp_seconds", "When the configuration and rules were last loaded, in seconds since the epoch."),
	}
}

func (d *descs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{
		d.build, d.uptime, d.events, d.sourceEvents, d.kernelEvents, d.dropped, d.readFail, d.filtered,
		d.alerts, d.outSent, d.outFailed, d.outDropped, d.evalSeconds, d.evals,
		d.threads, d.fds, d.containers, d.reloads, d.loaded,
		d.ctrRuntimes, d.ctrLookups, d.ctrSeconds, d.ctrEvents, d.srcEvents, d.srcRequests, d.captures, d.captureBytes, d.captureDropped,
	} {
		ch <- x
	}
}

func (d *descs) collect(e emitter, s *Snapshot, info *Info) {
	e.gauge(d.build, 1, info.Version, info.EngineVersion)
	e.gauge(d.uptime, s.Time.Sub(info.Start).Seconds())
	d.collectSource(e, s)
	for _, r := range s.Alerts {
		e.counter(d.alerts, r.N, r.Rule, r.Priority, r.Source)
	}
	d.collectOutputs(e, s.Outputs)
	e.send(d.evalSeconds, prometheus.CounterValue, s.Eval.Seconds)
	e.counter(d.evals, s.Eval.Events)
	e.gauge(d.threads, float64(s.State.Threads))
	e.gauge(d.fds, float64(s.State.FDs))
	e.gauge(d.containers, float64(s.State.Containers))
	d.collectContainers(e, &s.Containers)
	for _, c := range s.Sources {
		e.counter(d.srcEvents, c.Events, c.Source, "judged")
		e.counter(d.srcEvents, c.Invalid, c.Source, "invalid")
		e.counter(d.srcEvents, c.Dropped, c.Source, "dropped")
		e.counter(d.srcRequests, c.Requests-min(c.Requests, c.Rejected), c.Source, "ok")
		e.counter(d.srcRequests, c.Rejected, c.Source, "rejected")
	}
	e.counter(d.captures, s.Captures.Files)
	e.counter(d.captureBytes, s.Captures.Bytes)
	e.counter(d.captureDropped, s.Captures.Dropped)
	e.counter(d.reloads, s.Reloads.OK, "ok")
	e.counter(d.reloads, s.Reloads.Failed, "failed")
	if !s.Loaded.IsZero() {
		e.gauge(d.loaded, unixSeconds(s.Loaded))
	}
}

func (d *descs) collectContainers(e emitter, c *ContainerStats) {
	e.gauge(d.ctrRuntimes, float64(c.Runtimes))
	e.counter(d.ctrLookups, c.Lookups, "ok")
	e.counter(d.ctrLookups, c.NotFound, "not_found")
	e.counter(d.ctrLookups, c.Errors, "error")
	e.counter(d.ctrLookups, c.Dropped, "dropped")
	e.send(d.ctrSeconds, prometheus.CounterValue, c.Seconds)
	e.counter(d.ctrEvents, c.Events)
}

func (d *descs) collectSource(e emitter, s *Snapshot) {
	for _, c := range s.Events {
		e.counter(d.events, c.N, c.Name)
	}
	src := &s.Source
	e.counter(d.sourceEvents, src.Events)
	e.counter(d.kernelEvents, src.Kernel)
	e.counter(d.dropped, src.RingFull, "ring_full")
	e.counter(d.dropped, src.TooLong, "too_long")
	e.counter(d.dropped, src.QueueFull, "queue_full")
	e.counter(d.dropped, src.Unreadable, "unreadable")
	e.counter(d.readFail, src.ReadFail)
	e.counter(d.filtered, src.Filtered)
}

func (d *descs) collectOutputs(e emitter, outs []OutputStats) {
	for _, o := range outs {
		e.counter(d.outSent, o.Sent, o.Name)
		e.counter(d.outFailed, o.Failed, o.Name)
		for _, c := range o.Dropped {
			e.counter(d.outDropped, c.N, o.Name, c.Name)
		}
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
