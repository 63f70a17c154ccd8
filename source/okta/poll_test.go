package okta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// testSecond is how long a second of the settings lasts in these tests.
const testSecond = 20 * time.Millisecond

// fakeOkta is a System Log API on a loopback port: answer gives the
// answer to the n-th request (from 0). It records each request.
type fakeOkta struct {
	srv    *httptest.Server
	answer func(n int, w http.ResponseWriter, r *http.Request)
	mu     sync.Mutex
	reqs   []*http.Request
	times  []time.Time
}

func newFakeOkta(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *fakeOkta {
	f := &fakeOkta{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, r)
		f.times = append(f.times, time.Now())
		f.mu.Unlock()
		if r.URL.Path != "/api/v1/logs" || r.Header.Get("Authorization") != "SSWS t0ken" {
			http.Error(w, `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`, http.StatusUnauthorized)
			return
		}
		answer(n, w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// requests returns the requests so far and when they came.
func (f *fakeOkta) requests() ([]*http.Request, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...), append([]time.Time(nil), f.times...)
}

// waitRequests waits until the server had n requests.
func (f *fakeOkta) waitRequests(t *testing.T, n int, within time.Duration) []*http.Request {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		reqs, _ := f.requests()
		if len(reqs) >= n {
			return reqs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests after %v, want %d", len(reqs), within, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type running struct {
	q     *jsonsrc.Queue
	stats *jsonsrc.Stats
	log   *srctest.LockedBuffer
	stop  func()
}

// start runs the poller against f until the test ends or stop is called.
func start(t *testing.T, f *fakeOkta, cfg Config) *running {
	cfg.BaseURL, cfg.APIToken, cfg.second = f.srv.URL, "t0ken", testSecond
	r := &running{stats: &jsonsrc.Stats{}, log: &srctest.LockedBuffer{}}
	r.q = jsonsrc.NewQueue(100, r.stats)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, r.q, r.stats, slog.New(slog.NewTextHandler(r.log, nil))) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// take reads n events from the queue.
func (r *running) take(t *testing.T, n int) []jsonsrc.Item {
	t.Helper()
	var out []jsonsrc.Item
	for len(out) < n {
		select {
		case it := <-r.q.Items():
			out = append(out, it)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d events, want %d", len(out), n)
		}
	}
	return out
}

// writePage answers a page of events with the given uuids and a next link.
func writePage(t *testing.T, w http.ResponseWriter, next string, uuids ...string) {
	evs := make([]any, len(uuids))
	for i, u := range uuids {
		evs[i] = logEvent("user.session.start", map[string]any{"uuid": u,
			"published": fmt.Sprintf("2024-05-01T10:00:%02d.000Z", i)})
	}
	if next != "" {
		w.Header().Add("Link", `<https://elsewhere.example/self>; rel="self"`)
		w.Header().Add("Link", "<"+next+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Rate-Limit-Limit", "120")
	w.Header().Set("X-Rate-Limit-Remaining", "119")
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	if len(uuids) == 0 {
		w.Write([]byte("[]"))
		return
	}
	w.Write(srctest.JSON(t, evs))
}

func uuidsOf(t *testing.T, items []jsonsrc.Item) string {
	var out []string
	for _, it := range items {
		var d jsonsrc.Doc
		if err := d.Parse(it.Data); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(d.Root().Get("uuid").AppendText(nil)))
	}
	return strings.Join(out, ",")
}

// TestPollPages follows the next links: a full page, a partial one, then
// the same cursor, empty, polled every refresh interval.
func TestPollPages(t *testing.T) {
	var f *fakeOkta
	f = newFakeOkta(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch q := r.URL.Query(); {
		case q.Get("after") == "" && n == 0:
			writePage(t, w, f.srv.URL+"/api/v1/logs?limit=2&after=c1", "a", "b")
		case q.Get("after") == "c1":
			writePage(t, w, "/api/v1/logs?limit=2&after=c2", "c") // a relative link
		case q.Get("after") == "c2":
			writePage(t, w, "/api/v1/logs?limit=2&after=c2")
		default:
			http.Error(w, "unexpected "+r.URL.String(), http.StatusBadRequest)
		}
	})
	r := start(t, f, Config{Limit: 2, RefreshInterval: 50})
	items := r.take(t, 3)
	if got := uuidsOf(t, items); got != "a,b,c" {
		t.Errorf("events %s", got)
	}
	if items[1].TS != uint64(time.Date(2024, 5, 1, 10, 0, 1, 0, time.UTC).UnixNano()) {
		t.Errorf("time %d", items[1].TS)
	}
	reqs := f.waitRequests(t, 5, 10*time.Second)
	r.stop()
	first := reqs[0].URL.Query()
	since, err := time.Parse(time.RFC3339, first.Get("since"))
	if err != nil || first.Get("limit") != "2" || time.Since(since) < 30*testSecond || time.Since(since) > time.Minute {
		t.Errorf("first request %s: %v", reqs[0].URL, err)
	}
	_, times := f.requests()
	if gap := times[2].Sub(times[1]); gap < 50*testSecond {
		t.Errorf("partial page followed after %v, want the refresh interval", gap)
	}
	if gap := times[4].Sub(times[3]); gap < 50*testSecond {
		t.Errorf("empty cursor polled again after %v", gap)
	}
	if gap := times[1].Sub(times[0]); gap > 25*testSecond {
		t.Errorf("full page followed after %v", gap)
	}
	s := r.stats.Snapshot()
	if s.Rejected != 0 || s.Events != 3 || s.Requests < 5 || s.Invalid != 0 {
		t.Errorf("stats %+v", s)
	}
}

// resetClock is the reset time a handler announced, shared with the test.
type resetClock struct {
	mu sync.Mutex
	at time.Time
}

// announce sets rate limit headers: no request left until a second from
// now, rounded up.
func (c *resetClock) announce(w http.ResponseWriter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = time.Now().Add(time.Second).Truncate(time.Second)
	w.Header().Set("X-Rate-Limit-Limit", "120")
	w.Header().Set("X-Rate-Limit-Remaining", "0")
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(c.at.Unix(), 10))
}

func (c *resetClock) get() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// TestPollRateLimit waits for X-Rate-Limit-Reset after a 429.
func TestPollRateLimit(t *testing.T) {
	var reset resetClock
	f := newFakeOkta(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			reset.announce(w)
			http.Error(w, `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`, http.StatusTooManyRequests)
			return
		}
		writePage(t, w, "/api/v1/logs?after=c1", "a")
	})
	r := start(t, f, Config{RefreshInterval: 1})
	r.take(t, 1)
	r.stop()
	_, times := f.requests()
	if at := reset.get(); times[1].Before(at) {
		t.Errorf("request after the 429 at %v, before the reset at %v", times[1], at)
	}
	s := r.stats.Snapshot()
	if s.Rejected != 1 || s.Events != 1 {
		t.Errorf("stats %+v", s)
	}
	if !strings.Contains(r.log.String(), "rate limit") {
		t.Errorf("log: %s", r.log.String())
	}
}

