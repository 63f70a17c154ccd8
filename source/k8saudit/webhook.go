package k8saudit

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The defaults of the k8saudit plugin's webhook: its path and port, and
// the largest request body (about 20% over the API server's default batch
// size).
const (
	DefaultPath        = "/k8s-audit"
	DefaultPort        = 9765
	DefaultMaxBodySize = 12 * 1024 * 1024
)

// Webhook is the HTTP handler the API server's webhook audit backend
// posts to: a POST of application/json holding one Event, an EventList or
// an array of them. Bad input gets a 4xx with the reason (405 for another
// method, 415 for another content type, 413 for a body over the limit,
// 400 for malformed JSON or no audit events) and is counted; the events
// of a good body are queued, 200 answers.
type Webhook struct {
	// Path is the path served; DefaultPath when empty.
	Path string
	// MaxBodySize bounds the request body, in bytes; DefaultMaxBodySize
	// when 0.
	MaxBodySize int64
	// MaxEventSize bounds one event; DefaultMaxEventSize when 0.
	MaxEventSize int
	Queue        *jsonsrc.Queue
	Stats        *jsonsrc.Stats
	Log          *slog.Logger // nil: nothing is logged

	pool sync.Pool // *Splitter
}

func (h *Webhook) path() string {
	if h.Path == "" {
		return DefaultPath
	}
	return h.Path
}

// ServeHTTP handles one request.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Stats.AddRequest()
	if r.URL.Path != h.path() {
		h.reject(w, r, http.StatusNotFound, "no audit webhook at "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, r.Method+" not allowed; post audit events")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.reject(w, r, http.StatusUnsupportedMediaType, "content type must be application/json")
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over the %d-byte limit", tooBig.Limit))
			return
		}
		h.reject(w, r, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	sp := h.splitter()
	defer h.pool.Put(sp)
	skipped, err := sp.Split(body, func(ev []byte, ts uint64) { h.Queue.Offer(jsonsrc.Item{Data: ev, TS: ts}) })
	h.countSkipped(r, skipped)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Webhook) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := h.MaxBodySize
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

func (h *Webhook) splitter() *Splitter {
	if sp, ok := h.pool.Get().(*Splitter); ok {
		return sp
	}
	return &Splitter{MaxEventSize: h.MaxEventSize}
}

func (h *Webhook) countSkipped(r *http.Request, skipped []error) {
	if len(skipped) == 0 {
		return
	}
	h.Stats.AddInvalid(len(skipped))
	if h.Log != nil {
		h.Log.Warn("audit events left out", "source", SourceName, "remote", r.RemoteAddr, "count", len(skipped), "first", skipped[0].Error())
	}
}

func (h *Webhook) reject(w http.ResponseWriter, r *http.Request, code int, msg string) {
	h.Stats.AddRejected()
	if h.Log != nil {
		h.Log.Warn("audit webhook request rejected", "source", SourceName, "remote", r.RemoteAddr, "status", code, "reason", msg)
	}
	http.Error(w, msg, code)
}

// Server serves a [Webhook] over HTTP, or HTTPS when given a certificate.
type Server = jsonsrc.Server

// Listen opens the webhook's listener on addr ("host:port"). With
// certFile and keyFile (PEM; one file may hold both) it serves HTTPS.
func Listen(addr, certFile, keyFile string, h *Webhook) (*Server, error) {
	return jsonsrc.Listen("audit webhook", addr, certFile, keyFile, h)
}
