package k8saudit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// startWebhook serves a webhook on a loopback port for the test.
func startWebhook(t *testing.T, cert, key string) (*Webhook, *jsonsrc.Queue, string) {
	t.Helper()
	stats := &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(16, stats)
	h := &Webhook{MaxBodySize: 64 << 10, Queue: q, Stats: stats}
	srv, err := Listen("127.0.0.1:0", cert, key, h)
	if err != nil {
		t.Fatal(err)
	}
	srctest.Serve(t, srv)
	return h, q, srv.Addr().String()
}

func TestWebhook(t *testing.T) {
	for _, mode := range []string{"http", "https"} {
		t.Run(mode, func(t *testing.T) {
			client := &http.Client{Timeout: 5 * time.Second}
			var cert, key string
			if mode == "https" {
				var pool *x509.CertPool
				cert, key, pool = srctest.SelfSigned(t, t.TempDir())
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			}
			h, q, addr := startWebhook(t, cert, key)
			url := mode + "://" + addr + DefaultPath
			one := srctest.JSON(t, auditEvent("get", "pods", "default", "p", 200, nil))
			list := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + string(one) + "," + string(one) + `]}`)
			for _, c := range []struct {
				name, ctype string
				body        []byte
				want        int
				events      int
			}{
				{"one event", "application/json", one, 200, 1},
				{"event list", "application/json; charset=utf-8", list, 200, 2},
				{"malformed JSON", "application/json", []byte(`{"kind":"Event",`), 400, 0},
				{"unknown kind", "application/json", []byte(`{"kind":"Pod"}`), 400, 0},
				{"not JSON at all", "application/json", []byte("hello"), 400, 0},
				{"wrong content type", "text/plain", one, 415, 0},
				{"too large", "application/json", bytes.Repeat([]byte(" "), 70<<10), 413, 0},
			} {
				before := len(q.Items())
				code, msg := srctest.Post(t, client, url, c.ctype, c.body)
				if code != c.want {
					t.Errorf("%s: status %d (%s), want %d", c.name, code, strings.TrimSpace(msg), c.want)
				}
				if got := len(q.Items()) - before; got != c.events {
					t.Errorf("%s: %d events queued, want %d", c.name, got, c.events)
				}
			}
			resp, err := client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET: %d, want 405", resp.StatusCode)
			}
			if code, _ := srctest.Post(t, client, mode+"://"+addr+"/elsewhere", "application/json", one); code != 404 {
				t.Errorf("other path: %d, want 404", code)
			}
			s := h.Stats.Snapshot()
			if s.Requests != 9 || s.Rejected != 7 || s.Events != 3 {
				t.Errorf("stats %+v", s)
			}
			it := <-q.Items()
			if it.TS != uint64(time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC).UnixNano()) {
				t.Errorf("event time %d", it.TS)
			}
		})
	}
}

// TestWebhookQueueFull checks that events over the queue's room are
// dropped and counted, and the request still succeeds.
func TestWebhookQueueFull(t *testing.T) {
	h, _, addr := startWebhook(t, "", "")
	one := srctest.JSON(t, auditEvent("get", "pods", "default", "p", 200, nil))
	items := strings.Repeat(string(one)+",", 19) + string(one)
	code, _ := srctest.Post(t, http.DefaultClient, "http://"+addr+DefaultPath, "application/json", []byte("["+items+"]"))
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	s := h.Stats.Snapshot()
	if s.Events != 16 || s.Dropped != 4 {
		t.Errorf("stats %+v", s)
	}
}

// TestFileFollow reads a log file, then follows lines appended and a
// rotation, skipping bad lines.
func TestFileFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	one := srctest.JSON(t, auditEvent("get", "pods", "default", "p", 200, nil))
	os.WriteFile(path, append(append(one, '\n'), "{not json\n"...), 0o600)
	stats := &jsonsrc.Stats{}
	got := make(chan []byte, 16)
	r := &FileReader{Poll: 10 * time.Millisecond, Stats: stats,
		Emit: func(d []byte, _ uint64) { got <- append([]byte(nil), d...) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Read(ctx, path, true) }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("no event: %s", what)
		}
	}
	wait("first line")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(one[:10])
	f.Sync()
	time.Sleep(30 * time.Millisecond)
	f.Write(append(one[10:], '\n'))
	f.Close()
	wait("appended line")
	os.Rename(path, path+".1")
	os.WriteFile(path, append(one, '\n'), 0o600)
	wait("rotated file")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := stats.Snapshot(); s.Invalid != 1 {
		t.Errorf("stats %+v", s)
	}
}
