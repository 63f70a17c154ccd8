package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	"github.com/kestrel-sec/kestrel/source/github"
)

// pluginRulesFile is an upstream plugin rules file, a test input.
func pluginRulesFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../../shared/testdata/rules/plugins", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// oktaLockEvent is one System Log event of a locked-out user.
const oktaLockEvent = `{"uuid":"dc9fd3c0-598c-11ef-8478-2b7584bf8d5a","published":"2024-08-13T09:12:44.123Z",` +
	`"eventType":"user.account.lock","version":"0","severity":"INFO","displayMessage":"Max sign in attempts exceeded",` +
	`"actor":{"id":"00u1","type":"User","alternateId":"jane@example.com","displayName":"Jane Doe"},` +
	`"client":{"ipAddress":"203.0.113.7","zone":"null","device":"Computer"},` +
	`"outcome":{"result":"FAILURE","reason":"LOCKED_OUT"},"target":[]}`

// TestSourcesRunTogether runs the Kubernetes audit, GitHub, Okta and
// CloudTrail sources at once, fed over loopback HTTP and from a file, with a GitHub delivery
// of a bad signature refused on the way: every source's alert arrives,
// with its source, and each source counts its own.
func TestSourcesRunTogether(t *testing.T) {
	var polls sync.WaitGroup
	polls.Add(1)
	var once sync.Once
	okta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "SSWS tok" || r.URL.Path != "/api/v1/logs" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		body := "[]"
		once.Do(func() { body = "[" + oktaLockEvent + "]"; polls.Done() })
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	defer okta.Close()

	cfg := config.Default()
	k := &cfg.Sources.K8sAudit
	k.Enabled, k.ListenAddress, k.ListenPort = true, "127.0.0.1", freePort(t)
	g := &cfg.Sources.GitHub
	g.Enabled, g.ListenAddress, g.ListenPort, g.WebhookSecret, g.DisableScans = true, "127.0.0.1", freePort(t), "s3cret", true
	o := &cfg.Sources.Okta
	o.Enabled, o.Organization, o.APIToken, o.BaseURL = true, "example", "tok", okta.URL
	o.RefreshInterval = config.Duration(time.Second)
	ctFile := filepath.Join(t.TempDir(), "trail.json")
	if err := os.WriteFile(ctFile, []byte(`{"Records":[`+cloudTrailCreateUser+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cfg.Sources.CloudTrail
	c.Enabled, c.Inputs = true, []string{ctFile}

	_, eng, ds := loadRules([]string{k8sRulesFile(t), pluginRulesFile(t, "github.yaml"), pluginRulesFile(t, "okta_rules.yaml"),
		pluginRulesFile(t, "aws_cloudtrail_rules.yaml")}, engine.DefaultOptions())
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var mu sync.Mutex
	bySource := map[string][]string{}
	emit := func(a *alert.Alert) error {
		mu.Lock()
		bySource[a.Source] = append(bySource[a.Source], a.Rule)
		mu.Unlock()
		return nil
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	s := startSources(cfg, eng, emit, slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil)), "h")
	defer s.stop()

	postRetry(t, "http://127.0.0.1:"+strconv.Itoa(k.ListenPort)+"/k8s-audit", auditLine, nil)
	ping := `{"zen":"Keep it logically awesome.","hook_id":42,"hook":{"id":42,"type":"Repository"},` +
		`"repository":{"name":"r","full_name":"o/r","private":true,"owner":{"login":"o"}},"sender":{"login":"u"}}`
	hdr := map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": github.Sign([]byte("wrong"), []byte(ping))}
	if code := postRetry(t, "http://127.0.0.1:"+strconv.Itoa(g.ListenPort)+"/", ping, hdr); code != http.StatusForbidden {
		t.Errorf("bad signature: status %d", code)
	}
	hdr["X-Hub-Signature-256"] = github.Sign([]byte("s3cret"), []byte(ping))
	if code := postRetry(t, "http://127.0.0.1:"+strconv.Itoa(g.ListenPort)+"/", ping, hdr); code != http.StatusOK {
		t.Errorf("signed delivery: status %d", code)
	}
	polls.Wait()

	want := map[string]string{"aws_cloudtrail": "Create AWS user", "k8s_audit": "Create Privileged Pod", "github": "Webhook Connected", "okta": "User has been locked out in OKTA"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(bySource)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	for src, rule := range want {
		if got := bySource[src]; len(got) == 0 || got[0] != rule {
			t.Errorf("source %s: alerts %v, want %q first", src, got, rule)
		}
	}
	mu.Unlock()
	counts := map[string]uint64{}
	for _, c := range s.counts() {
		counts[c.Source+".events"], counts[c.Source+".rejected"] = c.Events, c.Rejected
	}
	if counts["github.rejected"] != 1 || counts["github.events"] != 1 || counts["okta.events"] != 1 || counts["k8s_audit.events"] != 1 ||
		counts["aws_cloudtrail.events"] != 1 {
		t.Errorf("counts: %v", counts)
	}
}

// postRetry posts body to url until the server answers, and returns the
// status.
func postRetry(t *testing.T, url, body string, hdr map[string]string) int {
	t.Helper()
	for i := 0; ; i++ {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return resp.StatusCode
		}
		if i == 50 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
