// Package docker reads container records from the Docker Engine API: from
// dockerd, and from Podman's Docker-compatible service (podman system
// service). A [Client] is a [containers.Runtime]; it is safe for
// concurrent use and starts no goroutines of its own beyond those of a
// running [Client.Watch], which the caller owns.
//
// Every request is bounded by [Options.Timeout], so a runtime that
// accepts connections and never answers costs a lookup that long, not a
// stuck goroutine.
package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/state"
)

// Defaults of [Options].
const (
	DefaultTimeout     = 2 * time.Second
	DefaultLabelMaxLen = 100
)

// Options configure [Open]. The zero value of each field but Socket is
// its documented default.
type Options struct {
	// Socket is the path of the engine's unix socket
	// (/var/run/docker.sock, /run/podman/podman.sock).
	Socket string
	// Engine is the runtime behind the socket: state.CTDocker (the
	// default) or state.CTPodman. The records carry it as their type
	// (container.type), and it decides which containers the engine
	// serves (see [Client.Serves]).
	Engine state.ContainerType
	// Timeout bounds each request to the engine: connecting, and
	// waiting for the answer. Zero means DefaultTimeout.
	Timeout time.Duration
	// LabelMaxLen leaves out labels whose value is longer, as Falco's
	// label_max_len does. Zero means DefaultLabelMaxLen; negative keeps
	// every label.
	LabelMaxLen int
}

// Client is a connection to one Docker Engine API socket.
type Client struct {
	api         *client.Client
	name        string
	engine      state.ContainerType
	timeout     time.Duration
	labelMaxLen int

	mu         sync.Mutex
	negotiated bool
}

var _ containers.Runtime = (*Client)(nil)

// Open returns a client of the engine on o.Socket. It does not contact
// the engine: the first request does, and negotiates the API version
// then. It returns an error wrapping [containers.ErrUnavailable] when the
// socket does not exist.
func Open(ctx context.Context, o Options) (*Client, error) {
	if o.Engine != state.CTDocker && o.Engine != state.CTPodman {
		return nil, fmt.Errorf("open %s: engine %s is not a Docker API engine", o.Socket, o.Engine)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", o.Socket, err)
	}
	if _, err := os.Stat(o.Socket); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", o.Socket, containers.ErrUnavailable)
		}
		return nil, fmt.Errorf("open %s: %w", o.Socket, err)
	}
	c := &Client{
		name:        o.Engine.String() + " unix://" + o.Socket,
		engine:      o.Engine,
		timeout:     o.Timeout,
		labelMaxLen: o.LabelMaxLen,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.labelMaxLen == 0 {
		c.labelMaxLen = DefaultLabelMaxLen
	}
	api, err := client.New(
		client.WithHost("unix://"+o.Socket),
		client.WithHTTPClient(httpClient(o.Socket, c.timeout)),
	)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.Socket, err)
	}
	c.api = api
	return c, nil
}

// httpClient returns an HTTP client of the socket whose connections and
// response headers are bounded by timeout. It sets no overall deadline,
// which would end the event stream: requests carry their own.
func httpClient(socket string, timeout time.Duration) *http.Client {
	d := net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socket)
		},
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// Name names the engine and its socket ("podman unix:///run/podman/podman.sock").
func (c *Client) Name() string { return c.name }

// Serves reports whether containers of type t may be the engine's: a
// Docker engine serves docker containers and those of Kubernetes pods
// whose cgroups name no runtime (kubelet's cgroupfs layout, with
// dockershim or cri-dockerd); a Podman engine serves podman containers.
func (c *Client) Serves(t state.ContainerType) bool {
	if c.engine == state.CTPodman {
		return t == state.CTPodman
	}
	return t == state.CTDocker || t == state.CTCRI
}

// Close releases the client's idle connections.
func (c *Client) Close() error { return c.api.Close() }

// ready negotiates the API version with the engine once: the highest
// version both speak. An engine older than the client's minimum (API
// 1.40) is an error.
func (c *Client) ready(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.negotiated {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if _, err := c.api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return fmt.Errorf("negotiate API version: %w", err)
	}
	c.negotiated = true
	return nil
}
