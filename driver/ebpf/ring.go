//go:build linux && amd64

package ebpf

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is the user-space side of one BPF ring buffer, read through the
// kernel's memory-mapped layout: a consumer-position page the reader
// writes, then a producer-position page and the data pages mapped twice
// in a row, so that a record that wraps around the end reads as one slice.
//
// The probe writes one ring per CPU (or per group of CPUs) and the reader
// merges them by timestamp, which needs what cilium/ebpf's ringbuf.Reader
// does not offer: looking at the next record without taking it, and
// reading records in place with one consumer-position update per batch.
type ring struct {
	cons []byte // consumer page (read-write)
	prod []byte // producer page + data twice (read-only)
	data []byte
	mask uint64

	consPos *uint64
	prodPos *uint64

	pos  uint64 // consumer position not yet published
	end  uint64 // producer position last seen: peek looks up to there
	safe uint64 // producer position seen before the last look at every ring
	head []byte // the next record's sample, nil when none is ready
	hts  uint64 // the head record's timestamp
}

// Bits of a ring record's length word (BPF_RINGBUF_*_BIT).
const (
	ringBusy    = 1 << 31
	ringDiscard = 1 << 30
	ringHdrLen  = 8
)

// openRing maps the ring buffer map fd of size bytes.
func openRing(fd, size int) (*ring, error) {
	page := os.Getpagesize()
	cons, err := unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the consumer page: %w", err)
	}
	prod, err := unix.Mmap(fd, int64(page), page+2*size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		_ = unix.Munmap(cons)
		return nil, fmt.Errorf("mapping the data pages: %w", err)
	}
	r := &ring{
		cons:    cons,
		prod:    prod,
		data:    prod[page:],
		mask:    uint64(size - 1),
		consPos: (*uint64)(unsafe.Pointer(&cons[0])),
		prodPos: (*uint64)(unsafe.Pointer(&prod[0])),
	}
	r.pos = atomic.LoadUint64(r.consPos)
	r.end = r.pos
	return r, nil
}

// close unmaps the ring.
func (r *ring) close() error {
	err1 := unix.Munmap(r.prod)
	err2 := unix.Munmap(r.cons)
	r.prod, r.cons, r.data, r.head = nil, nil, nil, nil
	if err1 != nil {
		return err1
	}
	return err2
}

// produced returns how far the kernel has written.
func (r *ring) produced() uint64 {
	return atomic.LoadUint64(r.prodPos)
}

// peek makes head the next committed record's sample, among those the
// last look found, and reports whether there is one. Discarded records
// are skipped; a record still being written ends what is ready for now.
func (r *ring) peek() bool {
	if r.head != nil {
		return true
	}
	for r.pos != r.end {
		off := r.pos & r.mask
		word := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[off])))
		if word&ringBusy != 0 {
			return false
		}
		n := uint64(word &^ (ringBusy | ringDiscard))
		if word&ringDiscard != 0 {
			r.pos += (n + ringHdrLen + 7) &^ 7
			continue
		}
		start := off + ringHdrLen
		r.head = r.data[start : start+n : start+n]
		r.hts = 0
		if n >= 8 {
			r.hts = binary.LittleEndian.Uint64(r.head) // a scap record starts with its timestamp
		}
		return true
	}
	return false
}

// take moves past the head record. The kernel sees the room freed only
// at the next publish.
func (r *ring) take() {
	r.pos += (uint64(len(r.head)) + ringHdrLen + 7) &^ 7
	r.head = nil
}

// publish hands the space of the records taken back to the kernel.
func (r *ring) publish() {
	atomic.StoreUint64(r.consPos, r.pos)
}

// available returns the bytes the kernel has written that the reader has
// not handed back; safe from any goroutine.
func (r *ring) available() uint64 {
	return atomic.LoadUint64(r.prodPos) - atomic.LoadUint64(r.consPos)
}

// rings are the probe's ring buffers with one epoll set over them and an
// eventfd that interrupts a wait when the reader stops.
type rings struct {
	all    []*ring
	ready  []*ring // scratch for merge
	epfd   int
	stopfd int
	events []unix.EpollEvent
}

