package output

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/rules"
)

// sidekickPayload is falcosidekick's types.FalcoPayload.
type sidekickPayload struct {
	UUID         string           `json:"uuid,omitempty"`
	Output       string           `json:"output"`
	Priority     sidekickPriority `json:"priority"`
	Rule         string           `json:"rule"`
	Time         time.Time        `json:"time"`
	OutputFields map[string]any   `json:"output_fields"`
	Source       string           `json:"source"`
	Tags         []string         `json:"tags,omitempty"`
	Hostname     string           `json:"hostname,omitempty"`
}

// sidekickPriority decodes a priority as falcosidekick does: any letter
// case, "info" for Informational, "" for what it does not know.
type sidekickPriority string

func (p *sidekickPriority) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*p = ""
	if r, ok := rules.ParsePriority(s); ok {
		*p = sidekickPriority(r.String())
	}
	return nil
}

// sidekick is a test server applying falcosidekick's main handler checks:
// a body, the POST method, a body that decodes (numbers kept as numbers)
// into its payload type, and its payload check: a known priority, a rule,
// a time, output fields. Anything else is answered 400 "Please send a
// valid request body".
type sidekick struct {
	mu       sync.Mutex
	accepted []sidekickPayload
	requests []*http.Request
	attempts atomic.Int32
	// failFirst answers the first failFirst requests with 503.
	failFirst int32
}

func (s *sidekick) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.attempts.Add(1)
	if n <= s.failFirst {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
		return
	}
	if r.Body == nil || r.Method != http.MethodPost {
		http.Error(w, "Please send a valid request body", http.StatusBadRequest)
		return
	}
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" { // a gzip-aware receiver
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	var p sidekickPayload
	d := json.NewDecoder(body)
	d.UseNumber()
	if err := d.Decode(&p); err != nil || !p.check() {
		http.Error(w, "Please send a valid request body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.accepted = append(s.accepted, p)
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

func (p *sidekickPayload) check() bool {
	return p.Priority != "" && p.Rule != "" && !p.Time.IsZero() && len(p.OutputFields) > 0
}

func (s *sidekick) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted)
}

