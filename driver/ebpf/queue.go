//go:build linux && amd64

package ebpf

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
)

// queue carries records from the ring-buffer reader goroutine to Next. It
// is bounded: when Next falls behind, records are dropped and counted,
// and the kernel side never waits. Record buffers are recycled.
type queue struct {
	ch   chan []byte
	free chan []byte
	done chan struct{}
	once sync.Once

	cur []byte      // the record Next returned last, recycled at the next call
	ev  event.Event // the view Next returns

	delivered, queueFull, unreadable atomic.Uint64
}

func newQueue(n int) *queue {
	return &queue{
		ch:   make(chan []byte, n),
		free: make(chan []byte, n+2),
		done: make(chan struct{}),
	}
}

// fill reads the ring until it is closed.
func (q *queue) fill(rd *ringbuf.Reader) {
	var rec ringbuf.Record
	for {
		err := rd.ReadInto(&rec)
		if errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, os.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		var buf []byte
		select {
		case buf = <-q.free:
		default:
		}
		buf = append(buf[:0], rec.RawSample...)
		select {
		case q.ch <- buf:
		default:
			q.queueFull.Add(1)
			q.recycle(buf)
		}
	}
}

func (q *queue) recycle(b []byte) {
	select {
	case q.free <- b:
	default:
	}
}

// next returns the next record as an event, valid until the next call.
func (q *queue) next(ctx context.Context) (*event.Event, error) {
	if q.cur != nil {
		q.recycle(q.cur)
		q.cur = nil
	}
	for {
		var b []byte
		select {
		case b = <-q.ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.done:
			return nil, driver.ErrClosed
		}
		if err := q.ev.Reset(b); err != nil {
			q.unreadable.Add(1)
			q.recycle(b)
			continue
		}
		q.cur = b
		q.delivered.Add(1)
		q.ev.Num = q.delivered.Load()
		q.ev.CPU = 0
		if n := int(q.ev.Len()); len(b) >= n+2 {
			q.ev.CPU = binary.LittleEndian.Uint16(b[n:])
		}
		return &q.ev, nil
	}
}

// pending reports how many records wait in the queue.
func (q *queue) pending() int { return len(q.ch) }

func (q *queue) close() { q.once.Do(func() { close(q.done) }) }

func (q *queue) stats() driver.Stats {
	return driver.Stats{
		Events:     q.delivered.Load(),
		QueueFull:  q.queueFull.Load(),
		Unreadable: q.unreadable.Load(),
	}
}
