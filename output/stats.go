package output

import "sync/atomic"

// DropReason says why an output lost an alert without trying to send it.
type DropReason string

// The reasons an alert is dropped.
const (
	// DropQueueFull: the output's queue was full when the alert came.
	DropQueueFull DropReason = "queue_full"
	// DropClosed: the alert came after Close began.
	DropClosed DropReason = "closed"
	// DropShutdown: the alert was still queued, or in flight, when Close
	// gave up at its deadline.
	DropShutdown DropReason = "shutdown"
)

// dropReasons lists every reason, in the order counters keeps them.
var dropReasons = [...]DropReason{DropQueueFull, DropClosed, DropShutdown}

// OutputStats is a snapshot of one output's counters.
type OutputStats struct {
	Name   string
	Sent   uint64 // delivered
	Failed uint64 // not delivered: an error after any retries
	// Dropped counts the alerts the output never tried to send, by
	// reason; every reason has an entry.
	Dropped map[DropReason]uint64
	Queued  int // waiting in the output's queue
}

// DroppedTotal is the sum of Dropped.
func (s OutputStats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// counters are one output's counts, updated by its worker and by
// Publish, read by Stats.
type counters struct {
	sent, failed atomic.Uint64
	dropped      [len(dropReasons)]atomic.Uint64
}

func (c *counters) drop(r DropReason) { c.dropped[reasonIndex(r)].Add(1) }

func (c *counters) load(r DropReason) uint64 { return c.dropped[reasonIndex(r)].Load() }

func reasonIndex(r DropReason) int {
	for i, d := range dropReasons {
		if d == r {
			return i
		}
	}
	panic("output: unknown drop reason " + string(r))
}

func (c *counters) snapshot(name string, queued int) OutputStats {
	s := OutputStats{Name: name, Sent: c.sent.Load(), Failed: c.failed.Load(),
		Dropped: make(map[DropReason]uint64, len(dropReasons)), Queued: queued}
	for i, d := range dropReasons {
		s.Dropped[d] = c.dropped[i].Load()
	}
	return s
}
