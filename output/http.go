package output

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
)

// The HTTP output's defaults.
const (
	DefaultHTTPTimeout      = 5 * time.Second
	DefaultHTTPRetries      = 5 // Falco's max_consecutive_timeouts
	DefaultHTTPRetryBackoff = 100 * time.Millisecond
	maxRetryBackoff         = 5 * time.Second
)

// HTTPOptions configure the HTTP output (http_output): one POST of the
// alert's JSON form per alert, as falcosidekick's / endpoint takes it.
type HTTPOptions struct {
	Enabled bool   // http_output.enabled
	URL     string // http_output.url; quotes around it are removed
	// UserAgent is http_output.user_agent; "" is "kestrel/<version>".
	UserAgent string
	// Insecure is http_output.insecure: do not verify the server's
	// certificate.
	Insecure bool
	// CACert (http_output.ca_cert), else CABundle (ca_bundle), are PEM
	// files of the CAs that verify the server; else CAPath (ca_path) is a
	// directory of PEM files; else the system's CAs are used.
	CACert   string
	CABundle string
	CAPath   string
	// MTLS is http_output.mtls: present ClientCert (client_cert) with
	// ClientKey (client_key), PEM files.
	MTLS       bool
	ClientCert string
	ClientKey  string
	// CompressUploads is http_output.compress_uploads: gzip the body
	// (Content-Encoding: gzip). falcosidekick does not take gzip bodies.
	CompressUploads bool
	// KeepAlive is http_output.keep_alive: TCP keep-alive probes on the
	// connection. Connections are reused between alerts either way.
	KeepAlive bool
	// Headers are added to each request (Kestrel's own key); they may
	// replace the ones Kestrel sets.
	Headers map[string]string
	// Timeout bounds one attempt, connection included; 0 is
	// [DefaultHTTPTimeout].
	Timeout time.Duration
	// Retries is how many times a failed POST is tried again, after a
	// network error, a timeout or a 408, 429 or 5xx answer (Falco's
	// max_consecutive_timeouts counts only timeouts): 0 is
	// [DefaultHTTPRetries], negative is none.
	Retries int
	// RetryBackoff is the wait before the first retry, doubled for each
	// next one up to 5s; 0 is [DefaultHTTPRetryBackoff].
	RetryBackoff time.Duration
}

// httpSink posts each alert's JSON form.
type httpSink struct {
	url       string
	shownURL  string // url without its password, for errors
	agent     string
	headers   map[string]string
	jopts     alert.JSONOptions
	gzip      bool
	retries   int
	backoff   time.Duration
	client    *http.Client
	transport *http.Transport
	gzbuf     bytes.Buffer
	gzw       *gzip.Writer
}

func newHTTP(o HTTPOptions, jopts alert.JSONOptions, version string) (*httpSink, error) {
	o = o.withDefaults(version)
	u, err := parseHTTPURL(o.URL)
	if err != nil {
		return nil, err
	}
	tlsc, err := tlsConfig(&o)
	if err != nil {
		return nil, fmt.Errorf("http_output: %w", err)
	}
	keepAlive := -time.Duration(1) // no probes
	if o.KeepAlive {
		keepAlive = 15 * time.Second
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: o.Timeout, KeepAlive: keepAlive}).DialContext,
		TLSClientConfig:     tlsc,
		TLSHandshakeTimeout: o.Timeout,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &httpSink{
		url: u.String(), shownURL: u.Redacted(), agent: o.UserAgent, headers: o.Headers,
		jopts: jopts, gzip: o.CompressUploads, retries: o.Retries, backoff: o.RetryBackoff,
		client: &http.Client{Transport: tr, Timeout: o.Timeout}, transport: tr,
	}, nil
}

func (o HTTPOptions) withDefaults(version string) HTTPOptions {
	if o.UserAgent == "" {
		if version == "" {
			version = "dev"
		}
		o.UserAgent = "kestrel/" + version
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultHTTPTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultHTTPRetries
	}
	o.Retries = max(o.Retries, 0)
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultHTTPRetryBackoff
	}
	return o
}

func parseHTTPURL(raw string) (*url.URL, error) {
	if len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[len(raw)-1] == raw[0] {
		raw = raw[1 : len(raw)-1]
	}
	if raw == "" {
		return nil, errors.New("http_output.url: empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("http_output.url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("http_output.url %q: want http:// or https:// and a host", u.Redacted())
	}
	return u, nil
}

func (s *httpSink) Name() string { return "http" }

// Render appends the alert's JSON form, the body of the POST.
func (s *httpSink) Render(dst []byte, a *alert.Alert) []byte {
	return a.AppendJSON(dst, s.jopts)
}

// Send posts payload, trying again after errors worth a retry, waiting
// longer each time.
func (s *httpSink) Send(ctx context.Context, payload []byte) error {
	body, err := s.encode(payload)
	if err != nil {
		return err
	}
	wait := s.backoff
	for attempt := 0; ; attempt++ {
		err := s.post(ctx, body)
		if err == nil || attempt >= s.retries || !retryable(err) {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("post %s: %w", s.shownURL, err)
		}
		wait = min(2*wait, maxRetryBackoff)
	}
}

// encode returns the request body: payload, or payload gzipped.
func (s *httpSink) encode(payload []byte) ([]byte, error) {
	if !s.gzip {
		return payload, nil
	}
	s.gzbuf.Reset()
	if s.gzw == nil {
		s.gzw = gzip.NewWriter(&s.gzbuf)
	} else {
		s.gzw.Reset(&s.gzbuf)
	}
	if _, err := s.gzw.Write(payload); err != nil {
		return nil, fmt.Errorf("gzip alert: %w", err)
	}
	if err := s.gzw.Close(); err != nil {
		return nil, fmt.Errorf("gzip alert: %w", err)
	}
	return s.gzbuf.Bytes(), nil
}

func (s *httpSink) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s: %w", s.shownURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.agent)
	if s.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post %s: %w", s.shownURL, err)
	}
	defer resp.Body.Close()
	// Read the answer to its end, so the connection can carry the next.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return &StatusError{URL: s.shownURL, Code: resp.StatusCode, Body: firstLine(answer)}
	}
	return nil
}

// StatusError is an HTTP answer other than 2xx.
type StatusError struct {
	URL  string
	Code int
	Body string // the answer's first line, shortened
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("post %s: %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.TrimSpace(s)
}

// retryable reports whether another attempt may succeed: the server did
// not answer, or answered 408, 429 or 5xx.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *httpSink) Flush(context.Context) error { return nil }

func (s *httpSink) Close(context.Context) error {
	s.transport.CloseIdleConnections()
	return nil
}
