// Package webserver is Kestrel's embedded HTTP server, off the event path:
// a health check for Kubernetes probes, the Prometheus metrics endpoint
// and the versions of the running Kestrel, configured by Falco's webserver
// keys.
//
// Endpoints:
//
//	GET /healthz   503 {"status": "starting"} until [Server.SetReady], then 200 {"status": "ok"}
//	GET /metrics   the Prometheus text form of [Options.Metrics], when set
//	GET /versions  a JSON object with the keys of Falco's /versions ([Versions])
//
// # Goroutines
//
// The package starts none of its own. [Server.Serve] blocks on the
// caller's goroutine until [Server.Shutdown] or [Server.Close]; net/http
// serves each connection on a goroutine of its own. Handlers read only an
// atomic readiness flag, the versions rendered at [New], and the metrics
// gatherer, which pulls its snapshot through the function the caller gave
// the metrics package. Nothing here touches the event goroutine.
package webserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of [Options].
const (
	DefaultListenAddress   = "127.0.0.1"
	DefaultListenPort      = 8765
	DefaultHealthzEndpoint = "/healthz"
)

// Options configure the server. Each field is the Falco webserver key
// named beside it; the zero value serves plain HTTP on 127.0.0.1:8765,
// with the health check at /healthz and no /metrics. Falco's "enabled"
// key is the caller's choice to build a server at all; "threadiness" has
// no counterpart, since each connection gets its own goroutine.
type Options struct {
	// ListenAddress is the IPv4 or IPv6 address to listen on
	// (listen_address); empty means [DefaultListenAddress], loopback only.
	ListenAddress string
	// ListenPort is the TCP port (listen_port); 0 means
	// [DefaultListenPort]. To listen on a port the system picks, pass
	// [Server.Serve] a listener of your own.
	ListenPort int
	// HealthzEndpoint is the path of the health check
	// (k8s_healthz_endpoint); empty means [DefaultHealthzEndpoint].
	HealthzEndpoint string
	// Metrics, when set, is served at /metrics in the Prometheus text
	// form (prometheus_metrics_enabled): the registry of the metrics
	// package's collector.
	Metrics prometheus.Gatherer
	// SSLEnabled serves HTTPS (ssl_enabled).
	SSLEnabled bool
	// SSLCertificate is the path of one PEM file holding the certificate
	// chain and its private key (ssl_certificate), as Falco reads it:
	// cat certificate.pem key.pem > kestrel.pem. Needed when SSLEnabled.
	SSLCertificate string
	// Versions fill /versions.
	Versions Versions
	// Logger receives serving errors; nil discards them.
	Logger *slog.Logger
}

// Server serves the endpoints. Its methods are safe for concurrent use.
type Server struct {
	addr  string
	log   *slog.Logger
	http  *http.Server
	tls   bool
	ready atomic.Bool
}

// New checks the options, loads the certificate when SSL is enabled,
// renders /versions and returns a server that is not listening yet.
func New(o Options) (*Server, error) {
	o = withDefaults(o)
	if err := checkEndpoint(o.HealthzEndpoint); err != nil {
		return nil, err
	}
	versions, err := o.Versions.render()
	if err != nil {
		return nil, err
	}
	s := &Server{
		addr: net.JoinHostPort(o.ListenAddress, strconv.Itoa(o.ListenPort)),
		log:  o.Logger,
		tls:  o.SSLEnabled,
	}
	s.http = &http.Server{
		Handler:           s.routes(o, versions),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if o.SSLEnabled {
		if s.http.TLSConfig, err = loadTLS(o.SSLCertificate); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func withDefaults(o Options) Options {
	if o.ListenAddress == "" {
		o.ListenAddress = DefaultListenAddress
	}
	if o.ListenPort == 0 {
		o.ListenPort = DefaultListenPort
	}
	if o.HealthzEndpoint == "" {
		o.HealthzEndpoint = DefaultHealthzEndpoint
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// checkEndpoint accepts an absolute path that does not clash with the
// other endpoints.
func checkEndpoint(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("k8s_healthz_endpoint %q: must start with /", p)
	case strings.ContainsAny(p, " \t\r\n{}?#"):
		return fmt.Errorf("k8s_healthz_endpoint %q: must be a plain path", p)
	case p == "/metrics" || p == "/versions":
		return fmt.Errorf("k8s_healthz_endpoint %q: clashes with the endpoint of that name", p)
	}
	return nil
}

func loadTLS(path string) (*tls.Config, error) {
	if path == "" {
		return nil, errors.New("ssl_enabled: ssl_certificate is not set")
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ssl_certificate: %w", err)
	}
	// One file holds both: X509KeyPair takes the CERTIFICATE blocks from
	// its first argument and the PRIVATE KEY block from its second.
	cert, err := tls.X509KeyPair(pem, pem)
	if err != nil {
		return nil, fmt.Errorf("load ssl_certificate %s: %w", path, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Addr returns the configured address, host:port.
func (s *Server) Addr() string { return s.addr }

// Handler returns the handler of every endpoint, to test or mount
// elsewhere.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// SetReady marks Kestrel ready (the probe attached and the initial state
// taken) or, with false, not ready again: /healthz answers 200 only while
// ready.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Listen binds the configured address. Binding apart from [Server.Serve]
// lets the caller report a busy port before it starts serving.
func (s *Server) Listen() (net.Listener, error) {
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("webserver listen on %s: %w", s.addr, err)
	}
	return l, nil
}

// Serve serves on l (over TLS when SSL is enabled) until
// [Server.Shutdown] or [Server.Close], then returns nil; it closes l.
func (s *Server) Serve(l net.Listener) error {
	var err error
	if s.tls {
		err = s.http.ServeTLS(l, "", "")
	} else {
		err = s.http.Serve(l)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("webserver serve on %s: %w", l.Addr(), err)
}

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests under way to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("webserver shutdown: %w", err)
	}
	return nil
}

// Close stops the server at once, closing every connection.
func (s *Server) Close() error {
	if err := s.http.Close(); err != nil {
		return fmt.Errorf("webserver close: %w", err)
	}
	return nil
}