// openRings maps every ring and builds the epoll set. fds are the ring
// buffer maps' descriptors, each of size bytes.
func openRings(fds []int, size int) (*rings, error) {
	s := &rings{epfd: -1, stopfd: -1, events: make([]unix.EpollEvent, len(fds)+1)}
	fail := func(err error) (*rings, error) {
		s.close()
		return nil, err
	}
	for i, fd := range fds {
		r, err := openRing(fd, size)
		if err != nil {
			return fail(fmt.Errorf("ring %d: %w", i, err))
		}
		s.all = append(s.all, r)
	}
	var err error
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fail(fmt.Errorf("epoll: %w", err))
	}
	if s.stopfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fail(fmt.Errorf("eventfd: %w", err))
	}
	// Edge-triggered: a ring reports only when the probe wakes it. Level
	// triggering would report a ring whenever it holds a record, so that
	// while events flow the reader would never sleep and would make a
	// wait syscall for every few records.
	for _, fd := range append(fds, s.stopfd) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(fd)}
		if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fail(fmt.Errorf("epoll add: %w", err))
		}
	}
	s.ready = make([]*ring, 0, len(s.all))
	return s, nil
}

// merge copies the records ready in the rings into b, oldest first, until
// b is full (it then returns true) or no ring has a record ready.
//
// A thread that moves to another CPU writes its next event to another
// ring, and that event must not overtake the one it wrote before. So
// merge looks at every ring twice: a record that the first look found
// was written before the second look at every ring began, and so was
// every event it follows, which the second look finds. Records the
// second look alone found are merged (compared by timestamp) but taken
// only after another pair of looks.
func (s *rings) merge(b *batch) bool {
	for {
		s.look()
		if len(s.ready) == 0 {
			return false
		}
		for {
			if b.full() {
				return true
			}
			k := 0
			for i, r := range s.ready[1:] {
				if r.hts < s.ready[k].hts {
					k = i + 1
				}
			}
			r := s.ready[k]
			if r.pos >= r.safe {
				break
			}
			b.add(r.head)
			r.take()
			if !r.peek() {
				break
			}
		}
	}
}

// look reads how far the kernel has written every ring, twice (see
// merge), and gathers the rings with a record ready.
func (s *rings) look() {
	for _, r := range s.all {
		r.safe = r.produced()
	}
	s.ready = s.ready[:0]
	for _, r := range s.all {
		r.end = r.produced()
		if r.peek() {
			s.ready = append(s.ready, r)
		}
	}
}

// publish hands the space of every record taken back to the kernel.
func (s *rings) publish() {
	for _, r := range s.all {
		r.publish()
	}
}

// wait sleeps until the probe wakes a ring (woke), the timeout passes or
// stop is called (stop).
func (s *rings) wait(timeoutMS int) (woke, stop bool, err error) {
	n, err := unix.EpollWait(s.epfd, s.events, timeoutMS)
	if err == unix.EINTR {
		return true, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("waiting for the rings: %w", err)
	}
	for _, ev := range s.events[:n] {
		if int(ev.Fd) == s.stopfd {
			return false, true, nil
		}
	}
	return n > 0, false, nil
}

// stop makes wait return; safe from any goroutine.
func (s *rings) stop() {
	var one [8]byte
	one[0] = 1
	_, _ = unix.Write(s.stopfd, one[:])
}

// available returns the bytes waiting in all the rings.
func (s *rings) available() int {
	var n uint64
	for _, r := range s.all {
		n += r.available()
	}
	return int(n)
}

// close unmaps the rings and closes the descriptors it opened (not the
// maps'); the reader must have stopped.
func (s *rings) close() error {
	var first error
	for _, r := range s.all {
		if err := r.close(); err != nil && first == nil {
			first = err
		}
	}
	s.all = nil
	for _, fd := range []int{s.epfd, s.stopfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	s.epfd, s.stopfd = -1, -1
	return first
}
