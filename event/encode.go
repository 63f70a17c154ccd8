package event

import (
	"encoding/binary"
	"fmt"
)

// AppendRecord appends a v2 event record to dst: the header for ts, tid and
// type t, the length array (u32 lengths when t's schema has large payloads,
// u16 otherwise) and the values. It returns an error if a value is too long
// for its length field or there are more than MaxParams values.
func AppendRecord(dst []byte, ts uint64, tid int64, t Type, values ...[]byte) ([]byte, error) {
	if len(values) > MaxParams {
		return dst, fmt.Errorf("event type %d: %d parameters, at most %d", t, len(values), MaxParams)
	}
	large := false
	if info := currentSchema.Lookup(t); info != nil {
		large = info.Large()
	}
	lsz := 2
	if large {
		lsz = 4
	}
	total := HeaderLen + lsz*len(values)
	for i, v := range values {
		if !large && len(v) > 0xffff {
			return dst, fmt.Errorf("event type %d: parameter %d has %d bytes, more than a u16 length holds", t, i, len(v))
		}
		total += len(v)
	}
	if uint64(total) > 0xffffffff {
		return dst, fmt.Errorf("event type %d: record of %d bytes", t, total)
	}
	dst = binary.LittleEndian.AppendUint64(dst, ts)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(tid))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(total))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(t))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(values)))
	for _, v := range values {
		if large {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
		} else {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(len(v)))
		}
	}
	for _, v := range values {
		dst = append(dst, v...)
	}
	return dst, nil
}

// SetTS overwrites the timestamp of the record e views. The bytes are the
// caller's (see [Event.Reset]), so this changes them in place.
func (e *Event) SetTS(ts uint64) { binary.LittleEndian.PutUint64(e.raw[0:], ts) }

// SetTID overwrites the thread id of the record e views, in place.
func (e *Event) SetTID(tid int64) { binary.LittleEndian.PutUint64(e.raw[8:], uint64(tid)) }
