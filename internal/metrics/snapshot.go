package metrics

import "time"

// Snapshot is what Kestrel has counted so far, filled by the caller's
// snapshot function. Counters are cumulative since start; names in each
// slice must be unique (a repeated name makes the scrape report an error
// for that series).
type Snapshot struct {
	// Time is when the snapshot was taken. [Collector.Snapshot] sets it
	// when the snapshot function leaves it zero.
	Time time.Time
	// Source holds the source's counters: what it delivered and lost.
	Source SourceStats
	// Events counts the events the pipeline handled, by event type name
	// ("openat", "execve", …).
	Events []Count
	// Alerts counts alerts by rule.
	Alerts []RuleCount
	// Outputs counts, for each output, what it sent, failed to send and
	// dropped.
	Outputs []OutputStats
	// Eval is the time the engine spent judging events.
	Eval EvalStats
	// State is the size of the model of the host.
	State StateStats
	// Sources counts, for each event source besides syscall, what it
	// received and dropped.
	Sources []SourceCount
	// Containers counts the lookups of container metadata.
	Containers ContainerStats
	// Reloads counts configuration and rules reloads.
	Reloads ReloadStats
	// Captures counts the captures written on alert.
	Captures CaptureStats
	// Loaded is when the configuration and rules were last loaded.
	Loaded time.Time
}

// SourceStats counts what a source delivered and lost, by cause. Its
// fields are those of driver.Stats, so a driver.Stats converts to it:
// metrics.SourceStats(src.Stats()).
type SourceStats struct {
	Events     uint64 // events delivered to the pipeline
	Kernel     uint64 // records the kernel side sent
	RingFull   uint64 // records lost because the kernel ring buffer was full
	ReadFail   uint64 // values left empty because reading memory failed
	TooLong    uint64 // records lost because they outgrew the kernel buffer
	QueueFull  uint64 // records lost because the user-space queue was full
	Unreadable uint64 // records that did not decode
	Filtered   uint64 // events the kernel filter kept back: no rule could match them (not losses)
}

// Dropped returns how many events were lost, all causes together.
func (s SourceStats) Dropped() uint64 {
	return s.RingFull + s.TooLong + s.QueueFull + s.Unreadable
}

// Count is a count under a name.
type Count struct {
	Name string
	N    uint64
}

// RuleCount is how many alerts a rule raised.
type RuleCount struct {
	Rule     string
	Priority string // as Falco writes it: "Warning", "Informational", …
	Source   string // event source of the rule, "syscall" for system calls
	N        uint64
}

// OutputStats counts what one output did with the alerts it was given.
type OutputStats struct {
	Name    string  // "stdout", "file", "http", …
	Sent    uint64  // alerts delivered
	Failed  uint64  // alerts whose delivery failed
	Dropped []Count // alerts never attempted, by reason ("queue_full", …)
}

// EvalStats is the cumulative cost of judging events: a counter of
// seconds and one of events, whose ratio is the mean time per event.
type EvalStats struct {
	Seconds float64
	Events  uint64
}

// StateStats is the size of the model of the host when the snapshot was
// taken.
type StateStats struct {
	Threads    uint64
	FDs        uint64
	Containers uint64
}

// SourceCount is what one event source besides syscall received.
type SourceCount struct {
	Source   string // "k8s_audit"
	Requests uint64 // requests its webhook received
	Rejected uint64 // requests answered with an error
	Events   uint64 // events handed to the rules
	Invalid  uint64 // events or lines left out as malformed
	Dropped  uint64 // events dropped: the queue was full
}

// ContainerStats counts the lookups of container metadata in the
// container runtimes.
type ContainerStats struct {
	Runtimes uint64  // runtimes asked
	Lookups  uint64  // lookups a runtime answered
	NotFound uint64  // lookups no runtime answered, after the retries
	Errors   uint64  // lookups a runtime failed or timed out
	Dropped  uint64  // lookups not made: the queue was full
	Events   uint64  // container lifecycle events from the runtimes
	Seconds  float64 // total time of the answered lookups
}

// CaptureStats counts the captures the flight recorder wrote on alert.
type CaptureStats struct {
	Files   uint64 // captures written
	Bytes   uint64 // bytes written to them
	Dropped uint64 // events left out of captures under way (the writer fell behind)
}

// ReloadStats counts reloads of the configuration and rules.
type ReloadStats struct {
	OK     uint64
	Failed uint64
}

// EventsTotal returns the number of events the pipeline handled, all
// types together.
func (s *Snapshot) EventsTotal() uint64 { return sumCounts(s.Events) }

// AlertsTotal returns the number of alerts, all rules together.
func (s *Snapshot) AlertsTotal() uint64 {
	var n uint64
	for _, r := range s.Alerts {
		n += r.N
	}
	return n
}

// OutputDrops returns the number of alerts the outputs dropped, all
// outputs and reasons together.
func (s *Snapshot) OutputDrops() uint64 {
	var n uint64
	for _, o := range s.Outputs {
		n += sumCounts(o.Dropped)
	}
	return n
}

func sumCounts(cs []Count) uint64 {
	var n uint64
	for _, c := range cs {
		n += c.N
	}
	return n
}

// Info is what does not change while Kestrel runs: versions and the host.
type Info struct {
	Version       string    // Kestrel's version
	EngineVersion string    // rules engine version (rules.EngineVersion)
	Start         time.Time // when Kestrel started; [New] sets it when zero
	Hostname      string
	KernelRelease string // uname -r
	NumCPUs       int
	BootTime      time.Time // when the host booted; zero when unknown
	// Engine names the driver as Falco's scap.engine_name does
	// ("modern_bpf" for the eBPF probe, "savefile" for a capture file);
	// empty leaves it out.
	Engine string
	// EventSource is the source the events come from; empty means
	// "syscall".
	EventSource string
}

func (i *Info) eventSource() string {
	if i.EventSource == "" {
		return "syscall"
	}
	return i.EventSource
}
