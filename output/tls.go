package output

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// tlsConfig builds the HTTP output's TLS settings.
func tlsConfig(o *HTTPOptions) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.Insecure}
	pool, err := caPool(o)
	if err != nil {
		return nil, err
	}
	c.RootCAs = pool
	if o.MTLS {
		cert, err := tls.LoadX509KeyPair(o.ClientCert, o.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// caPool returns the CAs that verify the server: ca_cert, else ca_bundle,
// else the PEM files of ca_path; nil for the system's.
func caPool(o *HTTPOptions) (*x509.CertPool, error) {
	switch {
	case o.CACert != "":
		return poolFromFiles(o.CACert)
	case o.CABundle != "":
		return poolFromFiles(o.CABundle)
	case o.CAPath != "":
		return poolFromDir(o.CAPath)
	}
	return nil, nil
}

func poolFromFiles(files ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate", f)
		}
	}
	return pool, nil
}

// poolFromDir loads every PEM certificate of dir's files; files holding
// none are skipped.
func poolFromDir(dir string) (*x509.CertPool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read CA directory: %w", err)
	}
	pool := x509.NewCertPool()
	found := false
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // a subdirectory, a dangling link
		}
		found = pool.AppendCertsFromPEM(b) || found
	}
	if !found {
		return nil, errors.New("CA directory " + dir + ": no PEM certificate")
	}
	return pool, nil
}
