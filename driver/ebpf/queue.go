//go:build linux && amd64

package ebpf

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf/ringbuf"

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
	max  int64 // events queued at most

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

// fill reads the ring until it is closed. Each record is copied once,
// from the ring straight into the current batch, which goes to Next when
// it is full or when a poll interval ends with the ring drained. (Sending
// it whenever the ring is empty would make a batch of nearly every record
// when the reader keeps up, and a goroutine wakeup per record.)
func (q *queue) fill(rd *ringbuf.Reader) {
	var rec ringbuf.Record
	b := q.take()
	rd.SetDeadline(time.Now().Add(pollInterval))
	for {
		if cap(b.data)-len(b.data) < maxRecord || len(b.ends) == batchRecords {
			b = q.send(b)
		}
		spare := b.data[len(b.data):cap(b.data)]
		rec.RawSample = spare
		err := rd.ReadInto(&rec)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			b = q.send(b)
			rd.SetDeadline(time.Now().Add(pollInterval))
			continue
		case errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, os.ErrClosed):
			return
		default:
			continue
		}
		if n := len(rec.RawSample); n <= len(spare) {
			b.data = b.data[:len(b.data)+n] // read in place
		} else {
			b.data = append(b.data, rec.RawSample...)
		}
		b.ends = append(b.ends, len(b.data))
		if len(b.ends) == 1 {
			q.partial.Store(true)
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
		return driver.ErrClosed
	}
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

func (q *queue) stats() driver.Stats {
	return driver.Stats{
		Events:     q.delivered.Load(),
		QueueFull:  q.queueFull.Load(),
		Unreadable: q.unreadable.Load(),
	}
}
