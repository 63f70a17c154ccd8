package scap

import (
	"encoding/binary"
	"fmt"

	"github.com/kestrel-sec/kestrel/event"
)

// v1HeaderLen is the size of a record header in v1 event blocks, which
// have no nparams field.
const v1HeaderLen = 22

// Event types whose v1 records carry a length 3 bytes too large.
const (
	typeNotification   = 280
	typeInfrastructure = 286
)

// decodeEvent makes ev view the event in the current block. It returns
// false for events of types the reader does not know, which are skipped.
func (r *Reader) decodeEvent(btype uint32, ev *event.Event) (bool, error) {
	total := len(r.buf)
	if btype != blockEVV2Large && btype != blockEVFV2Large && total > maxEventBlockLen {
		return false, r.errf(btype, nil, "event block of %d bytes: more than 64 KiB after the block header needs a large-payload block type", total)
	}
	body := r.buf[8 : total-4]
	prefix := 2
	flagged := btype == blockEVF || btype == blockEVFV2 || btype == blockEVFV2Large
	if flagged {
		prefix = 6
	}
	if len(body) < prefix {
		return false, r.errf(btype, nil, "event block body of %d bytes", len(body))
	}
	ev.CPU = binary.LittleEndian.Uint16(body)
	ev.DumpFlags = 0
	if flagged {
		ev.DumpFlags = binary.LittleEndian.Uint32(body[2:])
	}
	rec := body[prefix:]
	v1 := btype == blockEV || btype == blockEVAlias || btype == blockEVF
	hlen := event.HeaderLen
	if v1 {
		hlen = v1HeaderLen
	}
	if len(rec) < hlen {
		return false, r.errf(btype, nil, "event record of %d bytes is shorter than its %d-byte header", len(rec), hlen)
	}
	typ := event.Type(binary.LittleEndian.Uint16(rec[20:]))
	info := event.Current().Lookup(typ)
	if info == nil {
		return false, nil
	}
	if v1 {
		var err error
		if rec, err = r.upgradeV1(rec, typ, info); err != nil {
			return false, r.errf(btype, err, "event type %d", typ)
		}
	}
	if err := ev.Reset(rec); err != nil {
		return false, r.errf(btype, err, "event type %d", typ)
	}
	return true, nil
}

// upgradeV1 rewrites a v1 record (no nparams) into the v2 layout in r.rec,
// inferring the parameter count as libscap does: the largest count, at most
// the schema's, whose lengths exactly cover the record. v1 lengths are
// always u16; for types whose v2 lengths are u32 (large payloads) they are
// widened.
func (r *Reader) upgradeV1(rec []byte, typ event.Type, info *event.Info) ([]byte, error) {
	l := int(binary.LittleEndian.Uint32(rec[16:]))
	quirk := 0
	if typ == typeNotification || typ == typeInfrastructure {
		quirk = 3 // old producers wrote len 3 bytes too large
	}
	end := l - quirk
	if end < v1HeaderLen || end > len(rec) {
		return nil, fmt.Errorf("record length %d outside %d..%d", l, v1HeaderLen+quirk, len(rec)+quirk)
	}
	n, err := inferParams(rec, end, len(info.Params))
	if err != nil {
		return nil, err
	}
	lens := rec[v1HeaderLen : v1HeaderLen+2*n]
	newLen := end + 4
	if info.Large() {
		newLen += 2 * n
	}
	r.rec = append(r.rec[:0], rec[:v1HeaderLen]...)
	r.rec = binary.LittleEndian.AppendUint32(r.rec, uint32(n))
	if info.Large() {
		for i := 0; i < n; i++ {
			r.rec = binary.LittleEndian.AppendUint32(r.rec, uint32(binary.LittleEndian.Uint16(lens[2*i:])))
		}
	} else {
		r.rec = append(r.rec, lens...)
	}
	r.rec = append(r.rec, rec[v1HeaderLen+2*n:end]...)
	binary.LittleEndian.PutUint32(r.rec[16:], uint32(newLen))
	return r.rec, nil
}

func inferParams(rec []byte, end, max int) (int, error) {
	for n := max; n >= 0; n-- {
		vals := v1HeaderLen + 2*n
		if vals > end {
			continue
		}
		sum := vals
		for i := 0; i < n; i++ {
			sum += int(binary.LittleEndian.Uint16(rec[v1HeaderLen+2*i:]))
		}
		if sum == end {
			return n, nil
		}
		if sum < end {
			return 0, fmt.Errorf("parameter lengths cover %d of %d bytes: cannot infer the parameter count", sum, end)
		}
	}
	// Unreachable: with n = 0 the sum is the header length, at most end.
	return 0, fmt.Errorf("no parameter count fits the %d-byte record", end)
}
