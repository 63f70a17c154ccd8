package metrics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func testInfo() Info {
	return Info{
		Version:       "0.3.0",
		EngineVersion: "0.57.0",
		Start:         time.Unix(1726240856, 432519187),
		Hostname:      "test",
		KernelRelease: "6.8.11-200.fc39.x86_64",
		NumCPUs:       20,
		BootTime:      time.Unix(1726122734, 0),
		Engine:        "modern_bpf",
	}
}

func testSnapshots() (prev, cur *Snapshot) {
	prev = &Snapshot{
		Time:   time.Unix(1726240930, 545718604),
		Events: []Count{{"openat", 500000}, {"execve", 31854}},
		Source: SourceStats{Kernel: 600000, RingFull: 10, TooLong: 2, QueueFull: 3},
	}
	cur = &Snapshot{
		Time:   time.Unix(1726240940, 545718604),
		Events: []Count{{"openat", 505000}, {"execve", 32963}},
		Source: SourceStats{Events: 537963, Kernel: 612000, RingFull: 40, TooLong: 2, QueueFull: 3, ReadFail: 7},
		Alerts: []RuleCount{
			{Rule: "Read sensitive file untrusted", Priority: "Warning", Source: "syscall", N: 11},
			{Rule: "Terminal shell in container", Priority: "Notice", Source: "syscall", N: 0},
			{Rule: "Run shell (untrusted)!", Priority: "Notice", Source: "syscall", N: 2},
		},
		Outputs: []OutputStats{
			{Name: "stdout", Sent: 13},
			{Name: "http", Sent: 10, Failed: 1, Dropped: []Count{{"queue_full", 2}}},
		},
		Eval:     EvalStats{Seconds: 1.5, Events: 537963},
		State:    StateStats{Threads: 1661, FDs: 110992},
		Reloads:  ReloadStats{OK: 2, Failed: 1},
		Captures: CaptureStats{Files: 3, Bytes: 123456, Dropped: 7},
		Sources:  []SourceCount{{Source: "k8s_audit", Requests: 4, Rejected: 1, Events: 9, Invalid: 2, Dropped: 1}},
		Loaded:   time.Unix(1726240856, 500000000),
	}
	return prev, cur
}

