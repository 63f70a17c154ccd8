// Package driver defines what every event source gives: the Source
// interface over which live probes and recorded captures yield events,
// and the errors they share.
package driver

import (
	"context"
	"errors"

	"github.com/kestrel-sec/kestrel/event"
)

// Source yields events in the scap encoding, in the order they happened.
type Source interface {
	// Next returns the next event. The event and its bytes are valid
	// until the next call. It blocks until an event comes, ctx ends
	// (ctx.Err()) or the source is closed ([ErrClosed]).
	Next(ctx context.Context) (*event.Event, error)
	// Stats returns the counters of the source so far.
	Stats() Stats
	// Close stops the source and releases what it holds; a Next blocked
	// in another goroutine returns [ErrClosed].
	Close() error
}

// Stats counts what a source delivered and what it lost, by cause.
type Stats struct {
	Events     uint64 // events delivered by Next
	Kernel     uint64 // records the kernel side sent
	RingFull   uint64 // records lost because the kernel ring buffer was full
	ReadFail   uint64 // values left empty because reading memory failed
	TooLong    uint64 // records lost because they outgrew the kernel buffer
	QueueFull  uint64 // records lost because the user-space queue was full
	Unreadable uint64 // records that did not decode
	// Filtered counts the events the kernel filter kept back because no
	// rule could match them (see [Prefilter]): not losses.
	Filtered uint64
}

// Dropped returns how many events were lost, all causes together.
func (s Stats) Dropped() uint64 { return s.RingFull + s.TooLong + s.QueueFull + s.Unreadable }

// Errors of sources that cannot start; they are wrapped with details.
var (
	// ErrNotRoot: the process lacks capabilities that live capture needs
	// (root has them all); the error wrapping it names them.
	ErrNotRoot     = errors.New("live capture needs capabilities this process lacks")
	ErrNoBTF       = errors.New("live capture needs a kernel with BTF (/sys/kernel/btf/vmlinux is missing: build the kernel with CONFIG_DEBUG_INFO_BTF=y)")
	ErrUnsupported = errors.New("live capture is not supported on this system")
	ErrClosed      = errors.New("event source is closed")
)
