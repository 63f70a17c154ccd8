package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
)

// markerRule is a rules file with one rule: a file whose name starts with
// prefix is opened.
func markerRule(prefix string) string {
	return fmt.Sprintf(`- rule: Test marker opened
  desc: a test opened its marker file
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith %s
  output: marker opened (file=%%fd.name command=%%proc.cmdline user=%%user.name)
  priority: WARNING
  tags: [test]
`, prefix)
}

// sidekick is an HTTP endpoint that applies falcosidekick's acceptance
// checks and keeps the alerts it accepts.
type sidekick struct {
	t        *testing.T
	mu       sync.Mutex
	accepted []sidekickAlert
	refused  []string
	srv      *httptest.Server
}

func newSidekick(t *testing.T) *sidekick {
	s := &sidekick{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sidekick) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ok := r.Method == http.MethodPost && len(body) > 0 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	var a sidekickAlert
	if ok {
		var err error
		a, err = sidekickAccepts(body)
		ok = err == nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.refused = append(s.refused, string(body))
		http.Error(w, "bad alert", http.StatusBadRequest)
		return
	}
	s.accepted = append(s.accepted, a)
}

func (s *sidekick) alerts() []sidekickAlert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sidekickAlert(nil), s.accepted...)
}

// syslogListener collects the datagrams sent to a unix socket.
func syslogListener(t *testing.T, path string) func() []string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var mu sync.Mutex
	var msgs []string
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, string(buf[:n]))
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

// liveRun is a `kestrel run` started by a test.
type liveRun struct {
	t       *testing.T
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	err     error
	out     syncBuffer
	errOut  syncBuffer
	web     string
	signals chan os.Signal
	// early is what /healthz answered before the probe was attached.
	early int
}

// syncBuffer is a bytes.Buffer safe for one writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRun starts Run with the configuration file cfg and waits until it
// is ready.
func startRun(t *testing.T, cfg string, settings ...string) *liveRun {
	t.Helper()
	ebpftest.Live(t)
	ctx, cancel := context.WithCancel(context.Background())
	r := &liveRun{t: t, cancel: cancel, signals: make(chan os.Signal, 4)}
	ready := make(chan string, 1)
	o := RunOptions{ConfigFile: cfg, ReplayOptions: ReplayOptions{Hostname: "testhost", Settings: settings},
		Ready: func(addr string) { ready <- addr }, Signals: r.signals,
		Starting: func(addr string) {
			if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
				r.early = resp.StatusCode
				resp.Body.Close()
			}
		}}
	r.wg.Go(func() { r.err = Run(ctx, o, &r.out, &r.errOut) })
	select {
	case r.web = <-ready:
	case <-waitDone(&r.wg):
		t.Fatalf("run ended before it started: %v\n%s", r.err, r.errOut.String())
	}
	t.Cleanup(r.stop)
	return r
}

// stop ends the run and waits for it.
func (r *liveRun) stop() {
	r.cancel()
	r.wg.Wait()
}

// open opens each named file once, from a child process.
func openFiles(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(n, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// cat opens them in a process of its own: Kestrel does not watch itself.
	if out, err := runCmd("cat", names...); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
}

// waitFor polls cond until it holds or the time is up; the run's output
// is shown when it does not.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool, show ...*liveRun) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > limit {
			for _, r := range show {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.out.String(), r.errOut.String())
			}
			t.Fatalf("%s: not within %v", what, limit)
		}
	}
}

