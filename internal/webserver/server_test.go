package webserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kestrel-sec/kestrel/internal/metrics"
)

// start serves s on a loopback port the system picks and returns its base
// URL; the server is shut down when the test ends, and Serve must have
// returned nil by then.
func start(t *testing.T, s *Server, scheme string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return scheme + "://" + l.Addr().String()
}

func newServer(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// get fetches url and returns the status, content type and body.
func get(t *testing.T, c *http.Client, url string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestHealthzStartingThenReady(t *testing.T) {
	s := newServer(t, Options{})
	base := start(t, s, "http")
	check := func(wantStatus int, wantBody string) {
		t.Helper()
		status, ctype, body := get(t, http.DefaultClient, base+"/healthz")
		if status != wantStatus || body != wantBody || ctype != "application/json" {
			t.Errorf("/healthz = %d %q %q, want %d %q application/json", status, body, ctype, wantStatus, wantBody)
		}
	}
	check(http.StatusServiceUnavailable, `{"status": "starting"}`)
	s.SetReady(true)
	check(http.StatusOK, `{"status": "ok"}`)
	s.SetReady(false)
	check(http.StatusServiceUnavailable, `{"status": "starting"}`)
}

func TestHealthzCustomEndpoint(t *testing.T) {
	s := newServer(t, Options{HealthzEndpoint: "/health/"})
	s.SetReady(true)
	base := start(t, s, "http")
	if status, _, _ := get(t, http.DefaultClient, base+"/health/"); status != http.StatusOK {
		t.Errorf("/health/ = %d, want 200", status)
	}
	for _, p := range []string{"/healthz", "/health/x"} {
		if status, _, _ := get(t, http.DefaultClient, base+p); status != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", p, status)
		}
	}
	resp, err := http.Post(base+"/health/", "text/plain", nil)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /health/ = %d, want 405", resp.StatusCode)
	}
}

func TestVersions(t *testing.T) {
	s := newServer(t, Options{Versions: Versions{
		Kestrel:       "0.3.0",
		Falco:         "0.3.0",
		Libs:          "0.3.0",
		PluginAPI:     "3.10.0",
		DriverAPI:     "8.0.0",
		DriverSchema:  "3.0.0",
		DefaultDriver: "0.3.0",
		Engine:        "0.57.0",
		Plugins:       map[string]string{"k8saudit": "0.11.0"},
	}})
	base := start(t, s, "http")
	status, ctype, body := get(t, http.DefaultClient, base+"/versions")
	if status != http.StatusOK || ctype != "application/json" {
		t.Fatalf("/versions = %d %q", status, ctype)
	}
	want := `{"default_driver_version":"0.3.0","driver_api_version":"8.0.0","driver_schema_version":"3.0.0",` +
		`"engine_version":"57","engine_version_semver":"0.57.0","falco_version":"0.3.0","kestrel_version":"0.3.0",` +
		`"libs_version":"0.3.0","plugin_api_version":"3.10.0","plugin_versions":{"k8saudit":"0.11.0"}}`
	if body != want {
		t.Errorf("/versions:\n got %s\nwant %s", body, want)
	}
}

func TestVersionsKeysWithoutPlugins(t *testing.T) {
	s := newServer(t, Options{Versions: Versions{Engine: "0.57.0"}})
	base := start(t, s, "http")
	_, _, body := get(t, http.DefaultClient, base+"/versions")
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("unmarshal %s: %v", body, err)
	}
	for _, k := range []string{
		"falco_version", "kestrel_version", "libs_version", "plugin_api_version", "driver_api_version",
		"driver_schema_version", "default_driver_version", "engine_version", "engine_version_semver",
	} {
		if _, ok := v[k]; !ok {
			t.Errorf("/versions lacks %s: %s", k, body)
		}
	}
	if _, ok := v["plugin_versions"]; ok || len(v) != 9 {
		t.Errorf("/versions has unexpected keys: %s", body)
	}
}

func TestMetrics(t *testing.T) {
	c, err := metrics.New(func() metrics.Snapshot {
		return metrics.Snapshot{
			Source: metrics.SourceStats{Kernel: 1234, RingFull: 5},
			Alerts: []metrics.RuleCount{{Rule: "Terminal shell in container", Priority: "Notice", Source: "syscall", N: 3}},
			State:  metrics.StateStats{Threads: 42},
		}
	}, metrics.Info{Version: "0.3.0"}, metrics.Options{FalcoNames: true})
	if err != nil {
		t.Fatalf("metrics.New: %v", err)
	}
	base := start(t, newServer(t, Options{Metrics: c.Registry()}), "http")
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics = %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for name, want := range map[string]float64{
		"kestrel_kernel_events_total":             1234,
		"kestrel_state_threads":                   42,
		"kestrel_alerts_total":                    3,
		"falcosecurity_scap_n_evts_total":         1234,
		"falcosecurity_scap_n_drops_total":        5,
		"falcosecurity_falco_rules_matches_total": 3,
	} {
		mf, ok := mfs[name]
		if !ok || len(mf.GetMetric()) != 1 {
			t.Errorf("/metrics: %s missing or not one series", name)
			continue
		}
		m := mf.GetMetric()[0]
		got := m.GetCounter().GetValue() + m.GetGauge().GetValue()
		if got != want {
			t.Errorf("/metrics: %s = %v, want %v", name, got, want)
		}
	}
	if _, ok := mfs["process_resident_memory_bytes"]; !ok {
		t.Errorf("/metrics lacks process_resident_memory_bytes")
	}
}