// TestPollRemainingZero waits for the reset when a page says no request
// is left.
func TestPollRemainingZero(t *testing.T) {
	var reset resetClock
	f := newFakeOkta(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			reset.announce(w)
			w.Header().Set("Link", `</api/v1/logs?after=c1>; rel="next"`)
			w.Write([]byte("[]"))
			return
		}
		writePage(t, w, "/api/v1/logs?after=c1")
	})
	r := start(t, f, Config{RefreshInterval: 1})
	f.waitRequests(t, 2, 5*time.Second)
	r.stop()
	_, times := f.requests()
	if at := reset.get(); times[1].Before(at) {
		t.Errorf("request at %v, before the reset at %v", times[1], at)
	}
	if s := r.stats.Snapshot(); s.Rejected != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestPollServerErrors retries 5xx answers and bad pages with a growing
// delay, counting each.
func TestPollServerErrors(t *testing.T) {
	f := newFakeOkta(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0, 1:
			http.Error(w, "upstream unavailable", http.StatusInternalServerError)
		case 2:
			w.Write([]byte("<html>maintenance</html>"))
		default:
			writePage(t, w, "/api/v1/logs?after=c1", "a")
		}
	})
	r := start(t, f, Config{RefreshInterval: 100})
	if got := uuidsOf(t, r.take(t, 1)); got != "a" {
		t.Errorf("events %s", got)
	}
	r.stop()
	_, times := f.requests()
	for i, min := range []time.Duration{testSecond, 2 * testSecond, 4 * testSecond} {
		if gap := times[i+1].Sub(times[i]); gap < min {
			t.Errorf("retry %d after %v, want at least %v", i+1, gap, min)
		}
	}
	s := r.stats.Snapshot()
	if s.Rejected != 3 || s.Requests != 4 || s.Events != 1 {
		t.Errorf("stats %+v", s)
	}
	if l := r.log.String(); !strings.Contains(l, "500 Internal Server Error") || !strings.Contains(l, "failures=2") {
		t.Errorf("log: %s", l)
	}
}

