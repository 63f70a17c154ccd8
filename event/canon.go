package event

import (
	"encoding/binary"
	"fmt"
)

// Canonicalizer turns events of the classic model (an enter and an exit
// record per syscall, parameters split between them) into the current
// model, where each syscall is one exit event that carries every
// parameter. It is what current Falco readers do to old captures, and it
// lets everything after the reader see one canonical event per syscall.
//
// Enter events that current producers no longer emit are held back and
// their parameters merged into the matching exit of the same thread, by
// parameter name. Exits without their enter get empty values ("not
// available") for what the enter would have given. Everything else passes
// through unchanged, so streams already in the current model are left as
// they are. Event numbers stay those of the input.
type Canonicalizer struct {
	// MaxPending bounds how many threads may have an enter event waiting
	// for its exit; past it the oldest waits are dropped and counted.
	// Zero means 65536.
	MaxPending int

	pending map[int64][]byte // tid -> copy of the enter record
	spare   [][]byte         // recycled enter buffers
	buf     []byte
	enter   Event
	out     Event
	dropped uint64
}

const defaultMaxPending = 65536

// Dropped returns how many held enter events were discarded because too
// many threads had one waiting.
func (c *Canonicalizer) Dropped() uint64 { return c.dropped }

// Apply takes the next event of a stream. It returns the canonical event to
// hand on, or ok=false when the event was absorbed (an enter event held for
// its exit). The returned event is valid until the next call.
func (c *Canonicalizer) Apply(in *Event) (out *Event, ok bool, err error) {
	info := in.Info()
	if info == nil {
		return in, true, nil
	}
	t := in.Type()
	if t.IsEnter() {
		if !c.absorbs(t, info) {
			return in, true, nil
		}
		c.hold(in)
		return nil, false, nil
	}
	enter := c.take(in.TID(), t-1)
	if info.Flags&FlagConverterManaged == 0 || in.NumParams() >= len(info.Params) {
		return in, true, nil
	}
	if err := c.merge(in, info, enter); err != nil {
		return nil, false, err
	}
	return &c.out, true, nil
}

// absorbs reports whether enter events of type t are folded into their
// exit: they carry EF_OLD_VERSION and their exit is a real event.
func (c *Canonicalizer) absorbs(t Type, info *Info) bool {
	if info.Flags&FlagOldVersion == 0 {
		return false
	}
	exit := currentSchema.Lookup(t + 1)
	return exit != nil && exit.Known()
}

func (c *Canonicalizer) hold(in *Event) {
	if c.pending == nil {
		c.pending = make(map[int64][]byte)
	}
	tid := in.TID()
	b, ok := c.pending[tid]
	if !ok {
		max := c.MaxPending
		if max <= 0 {
			max = defaultMaxPending
		}
		if len(c.pending) >= max {
			c.evictOne()
		}
		if n := len(c.spare); n > 0 {
			b, c.spare = c.spare[n-1][:0], c.spare[:n-1]
		}
	}
	c.pending[tid] = append(b[:0], in.Raw()...)
}

func (c *Canonicalizer) evictOne() {
	for tid, b := range c.pending {
		delete(c.pending, tid)
		c.spare = append(c.spare, b)
		c.dropped++
		return
	}
}

// take returns the held enter event of tid if it has type want, and
// forgets whatever was held for tid.
func (c *Canonicalizer) take(tid int64, want Type) *Event {
	b, ok := c.pending[tid]
	if !ok {
		return nil
	}
	delete(c.pending, tid)
	c.spare = append(c.spare, b)
	if c.enter.Reset(b) != nil || c.enter.Type() != want {
		return nil
	}
	return &c.enter
}

// merge builds in c.out the exit event in with every parameter of its
// current schema: its own, then those of the enter event by name.
func (c *Canonicalizer) merge(in *Event, info *Info, enter *Event) error {
	n := len(info.Params)
	c.buf = append(c.buf[:0], in.raw[:HeaderLen]...)
	binary.LittleEndian.PutUint32(c.buf[22:], uint32(n))
	lsz := 2
	if info.Large() {
		lsz = 4
	}
	lens := len(c.buf)
	var zero [MaxParams * 4]byte
	c.buf = append(c.buf, zero[:n*lsz]...)
	for i := 0; i < n; i++ {
		var v []byte
		switch {
		case i < in.n:
			v = in.Param(i).Raw
		case enter != nil:
			if p, ok := enter.ParamByName(info.Params[i].Name); ok {
				v = p.Raw
			}
		}
		if lsz == 2 {
			if len(v) > 0xffff {
				return fmt.Errorf("merge event type %d: parameter %d has %d bytes", in.Type(), i, len(v))
			}
			binary.LittleEndian.PutUint16(c.buf[lens+2*i:], uint16(len(v)))
		} else {
			binary.LittleEndian.PutUint32(c.buf[lens+4*i:], uint32(len(v)))
		}
		c.buf = append(c.buf, v...)
	}
	binary.LittleEndian.PutUint32(c.buf[16:], uint32(len(c.buf)))
	if err := c.out.Reset(c.buf); err != nil {
		return fmt.Errorf("merge event type %d: %w", in.Type(), err)
	}
	c.out.Num, c.out.CPU, c.out.DumpFlags = in.Num, in.CPU, in.DumpFlags
	return nil
}
