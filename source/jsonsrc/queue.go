package jsonsrc

import "sync/atomic"

// Stats counts what a source received and what it dropped. Its methods
// may be called from any goroutine.
type Stats struct {
	requests atomic.Uint64 // webhook requests or API calls
	rejected atomic.Uint64 // webhook requests answered with an error, failed API calls
	events   atomic.Uint64 // events handed on
	invalid  atomic.Uint64 // events, lines or files left out as malformed
	dropped  atomic.Uint64 // events dropped because the queue was full
}

// StatsSnapshot is the value of the counters at one time.
type StatsSnapshot struct {
	Requests uint64 `json:"requests"`
	Rejected uint64 `json:"rejected"`
	Events   uint64 `json:"events"`
	Invalid  uint64 `json:"invalid"`
	Dropped  uint64 `json:"dropped"`
}

// Snapshot returns the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Requests: s.requests.Load(),
		Rejected: s.rejected.Load(),
		Events:   s.events.Load(),
		Invalid:  s.invalid.Load(),
		Dropped:  s.dropped.Load(),
	}
}

// AddRequest counts a webhook request or an API call.
func (s *Stats) AddRequest() { s.requests.Add(1) }

// AddRejected counts a request answered with an error, or a failed call.
func (s *Stats) AddRejected() { s.rejected.Add(1) }

// AddInvalid counts n events, lines or files left out as malformed.
func (s *Stats) AddInvalid(n int) { s.invalid.Add(uint64(n)) }

// Item is one event on its way to the rules: its JSON and its time in
// nanoseconds since the epoch.
type Item struct {
	Data []byte
	TS   uint64
}

// Queue hands events from a source's receivers (webhooks, file readers,
// pollers) to the goroutine that runs the rules.
type Queue struct {
	ch    chan Item
	stats *Stats
}

// NewQueue returns a queue holding up to size events, counting in stats.
func NewQueue(size int, stats *Stats) *Queue {
	return &Queue{ch: make(chan Item, max(size, 1)), stats: stats}
}

// Items returns the channel the events arrive on.
func (q *Queue) Items() <-chan Item { return q.ch }

// Offer queues an event without waiting; when the queue is full the event
// is dropped and counted, and Offer returns false.
func (q *Queue) Offer(it Item) bool {
	select {
	case q.ch <- it:
		q.stats.events.Add(1)
		return true
	default:
		q.stats.dropped.Add(1)
		return false
	}
}

// Put queues an event, waiting for room until done is closed; it returns
// false when done closed first.
func (q *Queue) Put(it Item, done <-chan struct{}) bool {
	select {
	case q.ch <- it:
		q.stats.events.Add(1)
		return true
	case <-done:
		return false
	}
}
