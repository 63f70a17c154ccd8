package output

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/rules"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, caDir         string
	clientCert, clientKey string
	server                tls.Certificate
	pool                  *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert, caDER := newCert(t, nil, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: "kestrel test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign})
	p := &testPKI{caFile: filepath.Join(dir, "ca.pem"), caDir: filepath.Join(dir, "cas"),
		clientCert: filepath.Join(dir, "client.crt"), clientKey: filepath.Join(dir, "client.key"),
		pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	if err := os.Mkdir(p.caDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(p.caDir, "kestrel-ca.pem"), "CERTIFICATE", caDER)
	os.WriteFile(filepath.Join(p.caDir, "README"), []byte("not a certificate\n"), 0o600)

	srvKey, _, srvDER := newCert(t, caKey, caCert, &x509.Certificate{
		Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}

	cliKey, _, cliDER := newCert(t, caKey, caCert, &x509.Certificate{
		Subject: pkix.Name{CommonName: "kestrel"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	writePEM(t, p.clientCert, "CERTIFICATE", cliDER)
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.clientKey, "EC PRIVATE KEY", keyDER)
	return p
}

var serial int64

// newCert makes a key and a certificate from tmpl, signed by parent (self
// signed when parent is nil).
func newCert(t *testing.T, parentKey *ecdsa.PrivateKey, parent, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, der
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPTLS posts to an HTTPS server that requires a client certificate
// from its CA, with the CA given each way Falco's keys allow, and checks
// that the server is verified unless insecure is asked for.
func TestHTTPTLS(t *testing.T) {
	checkGoroutines(t)
	pki := newTestPKI(t)
	sk := &sidekick{}
	srv := httptest.NewUnstartedServer(sk)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pki.pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	mtls := func(o HTTPOptions) HTTPOptions {
		o.MTLS, o.ClientCert, o.ClientKey = true, pki.clientCert, pki.clientKey
		return o
	}
	cases := []struct {
		name    string
		o       HTTPOptions
		wantErr string
	}{
		{"ca_cert", mtls(HTTPOptions{CACert: pki.caFile}), ""},
		{"ca_bundle", mtls(HTTPOptions{CABundle: pki.caFile}), ""},
		{"ca_path", mtls(HTTPOptions{CAPath: pki.caDir}), ""},
		{"insecure", mtls(HTTPOptions{Insecure: true}), ""},
		{"system CAs", mtls(HTTPOptions{}), "certificate signed by unknown authority"},
		{"no client certificate", HTTPOptions{CACert: pki.caFile}, "certificate"},
	}
	a := testAlert(1, rules.PriorityCritical)
	for _, c := range cases {
		c.o.URL, c.o.Retries = srv.URL, -1
		s, err := newHTTP(c.o, alert.JSONOptions{}, "")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = s.Send(context.Background(), s.Render(nil, &a))
		s.Close(context.Background())
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one about %q", c.name, err, c.wantErr)
		}
	}
	if n := sk.count(); n != 4 {
		t.Errorf("%d alerts arrived, want 4", n)
	}
}

// TestHTTPTLSFiles checks that unusable TLS files are reported when the
// output is built.
func TestHTTPTLSFiles(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for _, o := range []HTTPOptions{
		{CACert: filepath.Join(dir, "missing.pem")},
		{CABundle: notPEM},
		{CAPath: dir},
		{MTLS: true, ClientCert: notPEM, ClientKey: notPEM},
	} {
		o.Enabled, o.URL = true, "https://127.0.0.1:1/"
		if _, err := New(Options{HTTP: o}); err == nil || !strings.HasPrefix(err.Error(), "http_output: ") {
			t.Errorf("%+v: error %v", o, err)
		}
	}
}