func TestNoMetricsWhenDisabled(t *testing.T) {
	base := start(t, newServer(t, Options{}), "http")
	if status, _, _ := get(t, http.DefaultClient, base+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics without a gatherer = %d, want 404", status)
	}
}

// writeCert writes one PEM file with a self-signed certificate for
// 127.0.0.1 followed by its key, as Falco's ssl_certificate holds them,
// and returns its path and a pool that trusts the certificate.
func writeCert(t *testing.T) (string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kestrel test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	path := filepath.Join(t.TempDir(), "kestrel.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return path, pool
}

func TestTLS(t *testing.T) {
	path, pool := writeCert(t)
	s := newServer(t, Options{SSLEnabled: true, SSLCertificate: path})
	s.SetReady(true)
	base := start(t, s, "https")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	if status, _, body := get(t, client, base+"/healthz"); status != http.StatusOK || body != `{"status": "ok"}` {
		t.Errorf("https /healthz = %d %q", status, body)
	}
	plain := "http" + strings.TrimPrefix(base, "https")
	if status, _, _ := get(t, http.DefaultClient, plain+"/healthz"); status != http.StatusBadRequest {
		t.Errorf("plain HTTP to the TLS port = %d, want 400", status)
	}
}

func TestTLSBadCertificate(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	certOnly := filepath.Join(t.TempDir(), "cert-only.pem")
	full, _ := writeCert(t)
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.Index(string(data), "-----BEGIN PRIVATE KEY-----")
	if err := os.WriteFile(certOnly, data[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"", "ssl_certificate is not set"},
		{missing, "read ssl_certificate: open " + missing},
		{certOnly, "load ssl_certificate " + certOnly},
	} {
		_, err := New(Options{SSLEnabled: true, SSLCertificate: tc.path})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with ssl_certificate %q: error %v, want one containing %q", tc.path, err, tc.want)
		}
	}
}

func TestListenAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	s := newServer(t, Options{ListenPort: port})
	_, err = s.Listen()
	if err == nil {
		t.Fatalf("Listen on busy port %d succeeded", port)
	}
	want := "webserver listen on 127.0.0.1:" + strconv.Itoa(port) + ": "
	if !strings.HasPrefix(err.Error(), want) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen error %q, want prefix %q wrapping EADDRINUSE", err, want)
	}
}

func TestListenAndClose(t *testing.T) {
	s := newServer(t, Options{})
	if s.Addr() != "127.0.0.1:8765" {
		t.Errorf("default Addr() = %q, want 127.0.0.1:8765", s.Addr())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	if status, _, _ := get(t, http.DefaultClient, "http://"+l.Addr().String()+"/healthz"); status != http.StatusServiceUnavailable {
		t.Errorf("/healthz = %d, want 503", status)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("serve after close: %v", err)
	}
}

func TestShutdownWaitsForRequests(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	slow := gathererFunc(func() error { close(entered); <-release; return nil })
	s := newServer(t, Options{Metrics: slow})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	select {
	case <-shut:
		t.Fatalf("Shutdown returned while a request was under way")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if status := <-got; status != http.StatusOK {
		t.Errorf("request during shutdown = %d, want 200", status)
	}
	if err := <-shut; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{HealthzEndpoint: "healthz"}, "must start with /"},
		{Options{HealthzEndpoint: "/metrics"}, "clashes"},
		{Options{HealthzEndpoint: "/versions"}, "clashes"},
		{Options{HealthzEndpoint: "/{x}"}, "plain path"},
		{Options{Versions: Versions{Engine: "57"}}, "want major.minor.patch"},
		{Options{Versions: Versions{Engine: "0.x.0"}}, "minor is not a number"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): error %v, want one containing %q", tc.o, err, tc.want)
		}
	}
}

// gathererFunc is a metrics gatherer that runs a function and gathers
// nothing.
type gathererFunc func() error

func (f gathererFunc) Gather() ([]*dto.MetricFamily, error) { return nil, f() }
