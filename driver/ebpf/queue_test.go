//go:build linux && amd64

package ebpf

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
)

// probeRecord returns a close exit record for thread tid as the probe
// sends it: the scap record followed by the CPU number.
func probeRecord(t *testing.T, tid int64, cpu uint16) []byte {
	t.Helper()
	rec := evtest.MustRecord(event.Current(), uint64(1000+tid), tid, 5, map[string]any{"res": 0, "fd": 5}) // close exit (PPME_SYSCALL_CLOSE_X)
	return binary.LittleEndian.AppendUint16(rec, cpu)
}

// batchOf puts records in a batch as fill does.
func batchOf(recs ...[]byte) *batch {
	b := newBatch()
	for _, r := range recs {
		b.data = append(b.data, r...)
		b.ends = append(b.ends, len(b.data))
	}
	return b
}

// TestQueueBatches checks that records sent in batches come out of next
// one by one, in order, with their CPU, and that pending counts them.
func TestQueueBatches(t *testing.T) {
	q := newQueue(100)
	q.send(batchOf(probeRecord(t, 1, 0), probeRecord(t, 2, 1)))
	q.send(batchOf(probeRecord(t, 3, 1)))
	if n := q.pending(); n != 3 {
		t.Errorf("pending = %d, want 3", n)
	}
	ctx := context.Background()
	for i, want := range []struct {
		tid int64
		cpu uint16
	}{{1, 0}, {2, 1}, {3, 1}} {
		e, err := q.next(ctx)
		if err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
		if e.TID() != want.tid || e.CPU != want.cpu || e.Num != uint64(i+1) || e.Name() != "close" {
			t.Errorf("event %d: tid %d cpu %d num %d %s, want tid %d cpu %d num %d close", i+1, e.TID(), e.CPU, e.Num, e.Name(), want.tid, want.cpu, i+1)
		}
	}
	if n := q.pending(); n != 0 {
		t.Errorf("pending after taking all = %d, want 0", n)
	}
	q.close()
	if _, err := q.next(ctx); !errors.Is(err, driver.ErrClosed) {
		t.Errorf("next after close: %v, want ErrClosed", err)
	}
}

// TestQueueFull checks that a batch beyond the queue's bound is dropped
// whole and counted, and that what was queued still comes out.
func TestQueueFull(t *testing.T) {
	q := newQueue(2)
	q.send(batchOf(probeRecord(t, 1, 0), probeRecord(t, 2, 0)))
	q.send(batchOf(probeRecord(t, 3, 0)))
	if s := q.stats(); s.QueueFull != 1 {
		t.Errorf("queue full = %d, want 1", s.QueueFull)
	}
	for _, tid := range []int64{1, 2} {
		e, err := q.next(context.Background())
		if err != nil || e.TID() != tid {
			t.Fatalf("next = %v, %v; want tid %d", e, err, tid)
		}
	}
	if s := q.stats(); s.Events != 2 {
		t.Errorf("delivered = %d, want 2", s.Events)
	}
}

// TestQueueNextAllocs checks that taking queued events allocates nothing.
func TestQueueNextAllocs(t *testing.T) {
	q := newQueue(1 << 20)
	rec := probeRecord(t, 7, 1)
	recs := make([][]byte, batchRecords)
	for i := range recs {
		recs[i] = rec
	}
	b := batchOf(recs...)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(10, func() {
		q.full <- b
		q.queued.Add(int64(len(b.ends)))
		for range b.ends {
			if _, err := q.next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		q.cur = nil // keep b out of the free list for the next run
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch, want 0", allocs)
	}
}
