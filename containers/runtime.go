// Package containers finds what the container runtimes of the host know
// of the containers the model sees: names, images, labels, mounts,
// privileges and Kubernetes pods. Lookups run on their own goroutines and
// reach the model by message (a [Manager] drained by the event goroutine),
// so the event loop never waits on a runtime.
//
// Each runtime is a [Runtime]: the Docker Engine API (Docker, and Podman's
// compatible service) in containers/docker, containerd's API in
// containers/containerd, and the CRI API (CRI-O, containerd's CRI
// service) in containers/cri.
package containers

import (
	"context"
	"errors"

	"github.com/kestrel-sec/kestrel/state"
)

// Errors a [Runtime] returns.
var (
	// ErrNotFound: the runtime answered and does not know the container.
	ErrNotFound = errors.New("container not found")
	// ErrUnavailable: the runtime is not on this host (its socket is
	// absent); it is skipped quietly.
	ErrUnavailable = errors.New("runtime not available")
)

// Query names the container to look up, as the cgroups of one of its
// threads tell it.
type Query struct {
	// ID is the id the model reports (container.id): 12 hex digits for
	// the runc-based runtimes, the first 12 characters of a containerd
	// container's name.
	ID string
	// FullID is the id as the cgroup path has it: 64 hex digits, or a
	// containerd container's whole name.
	FullID string
	// Type is the runtime the cgroup path names; state.CTCRI for a
	// container of a Kubernetes pod whose path names no runtime.
	Type state.ContainerType
	// Namespace is the containerd namespace of a container that
	// containerd runs itself (ctr, nerdctl: cgroup /NAMESPACE/NAME).
	Namespace string
	// PodUID is the uid of the container's Kubernetes pod, when the
	// cgroup path tells it.
	PodUID string
	// OwnerUID is the uid of the user who runs a rootless container.
	OwnerUID uint32
	Rootless bool
}

// Runtime is one container runtime's local API.
type Runtime interface {
	// Name names the runtime and its socket in logs and metrics
	// ("docker unix:///run/docker.sock").
	Name() string
	// Serves reports whether containers of type t may be known to the
	// runtime: only those are asked.
	Serves(t state.ContainerType) bool
	// Inspect returns the record of the container q names, with the
	// model's short id (q.ID) in ID. A container of a Kubernetes pod
	// comes with a second record: its pod sandbox's (IsSandbox set),
	// whose labels, IP and CNI result are the pod's. It returns
	// ErrNotFound when the runtime does not know the container.
	Inspect(ctx context.Context, q Query) ([]*state.Container, error)
	// Watch sends the runtime's container lifecycle events until ctx is
	// done or the stream fails; it returns the error that ended it.
	Watch(ctx context.Context, events chan<- Event) error
	// Close releases the connection.
	Close() error
}

// EventKind is what happened to a container.
type EventKind uint8

// Container lifecycle events.
const (
	Created EventKind = iota + 1 // created: its record can be read
	Started                      // its first process runs
	Died                         // its processes are gone; it may start again
	Removed                      // it is gone: forget it
)

func (k EventKind) String() string {
	switch k {
	case Created:
		return "created"
	case Started:
		return "started"
	case Died:
		return "died"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// Event is a container lifecycle event from a runtime.
type Event struct {
	Kind EventKind
	// FullID is the container's id as its cgroup path has it (64 hex
	// digits; a containerd container's name).
	FullID string
	// Namespace is the containerd namespace, for containerd's events.
	Namespace string
}
