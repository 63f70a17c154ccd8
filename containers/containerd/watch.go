package containerd

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/api/events"
	eventsapi "github.com/containerd/containerd/api/services/events/v1"
	"google.golang.org/protobuf/proto"

	"github.com/kestrel-sec/kestrel/containers"
)

// Topics of the events [Runtime.Watch] subscribes to.
const (
	topicCreate = "/containers/create"
	topicStart  = "/tasks/start"
	topicExit   = "/tasks/exit"
	topicDelete = "/containers/delete"
)

// Watch sends the lifecycle events of containerd's containers, of every
// namespace, until ctx is done or the stream fails: a container created,
// its task started, its task's first process exited, the container
// deleted. It returns the error that ended it (ctx.Err() once ctx is done).
// The containers of containerd's CRI service are left to the CRI
// runtime, whose records have their pods.
func (r *Runtime) Watch(ctx context.Context, out chan<- containers.Event) error {
	req := &eventsapi.SubscribeRequest{Filters: []string{
		`topic=="` + topicCreate + `"`, `topic=="` + topicStart + `"`,
		`topic=="` + topicExit + `"`, `topic=="` + topicDelete + `"`,
	}}
	stream, err := eventsapi.NewEventsClient(r.conn).Subscribe(ctx, req)
	if err != nil {
		return fmt.Errorf("containerd: subscribe: %w", err)
	}
	for {
		env, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("containerd: events: %w", err)
		}
		ev, ok := toEvent(env.GetTopic(), env.GetEvent().GetValue())
		if !ok || criManaged(env.GetNamespace(), ev.FullID) {
			continue
		}
		ev.Namespace = env.GetNamespace()
		select {
		case out <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// criNamespace is the containerd namespace of the CRI service.
const criNamespace = "k8s.io"

// criManaged reports whether container id of namespace ns is one the CRI
// service made: those have 64 hex digit ids in its namespace.
func criManaged(ns, id string) bool {
	if ns != criNamespace || len(id) != 64 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// toEvent decodes the event of a topic. It reports false for an event
// that is not a container's lifecycle event: one that does not decode, or
// the exit of a process that is not the container's first.
func toEvent(topic string, b []byte) (containers.Event, bool) {
	switch topic {
	case topicCreate:
		var e events.ContainerCreate
		if proto.Unmarshal(b, &e) != nil {
			return containers.Event{}, false
		}
		return containers.Event{Kind: containers.Created, FullID: e.GetID()}, true
	case topicStart:
		var e events.TaskStart
		if proto.Unmarshal(b, &e) != nil {
			return containers.Event{}, false
		}
		return containers.Event{Kind: containers.Started, FullID: e.GetContainerID()}, true
	case topicExit:
		var e events.TaskExit
		if proto.Unmarshal(b, &e) != nil || e.GetID() != e.GetContainerID() {
			return containers.Event{}, false
		}
		return containers.Event{Kind: containers.Died, FullID: e.GetContainerID()}, true
	case topicDelete:
		var e events.ContainerDelete
		if proto.Unmarshal(b, &e) != nil {
			return containers.Event{}, false
		}
		return containers.Event{Kind: containers.Removed, FullID: e.GetID()}, true
	}
	return containers.Event{}, false
}
