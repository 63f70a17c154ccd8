// Package containerd reads what containerd knows of the containers it
// runs itself (ctr, nerdctl, and the containerd namespaces of other
// clients), through containerd's gRPC API: their records for
// [Runtime.Inspect] and their lifecycle events for [Runtime.Watch].
//
// A [Runtime] starts no goroutines; its methods may be called from
// several goroutines at once, each call bounded by the caller's context
// and the runtime's timeout.
package containerd

import (
	"context"
	"fmt"
	"time"

	"github.com/kestrel-sec/kestrel/containers/internal/grpcsock"

	versionapi "github.com/containerd/containerd/api/services/version/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/kestrel-sec/kestrel/state"
)

// DefaultSocket is containerd's socket when Options.Socket is empty.
const DefaultSocket = "/run/containerd/containerd.sock"

// Defaults of [Options].
const (
	DefaultTimeout     = 2 * time.Second
	DefaultLabelMaxLen = 100
)

// maxMsgSize bounds a reply, as containerd's own client does.
const maxMsgSize = 16 << 20

// namespaceKey is the gRPC metadata key that names the containerd
// namespace of a call.
const namespaceKey = "containerd-namespace"

// Options configure [Open]. The zero value reaches containerd at its
// default socket with the default timeout.
type Options struct {
	// Socket is the path of containerd's socket, with or without a
	// "unix://" prefix; empty means DefaultSocket.
	Socket string
	// Timeout bounds [Open] and each [Runtime.Inspect]; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// LabelMaxLen leaves out labels whose value is longer, as Falco's
	// label_max_len does. Zero means DefaultLabelMaxLen; negative keeps
	// every label.
	LabelMaxLen int
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.Socket = grpcsock.Path(o.Socket)
	if o.Socket == "" {
		o.Socket = DefaultSocket
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LabelMaxLen == 0 {
		o.LabelMaxLen = DefaultLabelMaxLen
	}
	return o
}

// Runtime is a connection to containerd. It implements
// [containers.Runtime] for containers of type state.CTContainerd.
type Runtime struct {
	conn    *grpc.ClientConn
	socket  string
	timeout time.Duration
	// labelMaxLen is Options.LabelMaxLen, its default applied.
	labelMaxLen int
}

// Open connects to containerd and checks that it answers. It returns an
// error wrapping [containers.ErrUnavailable] when the socket is absent.
func Open(ctx context.Context, opts Options) (*Runtime, error) {
	opts = opts.withDefaults()
	path := opts.Socket
	conn, err := grpcsock.Dial("containerd", path, maxMsgSize)
	if err != nil {
		return nil, err
	}
	r := &Runtime{conn: conn, socket: path, timeout: opts.Timeout, labelMaxLen: opts.LabelMaxLen}
	if err := r.ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return r, nil
}

// ping asks containerd its version.
func (r *Runtime) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if _, err := versionapi.NewVersionClient(r.conn).Version(ctx, &emptypb.Empty{}); err != nil {
		return fmt.Errorf("containerd %s: version: %w", r.socket, err)
	}
	return nil
}

// Name names the runtime and its socket.
func (r *Runtime) Name() string { return "containerd unix://" + r.socket }

// Serves reports whether t is containerd's own type.
func (r *Runtime) Serves(t state.ContainerType) bool { return t == state.CTContainerd }

// Close releases the connection.
func (r *Runtime) Close() error { return r.conn.Close() }

// inNamespace returns ctx naming containerd namespace ns for the calls made with it.
func inNamespace(ctx context.Context, ns string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, namespaceKey, ns)
}
