package github

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The ports the webhook listens on by default, as the upstream plugin's
// server does: 443 with TLS, 80 without.
const (
	DefaultHTTPSPort = 443
	DefaultHTTPPort  = 80
)

// ErrNoSecret is returned when no webhook secret is configured: Kestrel
// takes no unsigned deliveries.
var ErrNoSecret = errors.New("no GitHub webhook secret configured")

// Config configures the GitHub source: its webhook server and its GitHub
// API client. Secrets may be given inline or in files; a file's first
// line that is neither blank nor a # comment is the secret, as in the
// upstream plugin's github.token file.
type Config struct {
	// ListenAddress is the IP address listened on; every address when
	// empty.
	ListenAddress string `yaml:"listen_address"`
	// ListenPort is the port; DefaultHTTPSPort with a certificate,
	// DefaultHTTPPort without, when 0.
	ListenPort int `yaml:"listen_port"`
	// Path is the path GitHub posts to; DefaultPath when empty.
	Path string `yaml:"path"`
	// WebhookSecret is the secret the webhooks are configured with;
	// required, inline or in WebhookSecretFile.
	WebhookSecret string `yaml:"webhook_secret"`
	// WebhookSecretFile holds the webhook secret when WebhookSecret is
	// empty.
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// Token is the GitHub token the API calls carry (the upstream
	// plugin's token): it needs to read the repositories' contents.
	// Without one the API is asked anonymously.
	Token string `yaml:"token"`
	// TokenFile holds the token when Token is empty (the upstream
	// plugin's github.token).
	TokenFile string `yaml:"token_file"`
	// SSLCertificate is a PEM certificate (and key, unless SSLKey is
	// given): the webhook then serves HTTPS (the upstream plugin's
	// useHTTPs with server.crt and server.key).
	SSLCertificate string `yaml:"ssl_certificate"`
	SSLKey         string `yaml:"ssl_key"`
	// APIURL is the GitHub API's address (GitHub Enterprise Server:
	// https://HOST/api/v3); DefaultAPIURL when empty.
	APIURL string `yaml:"api_url"`
	// APITimeout bounds the API calls of one event; DefaultAPITimeout
	// when 0.
	APITimeout time.Duration `yaml:"api_timeout"`
	// MaxBodySize bounds a delivery, in bytes; DefaultMaxBodySize when 0.
	MaxBodySize int `yaml:"max_body_size"`
	// DisableScans turns off the API calls: pushes are not searched for
	// secrets nor workflow files for miners.
	DisableScans bool `yaml:"disable_scans"`
}

// Addr returns the address to listen on, "host:port".
func (c *Config) Addr() string {
	port := c.ListenPort
	if port == 0 {
		port = DefaultHTTPPort
		if c.SSLCertificate != "" {
			port = DefaultHTTPSPort
		}
	}
	return net.JoinHostPort(c.ListenAddress, strconv.Itoa(port))
}

// NewWebhook returns the webhook cfg describes, queuing into q and
// counting in stats. It reads the secret files and fails with
// [ErrNoSecret] when there is no webhook secret.
func NewWebhook(cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats, log *slog.Logger) (*Webhook, error) {
	secret, err := secretValue("webhook secret", cfg.WebhookSecret, cfg.WebhookSecretFile)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, ErrNoSecret
	}
	h := &Webhook{Path: cfg.Path, Secret: []byte(secret), MaxBodySize: int64(cfg.MaxBodySize), Queue: q, Stats: stats, Log: log}
	if cfg.DisableScans {
		return h, nil
	}
	token, err := secretValue("token", cfg.Token, cfg.TokenFile)
	if err != nil {
		return nil, err
	}
	h.Scanner, err = NewScanner(ScannerOptions{APIURL: cfg.APIURL, Token: token, Timeout: cfg.APITimeout, Stats: stats, Log: log})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// secretValue returns a secret given inline or in a file.
func secretValue(what, inline, file string) (string, error) {
	if inline != "" || file == "" {
		return inline, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("GitHub %s: %w", what, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) > 0 && line[0] != '#' {
			return string(line), nil
		}
	}
	return "", fmt.Errorf("GitHub %s: %s holds none", what, file)
}

// Start opens the webhook server cfg describes; [Server.Serve] then runs
// it. Its address is known once Start returns.
func Start(cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats, log *slog.Logger) (*Server, error) {
	h, err := NewWebhook(cfg, q, stats, log)
	if err != nil {
		return nil, err
	}
	return Listen(cfg.Addr(), cfg.SSLCertificate, cfg.SSLKey, h)
}

// Run serves the GitHub webhook cfg describes, queuing its events into q,
// until ctx ends. It returns at once with an error when the configuration
// is wrong or it cannot listen.
func Run(ctx context.Context, cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats, log *slog.Logger) error {
	srv, err := Start(cfg, q, stats, log)
	if err != nil {
		return err
	}
	if log != nil {
		log.Info("GitHub webhook listening", "source", SourceName, "address", srv.Addr().String(), "tls", cfg.SSLCertificate != "")
	}
	return srv.Serve(ctx)
}

// Server serves a [Webhook] over HTTP, or HTTPS when given a certificate.
type Server = jsonsrc.Server

// Listen opens the webhook's listener on addr ("host:port"). With
// certFile and keyFile (PEM; one file may hold both) it serves HTTPS.
func Listen(addr, certFile, keyFile string, h *Webhook) (*Server, error) {
	return jsonsrc.Listen("GitHub webhook", addr, certFile, keyFile, h)
}