// scrape reads /metrics with the Prometheus text parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// metricValue returns the value of the series of family name whose labels
// include want.
func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		match := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// linesWith returns the lines of s that contain sub.
func linesWith(s, sub string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// TestRunOutputsLive runs live detection with a rule set of one rule and
// every output enabled, opens the rule's marker files, and checks each
// alert on every output: stdout (JSON), the file, syslog (a socket the
// test listens on), HTTP (an endpoint applying falcosidekick's checks)
// and a program; then the metrics, scraped and parsed with the
// Prometheus parser, and /healthz.
func TestRunOutputsLive(t *testing.T) {
	ebpftest.Live(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "marker-")
	rulesFile := writeFile(t, dir, "rules.yaml", markerRule(prefix))
	sk := newSidekick(t)
	syslogMsgs := syslogListener(t, filepath.Join(dir, "log.sock"))
	alertsFile := filepath.Join(dir, "alerts.json")
	programFile := filepath.Join(dir, "program.json")
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s]
json_output: true
log_syslog: false
watch_config_files: false
stdout_output: {enabled: true}
file_output: {enabled: true, keep_alive: true, filename: %s}
syslog_output: {enabled: true, path: %s}
http_output: {enabled: true, url: "%s/"}
program_output: {enabled: true, keep_alive: true, program: "cat >> %s"}
webserver: {enabled: true, listen_port: 0, prometheus_metrics_enabled: true}
`, rulesFile, alertsFile, filepath.Join(dir, "log.sock"), sk.srv.URL, programFile))
	r := startRun(t, cfg)
	if r.early != http.StatusServiceUnavailable {
		t.Errorf("/healthz before the probe was attached: %d, want 503", r.early)
	}
	resp, err := http.Get("http://" + r.web + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz once ready: %v %v", resp, err)
	}
	names := []string{prefix + "1", prefix + "2", prefix + "3"}
	openFiles(t, names...)
	waitFor(t, "three alerts over HTTP", 10*time.Second, func() bool { return len(sk.alerts()) >= 3 })
	fams := scrape(t, r.web)
	if v, _ := metricValue(fams, "kestrel_alerts_total", map[string]string{"rule": "Test marker opened", "priority": "Warning"}); v != 3 {
		t.Errorf("kestrel_alerts_total for the rule = %v, want 3", v)
	}
	if v, ok := metricValue(fams, "kestrel_events_total", map[string]string{"event_type": "openat"}); !ok || v < 3 {
		t.Errorf("kestrel_events_total{event_type=openat} = %v (%v)", v, ok)
	}
	r.stop()
	if r.err != nil {
		t.Fatalf("run: %v\n%s", r.err, r.errOut.String())
	}
	checkAlerts(t, "stdout", linesWith(r.out.String(), "Test marker opened"), names)
	checkAlerts(t, "file", linesWith(readText(t, alertsFile), "Test marker opened"), names)
	checkAlerts(t, "program", linesWith(readText(t, programFile), "Test marker opened"), names)
	var sys []string
	for _, m := range syslogMsgs() {
		if strings.Contains(m, "Test marker opened") {
			if !strings.HasPrefix(m, "<12>1 ") { // user.warning, RFC 5424
				t.Errorf("syslog message %q: want priority <12> and version 1", m)
			}
			sys = append(sys, m[strings.Index(m, "{"):])
		}
	}
	checkAlerts(t, "syslog", sys, names)
	if len(sk.refused) > 0 {
		t.Errorf("falcosidekick's checks refused: %q", sk.refused)
	}
	var files []string
	for _, a := range sk.alerts() {
		files = append(files, fmt.Sprint(a.OutputFields["fd.name"]))
	}
	if !sameSet(files, names) {
		t.Errorf("HTTP alerts for %q, want %q", files, names)
	}
	for _, out := range []string{"stdout", "file", "syslog", "http", "program"} {
		if want := fmt.Sprintf("output %s: 3 sent, 0 failed, 0 dropped", out); !strings.Contains(r.errOut.String(), want) {
			t.Errorf("summary has no %q:\n%s", want, r.errOut.String())
		}
	}
}

// checkAlerts checks that lines are the JSON alerts of the marker rule,
// one per name, that falcosidekick accepts.
func checkAlerts(t *testing.T, what string, lines []string, names []string) {
	t.Helper()
	var files []string
	for _, l := range lines {
		a := checkSidekick(t, []byte(l))
		if a.Rule != "Test marker opened" || a.Priority != "Warning" || a.Hostname != "testhost" || a.Source != "syscall" {
			t.Errorf("%s: alert %s", what, l)
		}
		files = append(files, fmt.Sprint(a.OutputFields["fd.name"]))
	}
	if !sameSet(files, names) {
		t.Errorf("%s: alerts for %q, want one for each of %q", what, files, names)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] != 1 {
			return false
		}
	}
	return true
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunReloadLive checks reloads on SIGHUP: new rules take effect
// while the probe runs; invalid rules leave the running ones in place,
// with the error logged and counted; and during a burst of triggering
// actions with several reloads, every action is detected once.
func TestRunReloadLive(t *testing.T) {
	ebpftest.Live(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a-"), filepath.Join(dir, "b-")
	rulesFile := writeFile(t, dir, "rules.yaml", markerRule(a))
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s]
json_output: true
log_syslog: false
watch_config_files: false
webserver: {enabled: true, listen_port: 0, prometheus_metrics_enabled: true}
`, rulesFile))
	r := startRun(t, cfg)
	alertsFor := func(prefix string) int { return len(linesWith(r.out.String(), `"fd.name":"`+prefix)) }

	writeFile(t, dir, "rules.yaml", markerRule(b))
	r.signals <- syscall.SIGHUP
	waitFor(t, "the reload", 5*time.Second, func() bool { return strings.Contains(r.errOut.String(), "reloaded") })
	openFiles(t, a+"1", b+"1")
	waitFor(t, "the new rule's alert", 5*time.Second, func() bool { return alertsFor(b) == 1 })

	writeFile(t, dir, "rules.yaml", "- rule: broken\n  condition: proc.name =\n")
	r.signals <- syscall.SIGHUP
	waitFor(t, "the failed reload", 5*time.Second, func() bool { return strings.Contains(r.errOut.String(), "reload failed") })
	openFiles(t, b+"2")
	waitFor(t, "the old rule's alert after a failed reload", 5*time.Second, func() bool { return alertsFor(b) == 2 })
	if v, _ := metricValue(scrape(t, r.web), "kestrel_reloads_total", map[string]string{"result": "failed"}); v != 1 {
		t.Errorf("failed reloads = %v, want 1", v)
	}

	writeFile(t, dir, "rules.yaml", markerRule(b))
	var names []string
	for i := range 60 {
		names = append(names, fmt.Sprintf("%sburst-%d", b, i))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			r.signals <- syscall.SIGHUP
			time.Sleep(30 * time.Millisecond)
		}
	}()
	for i := 0; i < len(names); i += 10 {
		openFiles(t, names[i:i+10]...)
	}
	<-done
	waitFor(t, "every burst alert", 10*time.Second, func() bool { return alertsFor(b+"burst-") >= len(names) })
	time.Sleep(300 * time.Millisecond)
	r.stop()
	for _, n := range names {
		if got := len(linesWith(r.out.String(), `"fd.name":"`+n+`"`)); got != 1 {
			t.Errorf("%s: %d alerts, want 1", n, got)
		}
	}
	if alertsFor(a) != 0 {
		t.Errorf("the replaced rule still alerted")
	}
}

