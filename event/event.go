package event

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderLen is the size of a v2 record header (ppm_evt_hdr): ts u64, tid
// u64, len u32, type u16, nparams u32.
const HeaderLen = 26

// MaxParams is the most parameters one event may carry (PPM_MAX_EVENT_PARAMS).
const MaxParams = 32

// ErrMalformed is wrapped by every error about a record whose bytes do not
// hold together (lengths that overrun, too many parameters, …).
var ErrMalformed = errors.New("malformed event")

// Event is a view over one event record in the v2 layout: the 26-byte header,
// the parameter length array and the values. It does not copy the record:
// the bytes belong to whoever called [Event.Reset] and must stay unchanged
// while the Event is used. Parameter values are decoded on access.
//
// The zero Event is empty; Reset makes it view a record. An Event is reused
// from one record to the next without allocating.
type Event struct {
	// Num is the event's position in its stream, counted from 1.
	Num uint64
	// CPU is the CPU that produced the event.
	CPU uint16
	// DumpFlags are the capture flags of the event block (bit 0: state only).
	DumpFlags uint32

	raw  []byte
	info *Info
	n    int
	offs [MaxParams + 1]uint32
}

// DumpFlagStateOnly marks an event kept only so that readers keep state
// right; sysdig never shows it.
const DumpFlagStateOnly = 1

// Reset makes e a view over the record rec (v2 layout, exactly the
// record's len bytes or more). It checks that the header, the length
// array and every value fit within the record, so that later accesses
// cannot fail. Num, CPU and DumpFlags are left for the caller to set.
func (e *Event) Reset(rec []byte) error {
	e.raw, e.info, e.n = nil, nil, 0
	if len(rec) < HeaderLen {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(rec), HeaderLen)
	}
	l := binary.LittleEndian.Uint32(rec[16:])
	if l < HeaderLen || uint64(l) > uint64(len(rec)) {
		return fmt.Errorf("%w: record length %d outside %d..%d", ErrMalformed, l, HeaderLen, len(rec))
	}
	rec = rec[:l]
	t := Type(binary.LittleEndian.Uint16(rec[20:]))
	np := binary.LittleEndian.Uint32(rec[22:])
	if np > MaxParams {
		return fmt.Errorf("%w: type %d has %d parameters, more than %d", ErrMalformed, t, np, MaxParams)
	}
	info := currentSchema.Lookup(t)
	lsz := uint32(2)
	if info != nil && info.Large() {
		lsz = 4
	}
	off := HeaderLen + np*lsz
	if off > l {
		return fmt.Errorf("%w: type %d: %d parameter lengths overrun the %d-byte record", ErrMalformed, t, np, l)
	}
	for i := uint32(0); i < np; i++ {
		e.offs[i] = off
		var pl uint32
		if lsz == 2 {
			pl = uint32(binary.LittleEndian.Uint16(rec[HeaderLen+2*i:]))
		} else {
			pl = binary.LittleEndian.Uint32(rec[HeaderLen+4*i:])
		}
		if pl > l-off {
			return fmt.Errorf("%w: type %d: parameter %d (%d bytes) overruns the %d-byte record", ErrMalformed, t, i, pl, l)
		}
		off += pl
	}
	e.offs[np] = off
	e.raw, e.info, e.n = rec, info, int(np)
	return nil
}

// Raw returns the record bytes (header, lengths and values).
func (e *Event) Raw() []byte { return e.raw }

// TS returns the timestamp in nanoseconds since the Unix epoch.
func (e *Event) TS() uint64 { return binary.LittleEndian.Uint64(e.raw[0:]) }

// TID returns the thread id, or -1 for events not tied to a thread.
func (e *Event) TID() int64 { return int64(binary.LittleEndian.Uint64(e.raw[8:])) }

// Len returns the record length in bytes.
func (e *Event) Len() uint32 { return uint32(len(e.raw)) }

// Type returns the event code.
func (e *Event) Type() Type { return Type(binary.LittleEndian.Uint16(e.raw[20:])) }

// NumParams returns the number of parameters the record carries.
func (e *Event) NumParams() int { return e.n }

// Info returns the current schema of the event, or nil for a code beyond it.
func (e *Event) Info() *Info { return e.info }

// Name returns the event name ("open", "procinfo"), or "" if the code is unknown.
func (e *Event) Name() string {
	if e.info == nil {
		return ""
	}
	return e.info.Name
}

// Param returns parameter i. Its Info is nil when the schema does not
// describe position i (a newer producer). Param panics if i is out of
// range, like a slice index.
func (e *Event) Param(i int) Param {
	if i < 0 || i >= e.n {
		panic(fmt.Sprintf("event: parameter %d of %d", i, e.n))
	}
	p := Param{Raw: e.raw[e.offs[i]:e.offs[i+1]:e.offs[i+1]]}
	if e.info != nil && i < len(e.info.Params) {
		p.Info = &e.info.Params[i]
	}
	return p
}

// ParamByName returns the first parameter called name in the event's
// schema, and whether the record carries it.
func (e *Event) ParamByName(name string) (Param, bool) {
	if e.info == nil {
		return Param{}, false
	}
	for i := range e.info.Params {
		if e.info.Params[i].Name == name {
			if i >= e.n {
				return Param{}, false
			}
			return e.Param(i), true
		}
	}
	return Param{}, false
}

// Clone makes e view rec, which must hold a copy of src's record, with
// src's Num, CPU and DumpFlags. The record is not checked again: it is
// for a reader that copies records it has already decoded.
func (e *Event) Clone(src *Event, rec []byte) {
	if len(rec) != len(src.raw) {
		panic(fmt.Sprintf("event: clone of a %d-byte record into %d bytes", len(src.raw), len(rec)))
	}
	*e = *src
	e.raw = rec
}
