package metrics

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The internal alert Falco emits with its periodic metrics (metrics.enabled,
// metrics.interval, metrics.output_rule). Kestrel keeps Falco's rule name
// and text so that tools which pick the snapshots out of the alert stream
// by rule keep finding them.
const (
	FalcoRule     = "Falco internal: metrics snapshot"
	FalcoOutput   = "Falco metrics snapshot"
	FalcoPriority = "Informational"
	FalcoSource   = "internal"
)

// FalcoOptions tune the JSON form. The zero value is Falco's default.
type FalcoOptions struct {
	// IncludeEmptyValues keeps counters whose value is zero, as Falco's
	// metrics.include_empty_values does. The event and drop counters
	// (falco.num_evts, scap.n_evts, scap.n_drops and their rates) and
	// falco.rules.matches_total are always there.
	IncludeEmptyValues bool
}

// AppendFalcoJSON appends cur as one JSON object in the form of Falco's
// metrics snapshot alert: hostname, output, output_fields, priority, rule,
// source and time, keys sorted as Falco sorts them. prev is the snapshot
// sent before (nil for the first); rates and the _prev counters are taken
// against it. The time is cur.Time.
func AppendFalcoJSON(dst []byte, info Info, prev, cur *Snapshot, o FalcoOptions) []byte {
	dst = append(dst, `{"hostname":`...)
	dst = appendJSONString(dst, info.Hostname)
	dst = append(dst, `,"output":`...)
	dst = appendJSONString(dst, FalcoOutput)
	dst = append(dst, `,"output_fields":`...)
	dst = AppendFalcoFields(dst, info, prev, cur, o)
	dst = append(dst, `,"priority":`...)
	dst = appendJSONString(dst, FalcoPriority)
	dst = append(dst, `,"rule":`...)
	dst = appendJSONString(dst, FalcoRule)
	dst = append(dst, `,"source":`...)
	dst = appendJSONString(dst, FalcoSource)
	dst = append(dst, `,"time":"`...)
	dst = cur.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	return append(dst, `"}`...)
}

// AppendFalcoFields appends only the output_fields object of
// [AppendFalcoJSON]: what an internal alert carries as its output fields.
//
// Falco's names hold Kestrel's values: falco.version is Kestrel's version,
// falco.num_evts the events the pipeline handled, scap.n_evts the records
// the kernel side sent, scap.n_drops every event lost (all causes),
// scap.n_drops_buffer_total those lost to a full ring buffer and
// scap.n_drops_scratch_map those too long for the kernel buffer. Losses
// Falco has no name for are under kestrel.: kestrel.n_drops_queue_full,
// kestrel.n_drops_unreadable and kestrel.n_read_fails.
func AppendFalcoFields(dst []byte, info Info, prev, cur *Snapshot, o FalcoOptions) []byte {
	if prev == nil {
		prev = &Snapshot{}
	}
	f := falcoFields{all: o.IncludeEmptyValues, m: map[string]fieldValue{}}
	f.wrapper(&info, prev, cur)
	f.rules(cur)
	f.state(cur)
	f.kernel(prev, cur)
	return f.appendJSON(dst)
}

// fieldValue is one output field: a whole number, a real or a string.
type fieldValue struct {
	kind byte // 'u', 'f' or 's'
	u    uint64
	f    float64
	s    string
}

type falcoFields struct {
	all bool // include zero counters
	m   map[string]fieldValue
}

func (f *falcoFields) uint(k string, v uint64)  { f.m[k] = fieldValue{kind: 'u', u: v} }
func (f *falcoFields) real(k string, v float64) { f.m[k] = fieldValue{kind: 'f', f: v} }
func (f *falcoFields) str(k string, v string)   { f.m[k] = fieldValue{kind: 's', s: v} }
func (f *falcoFields) nonzero(k string, v uint64) {
	if v != 0 || f.all {
		f.uint(k, v)
	}
}

// wrapper adds the fields Falco always sends: time, versions, host, start,
// and the user-space event counters.
func (f *falcoFields) wrapper(info *Info, prev, cur *Snapshot) {
	f.uint("evt.time", unixNanos(cur.Time))
	f.uint("falco.reload_ts", unixNanos(cur.Loaded))
	f.str("falco.version", info.Version)
	if !info.Start.IsZero() {
		f.uint("falco.start_ts", unixNanos(info.Start))
		f.uint("falco.duration_sec", uint64(max(cur.Time.Sub(info.Start), 0)/time.Second))
	}
	f.host(info)
	f.uint("falco.outputs_queue_num_drops", cur.OutputDrops())
	f.str("evt.source", info.eventSource())
	if info.Engine != "" {
		f.str("scap.engine_name", info.Engine)
	}
	n, last := cur.EventsTotal(), prev.EventsTotal()
	if dt := interval(prev, cur); last != 0 && dt > 0 {
		f.real("falco.evts_rate_sec", rate(delta(n, last), dt))
	}
	f.uint("falco.num_evts", n)
	f.uint("falco.num_evts_prev", last)
}

func (f *falcoFields) host(info *Info) {
	if info.KernelRelease != "" {
		f.str("falco.kernel_release", info.KernelRelease)
	}
	if info.Hostname != "" {
		f.str("evt.hostname", info.Hostname)
	}
	if !info.BootTime.IsZero() {
		f.uint("falco.host_boot_ts", unixNanos(info.BootTime))
	}
	if info.NumCPUs > 0 {
		f.uint("falco.host_num_cpus", uint64(info.NumCPUs))
	}
}

// rules adds the alert counters, one field per rule named as Falco names
// it (falco.rules.Terminal_shell_in_container).
func (f *falcoFields) rules(cur *Snapshot) {
	f.uint("falco.rules.matches_total", cur.AlertsTotal())
	for _, r := range cur.Alerts {
		f.nonzero("falco.rules."+SanitizeRuleName(r.Rule), r.N)
	}
}

func (f *falcoFields) state(cur *Snapshot) {
	f.nonzero("falco.n_threads", cur.State.Threads)
	f.nonzero("falco.n_fds", cur.State.FDs)
	f.nonzero("falco.n_containers", cur.State.Containers)
}

// kernel adds the source's counters with their rates over the interval.
func (f *falcoFields) kernel(prev, cur *Snapshot) {
	dt := interval(prev, cur)
	evts, drops := delta(cur.Source.Kernel, prev.Source.Kernel), delta(cur.Source.Dropped(), prev.Source.Dropped())
	f.uint("scap.n_evts", cur.Source.Kernel)
	f.uint("scap.n_evts_prev", prev.Source.Kernel)
	f.real("scap.evts_rate_sec", rate(evts, dt))
	f.uint("scap.n_drops", cur.Source.Dropped())
	f.uint("scap.n_drops_prev", prev.Source.Dropped())
	f.real("scap.evts_drop_rate_sec", rate(drops, dt))
	perc := 0.0
	if evts > 0 {
		perc = 100 * float64(drops) / float64(evts)
	}
	f.real("scap.n_drops_perc", perc)
	f.nonzero("scap.n_drops_buffer_total", cur.Source.RingFull)
	f.nonzero("scap.n_drops_scratch_map", cur.Source.TooLong)
	f.nonzero("kestrel.n_drops_queue_full", cur.Source.QueueFull)
	f.nonzero("kestrel.n_drops_unreadable", cur.Source.Unreadable)
	f.nonzero("kestrel.n_read_fails", cur.Source.ReadFail)
}

func (f *falcoFields) appendJSON(dst []byte) []byte {
	keys := make([]string, 0, len(f.m))
	for k := range f.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = f.m[k].appendJSON(dst)
	}
	return append(dst, '}')
}