// TestRunSlowOutputsLive checks the outputs that misbehave: an HTTP
// endpoint down for a while, then back (the alerts within the queue's
// capacity all arrive, the drop counter says exactly how many did not),
// and an HTTP endpoint that never answers (detection and the other
// outputs go on).
func TestRunSlowOutputsLive(t *testing.T) {
	ebpftest.Live(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "m-")
	rulesFile := writeFile(t, dir, "rules.yaml", markerRule(prefix))
	// An address nothing listens on yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s]
json_output: true
log_syslog: false
watch_config_files: false
outputs_queue: {capacity: 5}
http_output: {enabled: true, url: "http://%s/", retries: 100}
webserver: {enabled: true, listen_port: 0, prometheus_metrics_enabled: true}
`, rulesFile, addr))
	r := startRun(t, cfg)
	var names []string
	for i := range 20 {
		names = append(names, fmt.Sprintf("%s%d", prefix, i))
	}
	// One at a time: every output's queue holds 5, and stdout keeps up.
	for _, n := range names {
		openFiles(t, n)
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "stdout alerts while HTTP is down", 5*time.Second, func() bool {
		return len(linesWith(r.out.String(), "Test marker opened")) >= len(names)
	}, r)
	if n := len(linesWith(r.out.String(), "Test marker opened")); n != len(names) {
		t.Fatalf("%d alerts for %d files:\n%s", n, len(names), r.out.String())
	}
	sk := &sidekick{t: t}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(sk.serve))
	if srv.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	// One alert in flight and five queued arrive; fourteen were dropped.
	waitFor(t, "the queued alerts once HTTP is back", 10*time.Second, func() bool { return len(sk.alerts()) == 6 })
	fams := scrape(t, r.web)
	if v, _ := metricValue(fams, "kestrel_output_dropped_total", map[string]string{"output": "http", "reason": "queue_full"}); v != 14 {
		t.Errorf("http queue_full drops = %v, want 14", v)
	}
	r.stop()
	if want := "output http: 6 sent, 0 failed, 14 dropped"; !strings.Contains(r.errOut.String(), want) {
		t.Errorf("summary has no %q:\n%s", want, r.errOut.String())
	}

	// An endpoint that never answers.
	release := make(chan struct{})
	var aborted atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a closed connection once the body is read
		select {
		case <-r.Context().Done():
			aborted.Add(1)
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	r = startRun(t, cfg, "http_output.url="+hang.URL+"/", "http_output.timeout=1h")
	for _, n := range names {
		openFiles(t, n)
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "stdout alerts while HTTP hangs", 5*time.Second, func() bool {
		return len(linesWith(r.out.String(), "Test marker opened")) == len(names)
	})
	start := time.Now()
	r.stop()
	if d := time.Since(start); d > outputDrainTime+2*time.Second {
		t.Errorf("stopping took %v with an output that never answers", d)
	}
	if !strings.Contains(r.errOut.String(), "output http: 0 sent") {
		t.Errorf("summary:\n%s", r.errOut.String())
	}
	// The request in flight was given up, not left behind.
	waitFor(t, "the hanging request aborted", 5*time.Second, func() bool { return aborted.Load() == 1 })
}

// runCmd runs a command and returns its combined output.
func runCmd(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// TestRunInternalAlertsLive checks Kestrel's own alerts: Falco's "syscall
// event drop" alert and log line (here with drops simulated, as Falco's
// simulate_drops does), and the periodic metrics snapshot written to
// metrics.output_file and sent as an alert.
func TestRunInternalAlertsLive(t *testing.T) {
	ebpftest.Live(t)
	dir := t.TempDir()
	metricsFile := filepath.Join(dir, "metrics.json")
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`json_output: true
log_syslog: false
watch_config_files: false
syscall_event_drops: {simulate_drops: true, actions: [log, alert]}
metrics: {enabled: true, interval: 1s, output_rule: true, output_file: %s}
webserver: {enabled: false}
`, metricsFile))
	r := startRun(t, cfg)
	waitFor(t, "the drop alert and the metrics alert", 10*time.Second, func() bool {
		out := r.out.String()
		return strings.Contains(out, `"rule":"Falco internal: syscall event drop"`) &&
			strings.Contains(out, `"rule":"Falco internal: metrics snapshot"`)
	}, r)
	waitFor(t, "the metrics file", 5*time.Second, func() bool {
		b, _ := os.ReadFile(metricsFile)
		return bytes.Contains(b, []byte(`"rule":"Falco internal: metrics snapshot"`))
	})
	r.stop()
	for _, l := range linesWith(r.out.String(), "Falco internal") {
		a := checkSidekick(t, []byte(l))
		if a.Source != "internal" {
			t.Errorf("internal alert with source %q: %s", a.Source, l)
		}
	}
	if !strings.Contains(r.errOut.String(), "system calls dropped in last second") {
		t.Errorf("no drop log line:\n%s", r.errOut.String())
	}
	if st, err := os.Stat(metricsFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("metrics file: %v %v", st, err)
	}
}
