package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/kestrel-sec/kestrel/containers"
)

// kindOf maps an engine's container action to a lifecycle event. Docker
// reports a removed container as "destroy", Podman as "remove".
func kindOf(a events.Action) (containers.EventKind, bool) {
	switch a {
	case events.ActionCreate:
		return containers.Created, true
	case events.ActionStart:
		return containers.Started, true
	case events.ActionDie:
		return containers.Died, true
	case events.ActionDestroy, events.ActionRemove:
		return containers.Removed, true
	}
	return 0, false
}

// Watch sends the engine's container lifecycle events to ch until ctx is
// done or the stream ends, and returns what ended it: ctx's error, or
// the stream's (io.ErrUnexpectedEOF when the engine closes it). Opening
// the stream is bounded by the timeout; the stream itself is not.
func (c *Client) Watch(ctx context.Context, ch chan<- containers.Event) error {
	if err := c.ready(ctx); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Actions are picked here, not by an "event" filter: Podman matches
	// that filter against its own names ("died", not "die").
	f := make(client.Filters).Add("type", string(events.ContainerEventType))
	// From now on only: Podman replays its event log from the start when
	// the log file was rotated, and old events are lookups of containers
	// long gone.
	since := strconv.FormatInt(time.Now().Unix(), 10)
	res := c.api.Events(ctx, client.EventsListOptions{Filters: f, Since: since})
	for {
		select {
		case m := <-res.Messages:
			if err := send(ctx, ch, m); err != nil {
				return err
			}
		case err := <-res.Err:
			return watchErr(ctx, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// send passes one engine event on as a lifecycle event, when it is one.
func send(ctx context.Context, ch chan<- containers.Event, m events.Message) error {
	kind, ok := kindOf(m.Action)
	if m.Type != events.ContainerEventType || !ok || m.Actor.ID == "" {
		return nil
	}
	select {
	case ch <- containers.Event{Kind: kind, FullID: m.Actor.ID}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watchErr returns the error that ended the stream: ctx's when it is
// done, io.ErrUnexpectedEOF for a stream the engine closed.
func watchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("watch events: %w", err)
}
