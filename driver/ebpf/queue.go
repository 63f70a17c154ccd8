//go:build linux && amd64

package ebpf

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
)

const (
	// pollInterval is how long the reader sleeps on an empty ring: the
	// probe does not wake it for every record (see wake_bytes in
	// bpf/record.h), so this bounds how late a lone event is delivered.
	pollInterval = 10 * time.Millisecond
	// batchBytes and batchRecords bound a batch; maxRecord is the largest
	// record the probe sends (OFF_MASK + the CPU number, rounded up).
	batchBytes   = 256 << 10
	batchRecords = 4096
	maxRecord    = 64 << 10
	// queueBatches bounds the batches waiting for Next.
	queueBatches = 64
)

// batch is a run of records copied from the ring, back to back.
type batch struct {
	data []byte
	ends []int // end of each record in data
}

func newBatch() *batch {
	return &batch{data: make([]byte, 0, batchBytes+maxRecord), ends: make([]int, 0, batchRecords)}
}

// queue carries records from the ring-buffer reader goroutine to Next, in
// batches, so that the handoff between the goroutines costs one channel
// operation per batch rather than per event. It is bounded: when Next
// falls behind, records are dropped and counted, and the kernel side never
// waits. Batches are recycled.
type queue struct {
	full chan *batch
	free chan *batch
	done chan struct{}
	once sync.Once
	err  atomic.Pointer[error] // why the reader stopped, if it failed
	max  int64                 // events queued at most

	cur *batch      // the batch Next reads, recycled when it is used up
	pos int         // next record of cur
	ev  event.Event // the view Next returns

	queued                           atomic.Int64 // events in sent batches not yet taken
	partial                          atomic.Bool  // the batch being filled holds records
	ringData                         func() int   // bytes waiting in the ring
	delivered, queueFull, unreadable atomic.Uint64
}

func newQueue(n int) *queue {
	return &queue{
		full: make(chan *batch, queueBatches),
		free: make(chan *batch, queueBatches+2),
		done: make(chan struct{}),
		max:  int64(n),
	}
}

// full reports whether b has no room for one more record of the largest
// size, or holds as many records as a batch may.
func (b *batch) full() bool {
	return cap(b.data)-len(b.data) < maxRecord || len(b.ends) == batchRecords
}

// add copies a record to the end of b.
func (b *batch) add(rec []byte) {
	b.data = append(b.data, rec...)
	b.ends = append(b.ends, len(b.data))
}

// fill reads the rings until stopped, then closes finished. Each record
// is copied once, from the ring straight into the current batch, which
// goes to Next when it is full or when a poll interval ends with the
// rings drained. (Sending it whenever the rings are empty would make a
// batch of nearly every record when the reader keeps up, and a goroutine
// wakeup per record.)
func (q *queue) fill(rs *rings, finished chan<- struct{}) {
	defer close(finished)
	b := q.take()
	timeout := int(pollInterval / time.Millisecond)
	for {
		full := rs.merge(b)
		if len(b.ends) > 0 {
			q.partial.Store(true) // before the rings stop counting them
		}
		rs.publish()
		if full {
			b = q.send(b)
			continue
		}
		woke, stop, err := rs.wait(timeout)
		if err != nil {
			q.fail(err)
			return
		}
		if stop {
			return
		}
		if !woke {
			b = q.send(b)
		}
	}
}

// take returns an empty batch.
func (q *queue) take() *batch {
	select {
	case b := <-q.free:
		b.data, b.ends = b.data[:0], b.ends[:0]
		return b
	default:
		return newBatch()
	}
}

// send queues b if it holds records and there is room (else drops and
// counts them), and returns the batch to fill next.
func (q *queue) send(b *batch) *batch {
	n := int64(len(b.ends))
	if n == 0 {
		return b
	}
	defer q.partial.Store(false)
	if q.queued.Load()+n > q.max {
		q.queueFull.Add(uint64(n))
		b.data, b.ends = b.data[:0], b.ends[:0]
		return b
	}
	q.queued.Add(n)
	select {
	case q.full <- b:
		return q.take()
	default:
		q.queued.Add(-n)
		q.queueFull.Add(uint64(n))
		b.data, b.ends = b.data[:0], b.ends[:0]
		return b
	}
}

func (q *queue) recycle(b *batch) {
	select {
	case q.free <- b:
	default:
	}
}

// next returns the next record as an event, valid until the next call.
func (q *queue) next(ctx context.Context) (*event.Event, error) {
	for {
		if q.cur == nil || q.pos == len(q.cur.ends) {
			if err := q.nextBatch(ctx); err != nil {
				return nil, err
			}
		}
		start := 0
		if q.pos > 0 {
			start = q.cur.ends[q.pos-1]
		}
		rec := q.cur.data[start:q.cur.ends[q.pos]:q.cur.ends[q.pos]]
		q.pos++
		q.queued.Add(-1)
		if err := q.ev.Reset(rec); err != nil {
			q.unreadable.Add(1)
			continue
		}
		q.ev.Num = q.delivered.Add(1)
		q.ev.CPU = 0
		if n := int(q.ev.Len()); len(rec) >= n+2 {
			q.ev.CPU = binary.LittleEndian.Uint16(rec[n:])
		}
		return &q.ev, nil
	}
}

// nextBatch recycles the used-up batch and waits for the next one.
func (q *queue) nextBatch(ctx context.Context) error {
	if q.cur != nil {
		q.recycle(q.cur)
		q.cur = nil
	}
	select {
	case b := <-q.full:
		q.cur, q.pos = b, 0
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-q.done:
	}
	if err := q.err.Load(); err != nil {
		return *err
	}
	return driver.ErrClosed
}

// pending reports how many records wait to be taken: those queued, or
// one when only the batch being filled or the ring holds some.
func (q *queue) pending() int {
	n := int(q.queued.Load())
	if n == 0 && (q.partial.Load() || q.ringData != nil && q.ringData() > 0) {
		n = 1
	}
	return n
}

func (q *queue) close() { q.once.Do(func() { close(q.done) }) }

// fail ends the queue with err, which Next returns instead of ErrClosed.
func (q *queue) fail(err error) {
	q.err.Store(&err)
	q.close()
}

func (q *queue) stats() driver.Stats {
	return driver.Stats{
		Events:     q.delivered.Load(),
		QueueFull:  q.queueFull.Load(),
		Unreadable: q.unreadable.Load(),
	}
}
