// Package cri reads what a Kubernetes container runtime knows of its
// containers and pod sandboxes through the CRI API (runtime/v1):
// containerd's CRI service and CRI-O. [Runtime.Inspect] gives a
// container's record and its pod sandbox's, with the fields Falco gives
// them; [Runtime.Watch] relays the runtime's container events where it
// has them.
//
// A [Runtime] starts no goroutines; its methods may be called from
// several goroutines at once, each call bounded by the caller's context
// and the runtime's timeout.
package cri

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kestrel-sec/kestrel/containers/internal/grpcsock"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kestrel-sec/kestrel/state"
)

// Defaults of [Options].
const (
	DefaultTimeout     = 2 * time.Second
	DefaultLabelMaxLen = 100
)

// maxMsgSize bounds a reply, as the kubelet does.
const maxMsgSize = 16 << 20

// Options configure [Open].
type Options struct {
	// Socket is the path of the runtime's CRI socket, with or without a
	// "unix://" prefix ("/run/containerd/containerd.sock",
	// "/run/crio/crio.sock").
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
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LabelMaxLen == 0 {
		o.LabelMaxLen = DefaultLabelMaxLen
	}
	return o
}

// Runtime is a connection to a CRI runtime. It implements
// [containers.Runtime] for containers of type state.CTCRI,
// state.CTContainerd and state.CTCRIO.
type Runtime struct {
	conn    *grpc.ClientConn
	rs      runtimeapi.RuntimeServiceClient
	is      runtimeapi.ImageServiceClient
	socket  string
	timeout time.Duration
	// labelMaxLen is Options.LabelMaxLen, its default applied.
	labelMaxLen int
	// typ is the type of the records: the runtime's, as its version
	// names it, or state.CTCRI for another runtime.
	typ     state.ContainerType
	version string
}

// Open connects to the runtime's CRI socket and asks its version, which
// names the type of the records it gives. It returns an error wrapping
// [containers.ErrUnavailable] when the socket is absent.
func Open(ctx context.Context, opts Options) (*Runtime, error) {
	opts = opts.withDefaults()
	if opts.Socket == "" {
		return nil, errors.New("cri: no socket")
	}
	path := opts.Socket
	conn, err := grpcsock.Dial("cri", path, maxMsgSize)
	if err != nil {
		return nil, err
	}
	r := &Runtime{conn: conn, rs: runtimeapi.NewRuntimeServiceClient(conn),
		is: runtimeapi.NewImageServiceClient(conn), socket: path, timeout: opts.Timeout, labelMaxLen: opts.LabelMaxLen}
	if err := r.ask(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return r, nil
}

// ask asks the runtime's name and version.
func (r *Runtime) ask(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	v, err := r.rs.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return fmt.Errorf("cri %s: version: %w", r.socket, err)
	}
	r.typ = runtimeType(v.GetRuntimeName())
	r.version = v.GetRuntimeName() + " " + v.GetRuntimeVersion()
	return nil
}

// runtimeType returns the container type Falco reports for the
// containers of a CRI runtime of the given name.
func runtimeType(name string) state.ContainerType {
	switch name {
	case "containerd":
		return state.CTContainerd
	case "cri-o":
		return state.CTCRIO
	}
	return state.CTCRI
}

// Name names the runtime and its socket.
func (r *Runtime) Name() string { return "cri unix://" + r.socket }

// Version returns the runtime's name and version, as it told them.
func (r *Runtime) Version() string { return r.version }

// Type returns the type of the runtime's records.
func (r *Runtime) Type() state.ContainerType { return r.typ }

// Serves reports whether containers of type t may be the runtime's: a
// Kubernetes container whose cgroup path names no runtime, and those of
// containerd and CRI-O.
func (r *Runtime) Serves(t state.ContainerType) bool {
	switch t {
	case state.CTCRI, state.CTContainerd, state.CTCRIO:
		return true
	}
	return false
}

// Close releases the connection.
func (r *Runtime) Close() error { return r.conn.Close() }