// countConns counts the connections a test server accepts.
func countConns(srv *httptest.Server) *atomic.Int32 {
	var n atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

// TestHTTPFalcosidekick posts alerts of every priority to a server
// checking them as falcosidekick does, and checks the headers and that
// one connection carries them all.
func TestHTTPFalcosidekick(t *testing.T) {
	checkGoroutines(t)
	sk := &sidekick{}
	srv := httptest.NewUnstartedServer(sk)
	conns := countConns(srv)
	srv.Start()
	t.Cleanup(srv.Close)
	f := newFanout(t, Options{Version: "1.2.3", HTTP: HTTPOptions{Enabled: true, URL: `"` + srv.URL + `/"`,
		Headers: map[string]string{"X-Token": "s3cret"}}})
	for p := rules.PriorityEmergency; p <= rules.PriorityDebug; p++ {
		f.Publish(testAlert(int(p), p))
	}
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if s := statsOf(t, f, "http"); s.Sent != 8 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
	for i, p := range sk.accepted {
		want := testAlert(i, rules.Priority(i))
		if string(p.Priority) != want.Priority.String() || p.Output != want.Output || !p.Time.Equal(want.Time) ||
			p.OutputFields["n"] != json.Number(strconv.Itoa(i)) {
			t.Errorf("alert %d arrived as %+v", i, p)
		}
	}
	r := sk.requests[0]
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "kestrel/1.2.3" ||
		r.Header.Get("X-Token") != "s3cret" {
		t.Errorf("headers %v", r.Header)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 8 alerts, want 1", n)
	}
}

// TestHTTPRefused checks that an alert falcosidekick refuses (no output
// fields, json_include_output_fields_property: false) fails at once,
// without retries.
func TestHTTPRefused(t *testing.T) {
	checkGoroutines(t)
	sk := &sidekick{}
	srv := httptest.NewServer(sk)
	t.Cleanup(srv.Close)
	f := newFanout(t, Options{Format: Format{JSONOptions: alert.JSONOptions{OmitOutputFields: true}},
		HTTP: HTTPOptions{Enabled: true, URL: srv.URL}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, 2*time.Second, "failure", func() bool { return statsOf(t, f, "http").Failed == 1 })
	if n := sk.attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestHTTPRetries checks that a server failing a few times gets the alert
// in the end, and that retries are bounded.
func TestHTTPRetries(t *testing.T) {
	checkGoroutines(t)
	for _, c := range []struct {
		retries      int
		sent, failed uint64
		attempts     int32
	}{
		{retries: 3, sent: 1, attempts: 4},
		{retries: 2, failed: 1, attempts: 3},
		{retries: -1, failed: 1, attempts: 1},
	} {
		sk := &sidekick{failFirst: 3}
		srv := httptest.NewServer(sk)
		f := newFanout(t, Options{HTTP: HTTPOptions{Enabled: true, URL: srv.URL, Retries: c.retries,
			RetryBackoff: 5 * time.Millisecond}})
		f.Publish(testAlert(0, rules.PriorityWarning))
		if err := closeFanout(t, f, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		s := statsOf(t, f, "http")
		if s.Sent != c.sent || s.Failed != c.failed || sk.attempts.Load() != c.attempts {
			t.Errorf("retries %d: sent %d failed %d after %d attempts, want %d %d %d",
				c.retries, s.Sent, s.Failed, sk.attempts.Load(), c.sent, c.failed, c.attempts)
		}
		srv.Close()
	}
}

// TestHTTPGzip checks compress_uploads: a gzip body with its
// Content-Encoding.
func TestHTTPGzip(t *testing.T) {
	checkGoroutines(t)
	sk := &sidekick{}
	srv := httptest.NewServer(sk)
	t.Cleanup(srv.Close)
	f := newFanout(t, Options{HTTP: HTTPOptions{Enabled: true, URL: srv.URL, CompressUploads: true}})
	for i := range 3 {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if sk.count() != 3 || sk.requests[0].Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("%d accepted, headers %v", sk.count(), sk.requests)
	}
}

// TestHTTPServerDownThenUp keeps the server down (connections refused)
// while alerts come: the first is retried, the queue holds its capacity,
// the rest are dropped and counted exactly; once the server is up, every
// queued alert arrives.
func TestHTTPServerDownThenUp(t *testing.T) {
	checkGoroutines(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // down: connections are refused
	const capacity, total = 10, 25
	f := newFanout(t, Options{QueueCapacity: capacity, HTTP: HTTPOptions{Enabled: true, URL: "http://" + addr + "/",
		Retries: 1000, RetryBackoff: 5 * time.Millisecond}})
	f.Publish(testAlert(0, rules.PriorityWarning))
	waitFor(t, time.Second, "the first alert in flight", func() bool { return statsOf(t, f, "http").Queued == 0 })
	for i := 1; i < total; i++ {
		f.Publish(testAlert(i, rules.PriorityWarning))
	}
	time.Sleep(100 * time.Millisecond)
	if s := statsOf(t, f, "http"); s.Sent != 0 || s.Queued != capacity || s.Dropped[DropQueueFull] != total-1-capacity {
		t.Fatalf("while down: %+v", s)
	}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sk := &sidekick{}
	srv := httptest.NewUnstartedServer(sk)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	waitFor(t, 5*time.Second, "queued alerts", func() bool { return sk.count() == capacity+1 })
	if err := closeFanout(t, f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s := statsOf(t, f, "http")
	if s.Sent != capacity+1 || s.Failed != 0 || s.Dropped[DropQueueFull] != total-1-capacity || s.DroppedTotal() != total-1-capacity {
		t.Errorf("after: %+v", s)
	}
	for i, p := range sk.accepted {
		if want := testAlert(i, rules.PriorityWarning).Output; p.Output != want {
			t.Errorf("alert %d: %q, want %q", i, p.Output, want)
		}
	}
}

// TestHTTPSendErrors checks the errors of one POST: the URL, no password.
func TestHTTPSendErrors(t *testing.T) {
	s, err := newHTTP(HTTPOptions{URL: "http://user:pw@127.0.0.1:1/x", Retries: -1}, alert.JSONOptions{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	err = s.Send(context.Background(), []byte("{}"))
	if err == nil || !strings.HasPrefix(err.Error(), "post http://user:xxxxx@127.0.0.1:1/x: ") || strings.Contains(err.Error(), "pw") {
		t.Errorf("error %v", err)
	}
	if s.agent != "kestrel/dev" {
		t.Errorf("user agent %q", s.agent)
	}
	var se *StatusError
	if errors.As(err, &se) {
		t.Errorf("a refused connection is not a status: %v", se)
	}
}
