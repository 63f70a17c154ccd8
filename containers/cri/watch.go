package cri

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kestrel-sec/kestrel/containers"
)

// Watch sends the runtime's container events (GetContainerEvents) until
// ctx is done or the stream fails, and returns the error that ended it
// (ctx.Err() once ctx is done). A runtime without container events
// (containerd before 1.7, or with them turned off) gives an error
// wrapping errors.ErrUnsupported: the caller should poll instead.
func (r *Runtime) Watch(ctx context.Context, out chan<- containers.Event) error {
	stream, err := r.rs.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		return r.watchError(ctx, err)
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return r.watchError(ctx, err)
		}
		ev, ok := toEvent(resp)
		if !ok {
			continue
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// watchError returns the error that ended the event stream.
func (r *Runtime) watchError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if status.Code(err) == codes.Unimplemented {
		return fmt.Errorf("cri %s (%s): no container events: %w", r.socket, r.version, errors.ErrUnsupported)
	}
	return fmt.Errorf("cri %s: container events: %w", r.socket, err)
}

// toEvent maps a CRI container event to a lifecycle event.
func toEvent(resp *runtimeapi.ContainerEventResponse) (containers.Event, bool) {
	var kind containers.EventKind
	switch resp.GetContainerEventType() {
	case runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT:
		kind = containers.Created
	case runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT:
		kind = containers.Started
	case runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT:
		kind = containers.Died
	case runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT:
		kind = containers.Removed
	default:
		return containers.Event{}, false
	}
	return containers.Event{Kind: kind, FullID: resp.GetContainerId()}, resp.GetContainerId() != ""
}