func TestAppendFalcoJSON(t *testing.T) {
	prev, cur := testSnapshots()
	got := string(AppendFalcoJSON(nil, testInfo(), prev, cur, FalcoOptions{}))
	want := `{"hostname":"test","output":"Falco metrics snapshot","output_fields":{` +
		`"evt.hostname":"test",` +
		`"evt.source":"syscall",` +
		`"evt.time":1726240940545718604,` +
		`"falco.duration_sec":84,` +
		`"falco.evts_rate_sec":610.9,` +
		`"falco.host_boot_ts":1726122734000000000,` +
		`"falco.host_num_cpus":20,` +
		`"falco.kernel_release":"6.8.11-200.fc39.x86_64",` +
		`"falco.n_fds":110992,` +
		`"falco.n_threads":1661,` +
		`"falco.num_evts":537963,` +
		`"falco.num_evts_prev":531854,` +
		`"falco.outputs_queue_num_drops":2,` +
		`"falco.reload_ts":1726240856500000000,` +
		`"falco.rules.Read_sensitive_file_untrusted":11,` +
		`"falco.rules.Run_shell_untrusted":2,` +
		`"falco.rules.matches_total":13,` +
		`"falco.start_ts":1726240856432519187,` +
		`"falco.version":"0.3.0",` +
		`"kestrel.n_drops_queue_full":3,` +
		`"kestrel.n_read_fails":7,` +
		`"scap.engine_name":"modern_bpf",` +
		`"scap.evts_drop_rate_sec":3.0,` +
		`"scap.evts_rate_sec":1200.0,` +
		`"scap.n_drops":45,` +
		`"scap.n_drops_buffer_total":40,` +
		`"scap.n_drops_perc":0.25,` +
		`"scap.n_drops_prev":15,` +
		`"scap.n_drops_scratch_map":2,` +
		`"scap.n_evts":612000,` +
		`"scap.n_evts_prev":600000` +
		`},"priority":"Informational","rule":"Falco internal: metrics snapshot","source":"internal",` +
		`"time":"2024-09-13T15:22:20.545718604Z"}`
	if got != want {
		t.Errorf("AppendFalcoJSON:\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("not valid JSON: %s", got)
	}
}

func TestAppendFalcoFieldsFirstSnapshot(t *testing.T) {
	cur := &Snapshot{
		Time:   time.Unix(100, 0),
		Events: []Count{{"openat", 5}},
		Source: SourceStats{Kernel: 9},
	}
	got := string(AppendFalcoFields(nil, Info{Version: "v"}, nil, cur, FalcoOptions{}))
	want := `{"evt.source":"syscall","evt.time":100000000000,` +
		`"falco.num_evts":5,"falco.num_evts_prev":0,"falco.outputs_queue_num_drops":0,` +
		`"falco.reload_ts":0,"falco.rules.matches_total":0,"falco.version":"v",` +
		`"scap.evts_drop_rate_sec":0.0,"scap.evts_rate_sec":0.0,"scap.n_drops":0,` +
		`"scap.n_drops_perc":0.0,"scap.n_drops_prev":0,"scap.n_evts":9,"scap.n_evts_prev":0}`
	if got != want {
		t.Errorf("AppendFalcoFields:\n got %s\nwant %s", got, want)
	}
}

func TestAppendFalcoFieldsIncludeEmptyValues(t *testing.T) {
	cur := &Snapshot{
		Time:   time.Unix(100, 0),
		Alerts: []RuleCount{{Rule: "Quiet rule", Priority: "Notice", Source: "syscall"}},
	}
	got := string(AppendFalcoFields(nil, Info{}, nil, cur, FalcoOptions{IncludeEmptyValues: true}))
	for _, k := range []string{
		`"falco.rules.Quiet_rule":0`, `"falco.n_threads":0`, `"falco.n_fds":0`, `"falco.n_containers":0`,
		`"scap.n_drops_buffer_total":0`, `"scap.n_drops_scratch_map":0`,
		`"kestrel.n_drops_queue_full":0`, `"kestrel.n_drops_unreadable":0`, `"kestrel.n_read_fails":0`,
	} {
		if !strings.Contains(got, k) {
			t.Errorf("missing %s in %s", k, got)
		}
	}
}

func TestAppendFalcoFieldsCounterReset(t *testing.T) {
	prev := &Snapshot{Time: time.Unix(100, 0), Events: []Count{{"x", 50}}, Source: SourceStats{Kernel: 50, RingFull: 5}}
	cur := &Snapshot{Time: time.Unix(110, 0), Events: []Count{{"x", 10}}, Source: SourceStats{Kernel: 10}}
	got := string(AppendFalcoFields(nil, Info{}, prev, cur, FalcoOptions{}))
	for _, k := range []string{`"falco.evts_rate_sec":0.0`, `"scap.evts_rate_sec":0.0`, `"scap.n_drops_perc":0.0`} {
		if !strings.Contains(got, k) {
			t.Errorf("missing %s in %s", k, got)
		}
	}
}

func TestAppendFalcoJSONEscapes(t *testing.T) {
	cur := &Snapshot{Time: time.Unix(0, 0)}
	got := AppendFalcoJSON(nil, Info{Hostname: "a\"b\\c\n\x01\xff"}, nil, cur, FalcoOptions{})
	if !strings.HasPrefix(string(got), `{"hostname":"a\"b\\c\n\u0001`+"\uFFFD"+`"`) {
		t.Errorf("hostname not escaped: %s", got)
	}
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
}

func TestSanitizeRuleName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Read sensitive file untrusted":               "Read_sensitive_file_untrusted",
		"Run shell (untrusted)!":                      "Run_shell_untrusted",
		"Redirect STDOUT/STDIN to Network Connection": "Redirect_STDOUT_STDIN_to_Network_Connection",
		"a__b":                                  "a_b",
		"  lead":                                "_lead",
		"ns:rule":                               "ns:rule",
		"Détection":                             "D_tection",
		"":                                      "",
		"___":                                   "",
		"Contact K8S API Server From Container": "Contact_K8S_API_Server_From_Container",
	} {
		if got := SanitizeRuleName(in); got != want {
			t.Errorf("SanitizeRuleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkAppendFalcoJSON(b *testing.B) {
	prev, cur := testSnapshots()
	info := testInfo()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFalcoJSON(buf[:0], info, prev, cur, FalcoOptions{})
	}
}
