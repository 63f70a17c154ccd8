package github

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The defaults of the webhook: the path served and the largest request
// body (GitHub caps webhook payloads at 25 MB).
const (
	DefaultPath        = "/"
	DefaultMaxBodySize = 25 << 20
)

// The request headers of a GitHub webhook delivery.
const (
	headerEvent     = "X-GitHub-Event"
	headerSignature = "X-Hub-Signature-256"
	headerDelivery  = "X-GitHub-Delivery"
)

// Webhook is the HTTP handler GitHub delivers webhook events to: a POST of
// application/json, or of application/x-www-form-urlencoded with the JSON
// in its payload parameter, signed with the webhook's secret in
// X-Hub-Signature-256, its type in X-GitHub-Event. Bad requests get a 4xx
// with the reason and are counted: 404 for another path, 405 for another
// method, 415 for another content type, 413 for a body over the limit, 401
// for a missing signature, 403 for a wrong one, 400 for a missing event
// type or a payload that is no JSON object. A good delivery is scanned
// (push and workflow_run events, see [Scanner]), queued and answered 200;
// pings too, which the upstream rules judge.
type Webhook struct {
	// Path is the path served; DefaultPath when empty.
	Path string
	// Secret is the webhook's secret, which every delivery must be
	// signed with; with none, every delivery is refused.
	Secret []byte
	// MaxBodySize bounds the request body, in bytes; DefaultMaxBodySize
	// when 0.
	MaxBodySize int64
	// Scanner looks into push diffs and workflow files; nil scans
	// nothing, and the fields about findings then have no value.
	Scanner *Scanner
	Queue   *jsonsrc.Queue
	Stats   *jsonsrc.Stats
	Log     *slog.Logger // nil: nothing is logged
	// Now gives events their arrival time; time.Now when nil.
	Now func() time.Time
}

// errStatus is a request refused with an HTTP status.
type errStatus struct {
	code int
	msg  string
}

func (e *errStatus) Error() string { return e.msg }

func refuse(code int, format string, args ...any) *errStatus {
	return &errStatus{code: code, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP handles one delivery.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Stats.AddRequest()
	if err := h.serve(w, r); err != nil {
		h.reject(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Webhook) serve(w http.ResponseWriter, r *http.Request) *errStatus {
	if err := h.checkRequest(w, r); err != nil {
		return err
	}
	form, err := contentForm(r)
	if err != nil {
		return err
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	if err := h.checkSignature(r, body); err != nil {
		return err
	}
	typ := r.Header.Get(headerEvent)
	if !validType(typ) {
		return refuse(http.StatusBadRequest, "missing or malformed %s header", headerEvent)
	}
	payload, err := jsonPayload(body, form)
	if err != nil {
		return err
	}
	h.queue(r.Context(), typ, payload)
	return nil
}

func (h *Webhook) checkRequest(w http.ResponseWriter, r *http.Request) *errStatus {
	if r.URL.Path != h.path() {
		return refuse(http.StatusNotFound, "no GitHub webhook at %s", r.URL.Path)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return refuse(http.StatusMethodNotAllowed, "%s not allowed; post GitHub webhook events", r.Method)
	}
	return nil
}

func (h *Webhook) path() string {
	if h.Path == "" {
		return DefaultPath
	}
	return h.Path
}

// contentForm reports whether the body is a form (GitHub's "form" content
// type) rather than JSON.
func contentForm(r *http.Request) (bool, *errStatus) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && mt == "application/json":
		return false, nil
	case err == nil && mt == "application/x-www-form-urlencoded":
		return true, nil
	}
	return false, refuse(http.StatusUnsupportedMediaType, "content type must be application/json or application/x-www-form-urlencoded")
}

func (h *Webhook) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *errStatus) {
	limit := h.MaxBodySize
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	tooBig := refuse(http.StatusRequestEntityTooLarge, "body over the %d-byte limit", limit)
	if r.ContentLength > limit {
		return nil, tooBig
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooBig
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "reading the body: %v", err)
	}
	return body, nil
}

// checkSignature checks X-Hub-Signature-256, "sha256=" and the hex
// HMAC-SHA256 of the body keyed with the secret, in constant time.
func (h *Webhook) checkSignature(r *http.Request, body []byte) *errStatus {
	sig := r.Header.Get(headerSignature)
	if sig == "" {
		return refuse(http.StatusUnauthorized, "missing %s header", headerSignature)
	}
	if len(h.Secret) == 0 {
		return refuse(http.StatusForbidden, "no webhook secret is configured; every delivery is refused")
	}
	if !validSignature(h.Secret, body, sig) {
		return refuse(http.StatusForbidden, "%s does not match the body", headerSignature)
	}
	return nil
}

// validSignature reports whether sig signs body with secret.
func validSignature(secret, body []byte, sig string) bool {
	const prefix = "sha256="
	if len(sig) != len(prefix)+2*sha256.Size || sig[:len(prefix)] != prefix {
		return false
	}
	got, err := hex.DecodeString(sig[len(prefix):])
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(m.Sum(nil), got)
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body: how
// to sign test deliveries.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// validType reports whether an event type is one GitHub could send: a
// short word of lower-case letters, digits and underscores.
func validType(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for _, c := range []byte(t) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// jsonPayload returns the delivery's JSON object, parsed.
func jsonPayload(body []byte, form bool) (*jsonsrc.Doc, *errStatus) {
	if form {
		vals, err := url.ParseQuery(string(body))
		if err != nil || !vals.Has("payload") {
			return nil, refuse(http.StatusBadRequest, "a form body must hold the payload parameter")
		}
		body = []byte(vals.Get("payload"))
	}
	var doc jsonsrc.Doc
	if err := doc.Parse(body); err != nil {
		return nil, refuse(http.StatusBadRequest, "%v: %v", ErrNotGitHub, err)
	}
	if k := doc.Root().Kind(); k != jsonsrc.Object {
		return nil, refuse(http.StatusBadRequest, "%v: the payload is a JSON %s, not an object", ErrNotGitHub, k)
	}
	return &doc, nil
}

// queue scans the event, when its type asks for it, and queues it. The
// scan goes on when GitHub stops waiting, up to the scanner's timeout.
func (h *Webhook) queue(ctx context.Context, typ string, payload *jsonsrc.Doc) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	at := now()
	var found []byte
	if h.Scanner != nil {
		found = h.Scanner.findings(context.WithoutCancel(ctx), typ, payload.Root())
	}
	data := appendEvent(nil, typ, at, found, payload.Root().Raw())
	h.Queue.Offer(jsonsrc.Item{Data: data, TS: uint64(max(at.UnixNano(), 0))})
}

// appendEvent appends an event's bytes: an object holding the type, the
// arrival time and the findings, then the payload's own members.
func appendEvent(dst []byte, typ string, at time.Time, found, payload []byte) []byte {
	dst = append(dst, `{"`+keyType+`":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","`+keyReceived+`":"`...)
	dst = at.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if len(found) > 0 {
		dst = append(append(dst, ','), found...)
	}
	inner := bytes.TrimSpace(payload[1 : len(payload)-1])
	if len(inner) > 0 {
		dst = append(append(dst, ','), inner...)
	}
	return append(dst, '}')
}

func (h *Webhook) reject(w http.ResponseWriter, r *http.Request, e *errStatus) {
	h.Stats.AddRejected()
	if h.Log != nil {
		h.Log.Warn("GitHub webhook request rejected", "source", SourceName, "remote", r.RemoteAddr,
			"delivery", r.Header.Get(headerDelivery), "status", e.code, "reason", e.msg)
	}
	http.Error(w, e.msg, e.code)
}
