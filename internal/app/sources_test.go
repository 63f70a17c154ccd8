package app

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSourcesRun runs the k8s_audit source with its webhook and a log
// file, and a second file that cannot be read: its failure is logged and
// the rest goes on.
func TestSourcesRun(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "audit.log")
	os.WriteFile(logFile, []byte(auditLine+"\n"), 0o600)
	cfg := config.Default()
	k := &cfg.Sources.K8sAudit
	k.Enabled, k.ListenAddress, k.ListenPort, k.Follow = true, "127.0.0.1", freePort(t), false
	k.Files = []string{filepath.Join(dir, "missing.log"), logFile}
	_, eng, ds := loadRules([]string{k8sRulesFile(t)}, engine.DefaultOptions())
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var mu sync.Mutex
	var got []alert.Alert
	emit := func(a *alert.Alert) error {
		mu.Lock()
		got = append(got, *a)
		mu.Unlock()
		return nil
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))
	s := startSources(cfg, eng, emit, log, "h")
	url := "http://127.0.0.1:" + strconv.Itoa(k.ListenPort) + "/k8s-audit"
	var resp *http.Response
	var err error
	for i := 0; i < 50; i++ {
		if resp, err = http.Post(url, "application/json", strings.NewReader(auditLine)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	var sum bytes.Buffer
	s.summary(&sum)
	if len(got) != 2 || got[0].Rule != "Create Privileged Pod" || got[0].Source != "k8s_audit" {
		t.Errorf("alerts: %+v", got)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "missing.log") {
		t.Errorf("log:\n%s", logs.String())
	}
	if !strings.Contains(sum.String(), "source k8s_audit: 2 events, 1 requests (0 rejected or failed)") {
		t.Errorf("summary: %s", sum.String())
	}
	if c := s.counts(); len(c) != 1 || c[0].Source != "k8s_audit" || c[0].Events != 2 || c[0].Requests != 1 {
		t.Errorf("counts for the metrics: %+v", c)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestSourcesReconfigure changes the sources' settings as a reload does:
// the source whose block changed restarts (its webhook on a new port),
// the others keep running, a disabled one stops, and the counters go on
// from where they were.
func TestSourcesReconfigure(t *testing.T) {
	cfg := config.Default()
	k := &cfg.Sources.K8sAudit
	k.Enabled, k.ListenAddress, k.ListenPort = true, "127.0.0.1", freePort(t)
	g := &cfg.Sources.GitHub
	g.Enabled, g.ListenAddress, g.ListenPort, g.WebhookSecret, g.DisableScans = true, "127.0.0.1", freePort(t), "s", true
	_, eng, ds := loadRules([]string{k8sRulesFile(t)}, engine.DefaultOptions())
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var mu sync.Mutex
	n := 0
	emit := func(*alert.Alert) error { mu.Lock(); n++; mu.Unlock(); return nil }
	s := startSources(cfg, eng, emit, slog.New(slog.NewTextHandler(io.Discard, nil)), "h")
	defer s.stop()
	post := func(port int) int {
		return postRetry(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/k8s-audit", auditLine, nil)
	}
	if code := post(k.ListenPort); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	ghBefore := s.find("github")

	next := *cfg
	old := k.ListenPort
	next.Sources.K8sAudit.ListenPort = freePort(t)
	next.Sources.Okta.Enabled = false
	s.configure(next.Sources)
	if s.find("github") != ghBefore {
		t.Error("the GitHub source restarted though its settings did not change")
	}
	if _, err := http.Post("http://127.0.0.1:"+strconv.Itoa(old)+"/k8s-audit", "application/json", strings.NewReader(auditLine)); err == nil {
		t.Error("the old audit webhook still answers")
	}
	if code := post(next.Sources.K8sAudit.ListenPort); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	next.Sources.GitHub.Enabled = false
	s.configure(next.Sources)
	if s.find("github") != nil {
		t.Error("the disabled GitHub source still runs")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := n >= 2
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	counts := s.counts()
	if len(counts) != 2 || counts[0].Source != "k8s_audit" || counts[0].Events != 2 || counts[0].Requests != 2 {
		t.Errorf("counts after the restart: %+v", counts)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 2 {
		t.Errorf("%d alerts, want 2", n)
	}
}

// TestRunOnlySourceRules: a run whose rules are all of another source
// is accepted when that source is enabled (the probe then traces only the
// syscalls the host model needs), and refused when it is not.
func TestRunOnlySourceRules(t *testing.T) {
	cfg := config.Default()
	cfg.RulesFiles = []string{k8sRulesFile(t)}
	a := &agent{log: slog.New(slog.NewTextHandler(io.Discard, nil)), stderr: io.Discard}
	if _, err := a.compile(cfg); err == nil || !errors.Is(err, ErrNoRules) {
		t.Errorf("k8s audit rules alone, the source off: %v", err)
	}
	cfg.Sources.K8sAudit.Enabled = true
	eng, err := a.compile(cfg)
	if err != nil {
		t.Fatalf("k8s audit rules alone, the source on: %v", err)
	}
	if names := runSyscalls(eng, cfg); names == nil || len(names) != 0 {
		t.Errorf("syscalls traced for the rules: %v, want none", names)
	}
}

// TestSourcesOneFails starts the GitHub source on a port already taken:
// it is logged and stops, and the Kubernetes audit source runs on.
func TestSourcesOneFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := config.Default()
	k := &cfg.Sources.K8sAudit
	k.Enabled, k.ListenAddress, k.ListenPort = true, "127.0.0.1", freePort(t)
	g := &cfg.Sources.GitHub
	g.Enabled, g.ListenAddress, g.ListenPort, g.WebhookSecret = true, "127.0.0.1", taken.Addr().(*net.TCPAddr).Port, "s"
	_, eng, ds := loadRules([]string{k8sRulesFile(t)}, engine.DefaultOptions())
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	alerts := make(chan string, 4)
	emit := func(a *alert.Alert) error { alerts <- a.Rule; return nil }
	var logs bytes.Buffer
	var logMu sync.Mutex
	s := startSources(cfg, eng, emit, slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil)), "h")
	defer s.stop()
	if code := postRetry(t, "http://127.0.0.1:"+strconv.Itoa(k.ListenPort)+"/k8s-audit", auditLine, nil); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	select {
	case r := <-alerts:
		if r != "Create Privileged Pod" {
			t.Errorf("alert %q", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert from the audit source")
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "GitHub webhook not started") {
		t.Errorf("log:\n%s", logs.String())
	}
}