// appendJSON writes whole numbers as integers and reals always with a
// fraction ("0.0"), as Falco does.
func (v fieldValue) appendJSON(dst []byte) []byte {
	switch v.kind {
	case 'u':
		return strconv.AppendUint(dst, v.u, 10)
	case 'f':
		s := strconv.FormatFloat(v.f, 'f', -1, 64)
		dst = append(dst, s...)
		if !strings.ContainsRune(s, '.') {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	return appendJSONString(dst, v.s)
}

// interval is the time between two snapshots in seconds, 0 when prev has
// no time (there was no snapshot before).
func interval(prev, cur *Snapshot) float64 {
	if prev.Time.IsZero() {
		return 0
	}
	return cur.Time.Sub(prev.Time).Seconds()
}

// rate is n per second over dt seconds rounded to one decimal, as Falco
// rounds its rates; 0 when dt is not positive.
func rate(n uint64, dt float64) float64 {
	if dt <= 0 {
		return 0
	}
	return math.Round(float64(n)/dt*10) / 10
}

// delta is cur-prev, or 0 when the counter went backwards.
func delta(cur, prev uint64) uint64 {
	if cur < prev {
		return 0
	}
	return cur - prev
}

func unixNanos(t time.Time) uint64 {
	if t.IsZero() || t.UnixNano() < 0 {
		return 0
	}
	return uint64(t.UnixNano())
}

// SanitizeRuleName turns a rule name into the part of a field name Falco
// uses for it: every run of characters other than ASCII letters, digits,
// '_' and ':' becomes one '_', runs of '_' become one, and a final '_' is
// dropped. "Read sensitive file untrusted" becomes
// "Read_sensitive_file_untrusted".
func SanitizeRuleName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range name {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || r == ':') {
			b.WriteRune(r)
			under = false
			continue
		}
		if !under {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// and replacing invalid UTF-8 with U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case r < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
