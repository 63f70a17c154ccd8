package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// DefaultMaxRecordSize is the largest single record accepted, in bytes.
// CloudTrail records stay well below it (requests and responses over
// about 100 KiB are left out of them).
const DefaultMaxRecordSize = 1 << 20

// ErrBadJSON is wrapped by the errors about input that is no JSON.
var ErrBadJSON = errors.New("malformed JSON")

// ErrTooLarge is wrapped by the errors about input over a size limit.
var ErrTooLarge = errors.New("CloudTrail input too large")

// Splitter turns the content of a CloudTrail log file into records: an
// object {"Records":[...]} as CloudTrail writes it, a single record, an
// array of records, or lines each holding one of those. One goroutine
// uses a Splitter.
type Splitter struct {
	// MaxRecordSize is the largest record kept, in bytes;
	// DefaultMaxRecordSize when 0.
	MaxRecordSize int
	doc           jsonsrc.Doc
}

// Split calls emit for each record in data, with its bytes (a part of
// data) and its eventTime in nanoseconds since the epoch, in the order of
// data. It returns an error when data is no JSON or holds no CloudTrail
// records. A record without a readable eventTime or without eventType,
// or over the size limit, is left out and reported in skipped, the others
// still emitted; so are the lines of JSON lines that are no JSON. Insight
// records (eventType AwsCloudTrailInsight), which no field describes, are
// left out silently.
func (s *Splitter) Split(data []byte, emit func(rec []byte, ts uint64)) (skipped []error, err error) {
	perr := s.doc.Parse(data)
	if perr == nil {
		return s.split(s.doc.Root(), emit, true)
	}
	if !multiLine(data) {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, perr)
	}
	return s.splitLines(data, emit)
}

// multiLine reports whether data has more than one line that is not
// blank.
func multiLine(data []byte) bool {
	i := bytes.IndexByte(bytes.TrimSpace(data), '\n')
	return i >= 0
}

// splitLines splits JSON lines, each a log file, a record or an array of
// records.
func (s *Splitter) splitLines(data []byte, emit func([]byte, uint64)) (skipped []error, err error) {
	good := 0
	for no := 1; len(data) > 0; no++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if perr := s.doc.Parse(line); perr != nil {
			skipped = append(skipped, fmt.Errorf("line %d: %w: %w", no, ErrBadJSON, perr))
			continue
		}
		sk, err := s.split(s.doc.Root(), emit, true)
		skipped = append(skipped, sk...)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("line %d: %w", no, err))
			continue
		}
		good++
	}
	if good == 0 {
		return nil, fmt.Errorf("%w: no line holds CloudTrail records (%d skipped)", ErrNotCloudTrail, len(skipped))
	}
	return skipped, nil
}

// split emits the records of one JSON value: a log file, a record, or
// (when top) an array of records.
func (s *Splitter) split(v jsonsrc.Value, emit func([]byte, uint64), top bool) (skipped []error, err error) {
	switch {
	case v.Kind() == jsonsrc.Array && top:
		return s.each(v, emit), nil
	case v.Kind() != jsonsrc.Object:
		return nil, fmt.Errorf("%w: a JSON %s", ErrNotCloudTrail, v.Kind())
	case v.Get("Records").Exists():
		recs := v.Get("Records")
		if recs.Kind() != jsonsrc.Array {
			return nil, fmt.Errorf("%w: Records is a JSON %s, not an array", ErrNotCloudTrail, recs.Kind())
		}
		return s.each(recs, emit), nil
	case isRecord(v):
		if err := s.one(v, emit); err != nil {
			skipped = append(skipped, err)
		}
		return skipped, nil
	}
	return nil, fmt.Errorf("%w: an object with neither Records nor eventVersion and eventSource", ErrNotCloudTrail)
}

// each emits the records of an array.
func (s *Splitter) each(arr jsonsrc.Value, emit func([]byte, uint64)) (skipped []error) {
	it := arr.Iter()
	for i := 0; ; i++ {
		_, el, ok := it.Next()
		if !ok {
			return skipped
		}
		if err := s.one(el, emit); err != nil {
			skipped = append(skipped, fmt.Errorf("record %d: %w", i, err))
		}
	}
}

// isRecord reports whether v looks like a CloudTrail record: an object
// with eventVersion and eventSource strings.
func isRecord(v jsonsrc.Value) bool {
	return v.Get("eventVersion").Kind() == jsonsrc.String && v.Get("eventSource").Kind() == jsonsrc.String
}

// one emits a single record.
func (s *Splitter) one(v jsonsrc.Value, emit func([]byte, uint64)) error {
	limit := s.MaxRecordSize
	if limit <= 0 {
		limit = DefaultMaxRecordSize
	}
	raw := v.Raw()
	switch {
	case len(raw) > limit:
		return fmt.Errorf("%w: a record of %d bytes, the limit is %d", ErrTooLarge, len(raw), limit)
	case v.Kind() != jsonsrc.Object:
		return fmt.Errorf("%w: a JSON %s", ErrNotCloudTrail, v.Kind())
	}
	ts, err := eventTime(v)
	if err != nil {
		return err
	}
	typ := v.Get("eventType")
	switch {
	case typ.Kind() != jsonsrc.String:
		return fmt.Errorf("%w: no eventType", ErrNotCloudTrail)
	case typ.StrEq("AwsCloudTrailInsight"):
		return nil
	}
	emit(raw, ts)
	return nil
}

// eventTime reads a record's eventTime, an RFC 3339 time, in nanoseconds
// since the epoch.
func eventTime(v jsonsrc.Value) (uint64, error) {
	b, ok := v.Get("eventTime").Str()
	if !ok {
		return 0, fmt.Errorf("%w: no eventTime", ErrNotCloudTrail)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil || t.UnixNano() < 0 || t.Year() > 2200 {
		return 0, fmt.Errorf("%w: eventTime %q is no RFC 3339 time", ErrNotCloudTrail, b)
	}
	return uint64(t.UnixNano()), nil
}