// TestPollBadToken logs and counts a refused token, and retries it
// slowly.
func TestPollBadToken(t *testing.T) {
	f := newFakeOkta(t, func(int, http.ResponseWriter, *http.Request) { t.Error("token accepted") })
	cfg := Config{BaseURL: f.srv.URL, APIToken: "wrong-token", second: testSecond}
	stats := &jsonsrc.Stats{}
	log := &srctest.LockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 100*testSecond)
	defer cancel()
	if err := Run(ctx, cfg, jsonsrc.NewQueue(1, stats), stats, slog.New(slog.NewTextHandler(log, nil))); err != nil {
		t.Fatal(err)
	}
	reqs, times := f.requests()
	// 60 seconds, then 120: two requests in 100 seconds.
	if len(reqs) != 2 || times[1].Sub(times[0]) < deniedBackoff*testSecond {
		t.Errorf("%d requests at %v", len(reqs), times)
	}
	s := stats.Snapshot()
	if s.Requests != 2 || s.Rejected != 2 {
		t.Errorf("stats %+v", s)
	}
	l := log.String()
	if !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "Invalid token provided") || strings.Contains(l, "wrong-token") {
		t.Errorf("log: %s", l)
	}
}

// TestPollForeignNextLink does not send the token to another host: it
// goes on from the last event's time instead.
func TestPollForeignNextLink(t *testing.T) {
	f := newFakeOkta(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			writePage(t, w, "https://attacker.example/api/v1/logs?after=x", "a", "b")
			return
		}
		writePage(t, w, "/api/v1/logs?after=c9")
	})
	r := start(t, f, Config{RefreshInterval: 1})
	r.take(t, 2)
	reqs := f.waitRequests(t, 2, 5*time.Second)
	r.stop()
	if got := reqs[1].URL.Query().Get("since"); got != "2024-05-01T10:00:01.001Z" {
		t.Errorf("second request %s", reqs[1].URL)
	}
	if !strings.Contains(r.log.String(), "not followed") {
		t.Errorf("log: %s", r.log.String())
	}
}

// TestRunStopsPromptly ends Run while a request hangs.
func TestRunStopsPromptly(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFakeOkta(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	r := start(t, f, Config{})
	f.waitRequests(t, 1, 5*time.Second)
	began := time.Now()
	r.stop()
	if d := time.Since(began); d > time.Second {
		t.Errorf("stopped after %v", d)
	}
	if s := r.stats.Snapshot(); s.Rejected != 0 {
		t.Errorf("canceled request counted as failed: %+v", s)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Organization: "myorg", APIToken: "x"}, "https://myorg.okta.com/api/v1/logs"},
		{Config{Organization: "myorg.oktapreview.com", APIToken: "x"}, "https://myorg.oktapreview.com/api/v1/logs"},
		{Config{Organization: "https://login.example.com/", APIToken: "x"}, "https://login.example.com/api/v1/logs"},
		{Config{Organization: "myorg", APIToken: "x", BaseURL: "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080/api/v1/logs"},
	} {
		u, err := c.cfg.endpoint()
		if err != nil || u.String() != c.want {
			t.Errorf("%+v: %v, %v; want %s", c.cfg, u, err, c.want)
		}
	}
	for _, bad := range []Config{
		{Organization: "myorg"},
		{APIToken: "x"},
		{APIToken: "x", BaseURL: "ftp://host"},
		{APIToken: "x", BaseURL: "://"},
	} {
		if err := Run(context.Background(), bad, jsonsrc.NewQueue(1, &jsonsrc.Stats{}), nil, nil); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	d := Config{Organization: "o", CacheExpiration: 600, CacheUserMaxSize: 7, CacheMaxUsers: 9}.NewDecoder()
	if d.Organization != "o" || d.CacheExpiration != 10*time.Minute || d.CacheUserMaxSize != 7 || d.CacheMaxUsers != 9 {
		t.Errorf("decoder %+v", d)
	}
}

func TestFindNext(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   string
	}{
		{[]string{`<https://o.okta.com/api/v1/logs?after=1>; rel="self"`, `<https://o.okta.com/api/v1/logs?after=2>; rel="next"`}, "https://o.okta.com/api/v1/logs?after=2"},
		{[]string{`<a>; rel="self", <b>; rel=next`}, "b"},
		{[]string{`<c>; title="x"; REL="prev next"`}, "c"},
		{[]string{`<d>; rel="self"`, `garbage`, `<e; rel="next"`}, ""},
	} {
		got, _ := findNext(c.values)
		if got != c.want {
			t.Errorf("%q: %q, want %q", c.values, got, c.want)
		}
	}
}
