package k8saudit

import (
	"errors"
	"fmt"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// DefaultMaxEventSize is the largest single audit event accepted, in
// bytes: the k8saudit plugin's maxEventSize default.
const DefaultMaxEventSize = 262144

// ErrBadJSON is wrapped by the errors about input that is no JSON.
var ErrBadJSON = errors.New("malformed JSON")

// ErrTooLarge is wrapped by the error about an event over the size limit.
var ErrTooLarge = errors.New("audit event too large")

// Splitter turns a webhook body or a log line into audit events: one
// Event, an EventList, or a JSON array of either. One goroutine uses a
// Splitter.
type Splitter struct {
	// MaxEventSize is the largest event kept, in bytes;
	// DefaultMaxEventSize when 0.
	MaxEventSize int
	doc          jsonsrc.Doc
}

// Split calls emit for each event in data, with its bytes (a part of
// data) and its stageTimestamp in nanoseconds since the epoch. It returns
// an error when data is not JSON or holds no audit events; an event
// without a readable stageTimestamp or over the size limit is left out
// and reported in skipped, the others still emitted.
func (s *Splitter) Split(data []byte, emit func(ev []byte, ts uint64)) (skipped []error, err error) {
	if err := s.doc.Parse(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	return s.split(s.doc.Root(), emit, 0)
}

// maxArrayDepth bounds arrays of arrays of events.
const maxArrayDepth = 4

func (s *Splitter) split(v jsonsrc.Value, emit func([]byte, uint64), depth int) (skipped []error, err error) {
	switch {
	case v.Kind() == jsonsrc.Array && depth < maxArrayDepth:
		it := v.Iter()
		for {
			_, el, ok := it.Next()
			if !ok {
				return skipped, nil
			}
			sk, err := s.split(el, emit, depth+1)
			skipped = append(skipped, sk...)
			if err != nil {
				return skipped, err
			}
		}
	case v.Get("kind").StrEq("EventList"):
		items := v.Get("items")
		if items.Kind() != jsonsrc.Array {
			return nil, fmt.Errorf("%w: an EventList without items", ErrNotAudit)
		}
		it := items.Iter()
		for {
			_, el, ok := it.Next()
			if !ok {
				return skipped, nil
			}
			if err := s.one(el, emit); err != nil {
				skipped = append(skipped, err)
			}
		}
	case v.Get("kind").StrEq("Event"):
		if err := s.one(v, emit); err != nil {
			skipped = append(skipped, err)
		}
		return skipped, nil
	}
	return nil, fmt.Errorf("%w: want an object of kind Event or EventList, got %s", ErrNotAudit, describe(v))
}

// describe names what a value is, for messages.
func describe(v jsonsrc.Value) string {
	if v.Kind() != jsonsrc.Object {
		return "a JSON " + v.Kind().String()
	}
	k := v.Get("kind")
	if !k.Exists() {
		return "an object without kind"
	}
	b := k.AppendText(nil)
	if len(b) > 64 {
		b = append(b[:64], "…"...)
	}
	return fmt.Sprintf("kind %q", b)
}

// one emits a single event.
func (s *Splitter) one(v jsonsrc.Value, emit func([]byte, uint64)) error {
	limit := s.MaxEventSize
	if limit <= 0 {
		limit = DefaultMaxEventSize
	}
	raw := v.Raw()
	if len(raw) > limit {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(raw), limit)
	}
	if v.Kind() != jsonsrc.Object {
		return fmt.Errorf("%w: an item that is %s", ErrNotAudit, describe(v))
	}
	b, ok := v.Get("stageTimestamp").Str()
	if !ok {
		return fmt.Errorf("%w: no stageTimestamp", ErrNotAudit)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil || t.UnixNano() < 0 {
		return fmt.Errorf("%w: stageTimestamp %q is no RFC 3339 time", ErrNotAudit, b)
	}
	emit(raw, uint64(t.UnixNano()))
	return nil
}
