package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The poller's waits, in seconds of the configuration: the first wait
// after a failure (doubled with each failure in a row, up to maxBackoff),
// the first wait after the token is refused, the longest wait a rate
// limit may ask for, and how far back the first page starts.
const (
	firstBackoff    = 1
	maxBackoff      = 300
	deniedBackoff   = 60
	maxRateWait     = 900
	initialLookback = 30
)

// Run polls the organization's System Log API until ctx ends, and queues
// the events it returns, waiting for room in q. It asks for the events
// published since a little before it starts, then follows the next links
// the API returns: at once while pages come full, every refresh interval
// once the log is read to its end. It honours the API's rate limits
// (429, and X-Rate-Limit-Remaining with X-Rate-Limit-Reset), retries
// failures with a growing delay and a refused token slowly; each request
// and each failure is counted in stats and failures are logged. It
// returns an error only for a configuration that cannot work, and nil
// once ctx ends.
func Run(ctx context.Context, cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats, log *slog.Logger) error {
	p, err := newPoller(cfg, q, stats, log)
	if err != nil {
		return err
	}
	for {
		if !jsonsrc.Sleep(ctx, p.poll(ctx)) {
			return nil
		}
	}
}

// poller is the state of one Run.
type poller struct {
	cfg      Config
	client   *http.Client
	q        *jsonsrc.Queue
	stats    *jsonsrc.Stats
	log      *slog.Logger
	origin   *url.URL // the API's scheme and host: the only place the token goes
	next     string   // the URL of the next request
	sp       Splitter
	failures int    // failed requests in a row
	last     uint64 // the latest published time queued
}

func newPoller(cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats, log *slog.Logger) (*poller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if q == nil {
		return nil, fmt.Errorf("%w: no queue", ErrBadConfig)
	}
	u, _ := cfg.endpoint()
	p := &poller{cfg: cfg, client: cfg.Client, q: q, stats: stats, log: log, origin: u,
		sp: Splitter{MaxEventSize: cfg.MaxEventSize}}
	if p.client == nil {
		p.client = &http.Client{Timeout: time.Minute}
	}
	if p.stats == nil {
		p.stats = &jsonsrc.Stats{}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	since := time.Now().Add(-initialLookback * cfg.unit()).UTC()
	p.next = p.sinceURL(since)
	return p, nil
}

// sinceURL returns the URL of the events published from t on.
func (p *poller) sinceURL(t time.Time) string {
	u := *p.origin
	v := url.Values{}
	v.Set("since", t.Format("2006-01-02T15:04:05.000Z"))
	v.Set("limit", strconv.Itoa(p.cfg.limit()))
	u.RawQuery = v.Encode()
	return u.String()
}

// poll makes one request and returns how long to wait before the next.
func (p *poller) poll(ctx context.Context) time.Duration {
	p.stats.AddRequest()
	resp, err := p.get(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		return p.fail("request failed", err)
	}
	defer func() {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return p.page(ctx, resp)
	case code == http.StatusTooManyRequests:
		return p.limited(resp)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return p.denied(resp)
	default:
		return p.fail("request refused", statusError(resp))
	}
}

func (p *poller) get(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.next, nil)
	if err != nil {
		return nil, fmt.Errorf("okta request: %w", err)
	}
	req.Header.Set("Authorization", "SSWS "+p.cfg.APIToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kestrel-okta")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("okta request: %w", err)
	}
	return resp, nil
}

// page queues the events of a page and moves to the next one.
func (p *poller) page(ctx context.Context, resp *http.Response) time.Duration {
	body, err := io.ReadAll(io.LimitReader(resp.Body, DefaultMaxPageSize+1))
	switch {
	case err != nil:
		return p.fail("reading the page failed", err)
	case len(body) > DefaultMaxPageSize:
		return p.fail("page refused", fmt.Errorf("%w: page over %d bytes", ErrTooLarge, DefaultMaxPageSize))
	}
	values, err := p.queue(ctx, body)
	if err != nil {
		return p.fail("page refused", err)
	}
	p.failures = 0
	p.advance(resp, values > 0)
	wait := p.cfg.refresh()
	if values >= p.cfg.limit() {
		wait = p.cfg.unit() / 10 // more are waiting
	}
	if resp.Header.Get("X-Rate-Limit-Remaining") == "0" {
		if rl, ok := resetWait(resp.Header); ok {
			wait = max(wait, rl)
		}
	}
	return wait
}

// queue splits a page and queues its events, each in its own copy. It
// returns how many values the page held, events or not.
func (p *poller) queue(ctx context.Context, body []byte) (int, error) {
	n := 0
	skipped, err := p.sp.Split(body, func(ev []byte, ts uint64) {
		n++
		p.last = max(p.last, ts)
		p.q.Put(jsonsrc.Item{Data: append([]byte(nil), ev...), TS: ts}, ctx.Done())
	})
	if err != nil {
		return 0, err
	}
	if len(skipped) > 0 {
		p.stats.AddInvalid(len(skipped))
		p.log.Warn("okta events skipped", "source", SourceName, "count", len(skipped), "first", skipped[0].Error())
	}
	return n + len(skipped), nil
}

