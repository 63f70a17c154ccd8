package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves the collector's registry on loopback, fetches /metrics and
// parses the text form.
func scrape(t *testing.T, c *Collector) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(c.Registry(), promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return mfs
}

// value returns the value of the series of family name whose labels
// include the given name/value pairs.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range mf.GetMetric() {
		if hasLabels(m, labels) {
			return metricValue(m)
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func hasLabels(m *dto.Metric, kv []string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := have[kv[i]]; !ok || v != kv[i+1] {
			return false
		}
	}
	return true
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

func newTestCollector(t *testing.T, o Options) *Collector {
	t.Helper()
	_, cur := testSnapshots()
	c, err := New(func() Snapshot { return *cur }, testInfo(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestScrapeKestrelMetrics(t *testing.T) {
	mfs := scrape(t, newTestCollector(t, Options{}))
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kestrel_build_info", []string{"version", "0.3.0", "engine_version", "0.57.0"}, 1},
		{"kestrel_uptime_seconds", nil, 84.113199417},
		{"kestrel_events_total", []string{"event_type", "openat"}, 505000},
		{"kestrel_events_total", []string{"event_type", "execve"}, 32963},
		{"kestrel_source_events_total", nil, 537963},
		{"kestrel_kernel_events_total", nil, 612000},
		{"kestrel_events_dropped_total", []string{"cause", "ring_full"}, 40},
		{"kestrel_events_dropped_total", []string{"cause", "too_long"}, 2},
		{"kestrel_events_dropped_total", []string{"cause", "queue_full"}, 3},
		{"kestrel_events_dropped_total", []string{"cause", "unreadable"}, 0},
		{"kestrel_kernel_read_failures_total", nil, 7},
		{"kestrel_alerts_total", []string{"rule", "Read sensitive file untrusted", "priority", "Warning", "source", "syscall"}, 11},
		{"kestrel_alerts_total", []string{"rule", "Run shell (untrusted)!", "priority", "Notice"}, 2},
		{"kestrel_output_sent_total", []string{"output", "stdout"}, 13},
		{"kestrel_output_sent_total", []string{"output", "http"}, 10},
		{"kestrel_output_failed_total", []string{"output", "http"}, 1},
		{"kestrel_output_dropped_total", []string{"output", "http", "reason", "queue_full"}, 2},
		{"kestrel_rule_evaluation_seconds_total", nil, 1.5},
		{"kestrel_rule_evaluations_total", nil, 537963},
		{"kestrel_state_threads", nil, 1661},
		{"kestrel_state_fds", nil, 110992},
		{"kestrel_state_containers", nil, 0},
		{"kestrel_reloads_total", []string{"result", "ok"}, 2},
		{"kestrel_reloads_total", []string{"result", "failed"}, 1},
		{"kestrel_config_last_load_timestamp_seconds", nil, 1726240856.5},
		{"kestrel_captures_total", nil, 3},
		{"kestrel_capture_bytes_total", nil, 123456},
		{"kestrel_capture_events_dropped_total", nil, 7},
		{"kestrel_source_plugin_events_total", []string{"source", "k8s_audit", "result", "judged"}, 9},
		{"kestrel_source_plugin_events_total", []string{"source", "k8s_audit", "result", "dropped"}, 1},
		{"kestrel_source_webhook_requests_total", []string{"source", "k8s_audit", "result", "rejected"}, 1},
		{"kestrel_source_webhook_requests_total", []string{"source", "k8s_audit", "result", "ok"}, 3},
	} {
		if got := value(t, mfs, tc.name, tc.labels...); !near(got, tc.want) {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	for _, name := range []string{"process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("no %s in the scrape", name)
		}
	}
	if _, ok := mfs["falcosecurity_scap_n_evts_total"]; ok {
		t.Errorf("Falco names exposed without Options.FalcoNames")
	}
}

func TestScrapeFalcoNames(t *testing.T) {
	mfs := scrape(t, newTestCollector(t, Options{FalcoNames: true}))
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"falcosecurity_falco_version_info", []string{"version", "0.3.0"}, 1},
		{"falcosecurity_scap_engine_name_info", []string{"engine_name", "modern_bpf", "evt_source", "syscall"}, 1},
		{"falcosecurity_falco_kernel_release_info", []string{"kernel_release", "6.8.11-200.fc39.x86_64"}, 1},
		{"falcosecurity_evt_hostname_info", []string{"hostname", "test"}, 1},
		{"falcosecurity_falco_rules_matches_total", []string{"rule_name", "Read sensitive file untrusted", "priority", "4", "source", "syscall"}, 11},
		{"falcosecurity_falco_rules_matches_total", []string{"rule_name", "Run shell (untrusted)!", "priority", "5"}, 2},
		{"falcosecurity_falco_outputs_queue_num_drops_total", nil, 2},
		{"falcosecurity_falco_reload_timestamp_nanoseconds", nil, 1726240856500000000},
		{"falcosecurity_falco_start_timestamp_nanoseconds", nil, 1726240856432519187},
		{"falcosecurity_falco_duration_seconds_total", nil, 84},
		{"falcosecurity_falco_host_num_cpus_total", nil, 20},
		{"falcosecurity_falco_host_boot_timestamp_nanoseconds", nil, 1726122734000000000},
		{"falcosecurity_scap_n_evts_total", nil, 612000},
		{"falcosecurity_scap_n_drops_total", nil, 45},
		{"falcosecurity_scap_n_drops_buffer_total", nil, 40},
		{"falcosecurity_scap_n_drops_scratch_map_total", nil, 2},
		{"falcosecurity_scap_n_threads_total", nil, 1661},
		{"falcosecurity_scap_n_fds_total", nil, 110992},
		{"falcosecurity_scap_n_containers_total", nil, 0},
	} {
		if got := value(t, mfs, tc.name, tc.labels...); !near(got, tc.want) {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if got := mfs["falcosecurity_falco_rules_matches_total"].GetType(); got != dto.MetricType_COUNTER {
		t.Errorf("rules_matches_total type %v, want counter", got)
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	scale := max(1, b, -b)
	return d <= 1e-9*scale
}

// TestCollectorConsistent checks the collector against a pedantic
// registry, which compares what is collected with what is described.
func TestCollectorConsistent(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(newTestCollector(t, Options{FalcoNames: true})); err != nil {
		t.Fatalf("register: %v", err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("gather: %v", err)
	}
}

func TestSnapshotFunctionNotConcurrent(t *testing.T) {
	var inside, overlaps, calls atomic.Int32
	c, err := New(func() Snapshot {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		calls.Add(1)
		time.Sleep(time.Millisecond)
		inside.Add(-1)
		return Snapshot{}
	}, Info{}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Registry().Gather(); err != nil {
				t.Errorf("gather: %v", err)
			}
		})
	}
	wg.Go(func() { c.Snapshot() })
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Errorf("snapshot function ran concurrently %d times", overlaps.Load())
	}
	if calls.Load() != 9 {
		t.Errorf("snapshot function called %d times, want 9", calls.Load())
	}
}

func TestSnapshotSetsTime(t *testing.T) {
	before := time.Now()
	c, err := New(func() Snapshot { return Snapshot{} }, Info{}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.Info().Start.Before(before) {
		t.Errorf("Info().Start = %v, want at least %v", c.Info().Start, before)
	}
	if s := c.Snapshot(); s.Time.Before(before) {
		t.Errorf("Snapshot().Time = %v, want at least %v", s.Time, before)
	}
}

func TestBadLabelValueDoesNotPanic(t *testing.T) {
	c, err := New(func() Snapshot {
		return Snapshot{Time: time.Now(), Alerts: []RuleCount{{Rule: "bad \xff", Priority: "Notice", N: 1}}}
	}, Info{}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mfs, err := c.Registry().Gather()
	if err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("gather error = %v, want one about UTF-8", err)
	}
	if len(mfs) == 0 {
		t.Errorf("gather returned nothing alongside the error")
	}
}

func TestNewNilSnapshot(t *testing.T) {
	if _, err := New(nil, Info{}, Options{}); err == nil {
		t.Errorf("New(nil) succeeded")
	}
}
