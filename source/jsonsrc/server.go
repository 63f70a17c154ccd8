package jsonsrc

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server serves the HTTP handler of a source's webhook over HTTP, or
// HTTPS when given a certificate. [Server.Serve] runs it on the caller's
// goroutine (the server's own goroutines end before it returns).
type Server struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

// Listen opens a listener on addr ("host:port") for h. With certFile and
// keyFile (PEM; one file may hold both) it serves HTTPS. name ("audit
// webhook") starts the server's errors.
func Listen(name, addr, certFile, keyFile string, h http.Handler) (*Server, error) {
	tlsConf, err := loadTLS(name, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	return &Server{name: name, srv: srv, ln: ln}, nil
}

// loadTLS returns the TLS configuration of a certificate and key, or nil
// without a certificate.
func loadTLS(name, certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" {
		return nil, nil
	}
	if keyFile == "" {
		keyFile = certFile
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s TLS: %w", name, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Addr returns the address listened on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers requests until ctx ends, then shuts the server down,
// giving the requests under way 5 seconds to finish.
func (s *Server) Serve(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(s.ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("%s: %w", s.name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("%s shutdown: %w", s.name, err)
	}
	<-done
	return nil
}