// advance sets the next request: the page's next link; without one, the
// events published after the last one queued.
func (p *poller) advance(resp *http.Response, queued bool) {
	if next, ok := p.nextLink(resp); ok {
		p.next = next
		return
	}
	if queued && p.last > 0 {
		p.next = p.sinceURL(time.Unix(0, int64(p.last)).Add(time.Millisecond).UTC())
	}
}

// nextLink returns the rel="next" link of a response, resolved against
// the request's URL; one to another host than the API's is not followed.
func (p *poller) nextLink(resp *http.Response) (string, bool) {
	ref, ok := findNext(resp.Header.Values("Link"))
	if !ok {
		return "", false
	}
	u, err := resp.Request.URL.Parse(ref)
	if err != nil {
		p.log.Warn("okta next link unusable", "source", SourceName, "link", ref, "error", err.Error())
		return "", false
	}
	if u.Scheme != p.origin.Scheme || u.Host != p.origin.Host {
		p.log.Warn("okta next link to another host not followed", "source", SourceName, "link", u.Redacted())
		return "", false
	}
	return u.String(), true
}

// findNext finds the target of the rel="next" link in Link header values
// (RFC 8288).
func findNext(values []string) (string, bool) {
	for _, v := range values {
		for link := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			if relIsNext(params) {
				return target[1 : len(target)-1], true
			}
		}
	}
	return "", false
}

// relIsNext reports whether link parameters hold rel="next".
func relIsNext(params string) bool {
	for param := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(param, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "rel") {
			continue
		}
		for rel := range strings.FieldsSeq(strings.Trim(strings.TrimSpace(v), `"`)) {
			if strings.EqualFold(rel, "next") {
				return true
			}
		}
	}
	return false
}

// limited handles a 429: wait until the rate limit resets.
func (p *poller) limited(resp *http.Response) time.Duration {
	p.stats.AddRejected()
	wait, ok := resetWait(resp.Header)
	if !ok {
		wait = p.backoff(firstBackoff)
	}
	wait = max(wait, p.cfg.unit())
	p.log.Warn("okta rate limit reached", "source", SourceName, "wait", wait.String())
	return wait
}

// resetWait returns how long to wait for a rate limit to reset: until
// X-Rate-Limit-Reset (seconds since the epoch), else for Retry-After
// (seconds); ok is false when the response says neither.
func resetWait(h http.Header) (time.Duration, bool) {
	var wait time.Duration
	if reset, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64); err == nil {
		wait = time.Until(time.Unix(reset, 0))
	} else if secs, err := strconv.ParseInt(h.Get("Retry-After"), 10, 64); err == nil {
		wait = time.Duration(min(secs, maxRateWait)) * time.Second
	} else {
		return 0, false
	}
	return min(max(wait, 0), maxRateWait*time.Second), true
}

// denied handles a refused token: retried slowly, as an administrator
// may fix it.
func (p *poller) denied(resp *http.Response) time.Duration {
	p.stats.AddRejected()
	p.failures++
	wait := p.backoff(deniedBackoff)
	p.log.Error("okta API token refused", "source", SourceName, "status", resp.StatusCode,
		"error", statusError(resp).Error(), "retry_in", wait.String())
	return wait
}

// fail counts and logs a failed request and returns the wait before the
// next try.
func (p *poller) fail(msg string, err error) time.Duration {
	p.stats.AddRejected()
	p.failures++
	wait := p.backoff(firstBackoff)
	p.log.Warn("okta "+msg, "source", SourceName, "error", err.Error(), "failures", p.failures, "retry_in", wait.String())
	return wait
}

// backoff returns first seconds doubled for each failure in a row after
// the first, up to maxBackoff seconds (or first when larger).
func (p *poller) backoff(first int) time.Duration {
	n := first
	for i := 1; i < p.failures && n < maxBackoff; i++ {
		n *= 2
	}
	return time.Duration(min(n, max(maxBackoff, first))) * p.cfg.unit()
}

// errStatus is wrapped by the errors about an API answer that is no page.
var errStatus = errors.New("okta API error")

// statusError describes an error answer, with Okta's errorSummary when
// the body has one.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var e struct {
		Code    string `json:"errorCode"`
		Summary string `json:"errorSummary"`
	}
	if json.Unmarshal(b, &e) == nil && e.Summary != "" {
		return fmt.Errorf("%w: %s: %s (%s)", errStatus, resp.Status, e.Summary, e.Code)
	}
	return fmt.Errorf("%w: %s", errStatus, resp.Status)
}
