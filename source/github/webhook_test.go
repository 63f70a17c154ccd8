package github

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

func TestWebhookRequests(t *testing.T) {
	for _, mode := range []string{"http", "https"} {
		t.Run(mode, func(t *testing.T) {
			client := &http.Client{Timeout: 10 * time.Second}
			var cert, key string
			if mode == "https" {
				var pool *x509.CertPool
				cert, key, pool = srctest.SelfSigned(t, t.TempDir())
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			}
			log, logs := srctest.LogBuffer()
			e := startHook(t, cert, key, client, func(h *Webhook) { h.Log = log })
			checkRequests(t, e)
			if strings.Contains(logs.String(), string(testSecret)) {
				t.Error("the secret was logged")
			}
			if !strings.Contains(logs.String(), "does not match") {
				t.Errorf("rejections not logged: %s", logs.String())
			}
		})
	}
}

func checkRequests(t *testing.T, e *hookEnv) {
	ping := srctest.JSON(t, pingEvent())
	big := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 300<<10)...), `"}`...)
	cases := []struct {
		name   string
		d      delivery
		want   int
		events int
	}{
		{"json", delivery{typ: "ping", body: ping}, 200, 1},
		{"json with charset", delivery{typ: "ping", ctype: "application/json; charset=utf-8", body: ping}, 200, 1},
		{"form", delivery{typ: "ping", ctype: "application/x-www-form-urlencoded", body: form(ping)}, 200, 1},
		{"form without payload", delivery{typ: "ping", ctype: "application/x-www-form-urlencoded", body: []byte("x=1")}, 400, 0},
		{"missing signature", delivery{typ: "ping", body: ping, sig: "-"}, 401, 0},
		{"wrong secret", delivery{typ: "ping", body: ping, sig: Sign([]byte("guess"), ping)}, 403, 0},
		{"tampered body", delivery{typ: "ping", body: append(ping[:len(ping)-1:len(ping)-1], `,"x":1}`...), sig: Sign(testSecret, ping)}, 403, 0},
		{"sha1 only", delivery{typ: "ping", body: ping, sig: "sha1=0123456789abcdef0123456789abcdef01234567"}, 403, 0},
		{"malformed signature", delivery{typ: "ping", body: ping, sig: "sha256=zz"}, 403, 0},
		{"missing event type", delivery{body: ping}, 400, 0},
		{"malformed event type", delivery{typ: `pi"ng`, body: ping}, 400, 0},
		{"not JSON", delivery{typ: "ping", body: []byte("hello")}, 400, 0},
		{"JSON array", delivery{typ: "ping", body: []byte(`[{"zen":"x"}]`)}, 400, 0},
		{"wrong content type", delivery{typ: "ping", ctype: "text/plain", body: ping}, 415, 0},
		{"too large", delivery{typ: "ping", body: big}, 413, 0},
	}
	for _, c := range cases {
		before := len(e.q.Items())
		code, msg := e.send(t, c.d)
		if code != c.want {
			t.Errorf("%s: status %d (%s), want %d", c.name, code, msg, c.want)
		}
		if got := len(e.q.Items()) - before; got != c.events {
			t.Errorf("%s: %d events queued, want %d", c.name, got, c.events)
		}
	}
	checkOtherRequests(t, e)
	s := e.h.Stats.Snapshot()
	if s.Requests != uint64(len(cases)+2) || s.Rejected != uint64(len(cases)-3+2) || s.Events != 3 {
		t.Errorf("stats %+v", s)
	}
	for range 3 {
		it := <-e.q.Items()
		if it.TS != uint64(testTime.UnixNano()) {
			t.Errorf("event time %d", it.TS)
		}
		if !bytes.HasPrefix(it.Data, []byte(`{"webhook_type":"ping","received_at":"2024-05-01T10:00:00.123456789Z","hook":{`)) {
			t.Errorf("event %.120s", it.Data)
		}
	}
}

// checkOtherRequests sends a GET and a post to another path.
func checkOtherRequests(t *testing.T, e *hookEnv) {
	resp, err := e.http.Get(e.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
	body := srctest.JSON(t, pingEvent())
	req, _ := http.NewRequest(http.MethodPost, strings.TrimSuffix(e.url, "/github")+"/elsewhere", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-Hub-Signature-256", Sign(testSecret, body))
	resp, err = e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other path: %d, want 404", resp.StatusCode)
	}
}

// TestWebhookNoSecret checks that a webhook without a secret refuses
// even signed deliveries, and that the configuration is refused.
func TestWebhookNoSecret(t *testing.T) {
	e := startHook(t, "", "", nil, func(h *Webhook) { h.Secret = nil })
	body := srctest.JSON(t, pingEvent())
	if code, _ := e.send(t, delivery{typ: "ping", body: body, sig: Sign(nil, body)}); code != 403 {
		t.Errorf("status %d, want 403", code)
	}
	if _, err := NewWebhook(Config{}, e.q, e.h.Stats, nil); !errors.Is(err, ErrNoSecret) {
		t.Errorf("config without a secret: %v", err)
	}
}

// TestRun runs the source from its configuration: secrets from files,
// and an error at once when the port is taken.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("# the webhook secret\n\n"+string(testSecret)+"\n"), 0o600)
	tokenFile := filepath.Join(dir, "github.token")
	os.WriteFile(tokenFile, []byte("ghp_fromfile\n"), 0o600)
	api := newFakeAPI(t)
	stats := &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(4, stats)
	cfg := Config{ListenAddress: "127.0.0.1", ListenPort: 0, Path: "/gh", WebhookSecretFile: secretFile, TokenFile: tokenFile, APIURL: api.URL}
	cfg.ListenPort = freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, q, stats, nil) }()
	e := &hookEnv{q: q, api: api, url: "http://" + cfg.Addr() + "/gh", http: &http.Client{Timeout: 10 * time.Second}}
	waitListening(t, cfg.Addr())
	j := newJudge(t)
	got, _ := j.fire(t, e.deliver(t, "push", pushEvent("leaky", false)))
	if len(got) != 1 || got[0] != "Secret pushed into a public repository" {
		t.Errorf("rules %q", got)
	}
	if auth, _ := api.auth.Load().(string); auth != "Bearer ghp_fromfile" {
		t.Errorf("authorization %q", auth)
	}
	// A second source on the same port fails at once.
	if err := Run(context.Background(), cfg, q, stats, nil); err == nil {
		t.Error("a second Run on a taken port succeeded")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), Config{WebhookSecret: "s", SSLCertificate: filepath.Join(dir, "missing.pem")}, q, stats, nil); err == nil {
		t.Error("a missing certificate was accepted")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: nobody listening", addr)
}

func TestConfigAddr(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, ":80"},
		{Config{SSLCertificate: "c.pem"}, ":443"},
		{Config{ListenAddress: "127.0.0.1", ListenPort: 8443}, "127.0.0.1:8443"},
		{Config{ListenAddress: "::1", ListenPort: 9}, "[::1]:9"},
	} {
		if got := c.cfg.Addr(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cfg, got, c.want)
		}
	}
}
