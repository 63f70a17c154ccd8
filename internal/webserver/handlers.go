package webserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The health check bodies; "ok" is Falco's, byte for byte.
const (
	healthOK       = `{"status": "ok"}`
	healthStarting = `{"status": "starting"}`
)

// routes builds the handler of every endpoint. Patterns are for GET, which
// also answers HEAD; other methods get 405.
func (s *Server) routes(o Options, versions []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+exactPattern(o.HealthzEndpoint), s.healthz)
	mux.HandleFunc("GET /versions", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, versions)
	})
	if o.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{
			ErrorLog:            promLogger{s.log},
			ErrorHandling:       promhttp.ContinueOnError,
			MaxRequestsInFlight: 4,
		}))
	}
	return mux
}

// exactPattern makes a path ending in "/" match only itself, not the
// subtree under it.
func exactPattern(p string) string {
	if strings.HasSuffix(p, "/") {
		return p + "{$}"
	}
	return p
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.ready.Load() {
		writeJSON(w, http.StatusOK, []byte(healthOK))
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, []byte(healthStarting))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// promLogger hands promhttp's errors (a failed gather, a failed write) to
// the server's logger.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error("webserver metrics", "err", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
