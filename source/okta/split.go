package okta

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// DefaultMaxEventSize is the largest single event accepted, in bytes.
const DefaultMaxEventSize = 1 << 20

// ErrBadJSON is wrapped by the errors about input that is no JSON.
var ErrBadJSON = errors.New("malformed JSON")

// ErrTooLarge is wrapped by the error about an event over the size limit.
var ErrTooLarge = errors.New("Okta event too large")

// Splitter turns System Log API pages, files and lines into Okta events:
// a JSON array of events (what the API returns), one event, or events one
// a line (each line an event or an array of them). One goroutine uses a
// Splitter.
type Splitter struct {
	// MaxEventSize is the largest event kept, in bytes;
	// DefaultMaxEventSize when 0.
	MaxEventSize int
	doc          jsonsrc.Doc
}

func (s *Splitter) maxSize() int {
	if s.MaxEventSize <= 0 {
		return DefaultMaxEventSize
	}
	return s.MaxEventSize
}

// Split calls emit for each event in data, with its bytes (a part of
// data) and its published time in nanoseconds since the epoch. A value
// that is no event (malformed, over the size limit, not an object, or
// without eventType or a readable published time) is left out and
// reported in skipped, the others still emitted. It returns an error,
// and no skipped, when data holds values but not one event.
func (s *Splitter) Split(data []byte, emit func(ev []byte, ts uint64)) (skipped []error, err error) {
	n := 0
	s.run(newScanner(nil, data, s.maxSize()),
		func(ev []byte, ts uint64) { n++; emit(ev, ts) },
		func(err error) { skipped = append(skipped, err) })
	if n == 0 && len(skipped) > 0 {
		return nil, fmt.Errorf("no Okta event in %d values: %w", len(skipped), skipped[0])
	}
	return skipped, nil
}

// SplitReader does as Split reading from r, holding one event at a time:
// emit gets each event, valid only during the call, and skip each value
// left out. It returns the reader's error, if any but io.EOF.
func (s *Splitter) SplitReader(r io.Reader, emit func(ev []byte, ts uint64), skip func(err error)) error {
	sc := newScanner(r, nil, s.maxSize())
	s.run(sc, emit, skip)
	if err := sc.err(); err != nil {
		return fmt.Errorf("read Okta events: %w", err)
	}
	return nil
}

func (s *Splitter) run(sc *scanner, emit func([]byte, uint64), skip func(error)) {
	for {
		val, line, bad, ok := sc.next()
		if !ok {
			return
		}
		if bad == nil {
			bad = s.one(val, emit)
		}
		if bad != nil {
			skip(fmt.Errorf("line %d: %w", line, bad))
		}
	}
}

// one emits a single event.
func (s *Splitter) one(raw []byte, emit func([]byte, uint64)) error {
	if err := s.doc.Parse(raw); err != nil {
		return fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	v := s.doc.Root()
	if v.Kind() != jsonsrc.Object {
		return fmt.Errorf("%w: a JSON %s", ErrNotOkta, v.Kind())
	}
	if v.Get("eventType").Kind() != jsonsrc.String {
		return fmt.Errorf("%w: no eventType", ErrNotOkta)
	}
	ts, err := published(v)
	if err != nil {
		return err
	}
	emit(raw, ts)
	return nil
}

// published returns an event's published time in nanoseconds.
func published(v jsonsrc.Value) (uint64, error) {
	b, ok := v.Get("published").Str()
	if !ok {
		return 0, fmt.Errorf("%w: no published time", ErrNotOkta)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil || t.UnixNano() < 0 {
		return 0, fmt.Errorf("%w: published %q is no RFC 3339 time", ErrNotOkta, b)
	}
	return uint64(t.UnixNano()), nil
}

// Detect reports whether data, a whole input or its first bytes, looks
// like Okta System Log events: its first value, or the first element of a
// top-level array, is an object with uuid, published, eventType and an
// actor object. When data ends inside the first event (give at least its
// first few KiB; 64 KiB is plenty), the keys Okta events start with are
// looked for instead.
func Detect(data []byte) bool {
	sc := newScanner(nil, data, len(data)+1)
	for {
		val, _, bad, ok := sc.next()
		switch {
		case !ok:
			return false
		case bad == nil:
			return looksLikeEvent(val)
		case sc.pos >= len(data):
			return looksLikeHead(data)
		}
	}
}

// looksLikeEvent reports whether a whole value is an Okta event.
func looksLikeEvent(raw []byte) bool {
	var d jsonsrc.Doc
	if d.Parse(raw) != nil {
		return false
	}
	v := d.Root()
	if _, err := published(v); err != nil {
		return false
	}
	return v.Get("uuid").Kind() == jsonsrc.String &&
		v.Get("eventType").Kind() == jsonsrc.String &&
		v.Get("actor").Kind() == jsonsrc.Object
}

// oktaKeys are keys of Okta events that other JSON events seldom have.
var oktaKeys = [...]string{`"eventType"`, `"displayMessage"`, `"authenticationContext"`, `"legacyEventType"`,
	`"securityContext"`, `"debugContext"`, `"uuid"`, `"published"`, `"outcome"`}

// looksLikeHead reports whether the start of an event cut short holds
// keys of Okta events: an actor object and two others.
func looksLikeHead(data []byte) bool {
	if !hasKey(data, `"actor"`, '{') {
		return false
	}
	n := 0
	for _, k := range oktaKeys {
		if hasKey(data, k, 0) {
			n++
		}
	}
	return n >= 2
}

// hasKey reports whether key, quoted, appears followed by a colon and,
// unless first is 0, a value starting with first.
func hasKey(data []byte, key string, first byte) bool {
	for {
		i := bytes.Index(data, []byte(key))
		if i < 0 {
			return false
		}
		data = data[i+len(key):]
		rest := bytes.TrimLeft(data, " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if first == 0 || len(rest) > 0 && rest[0] == first {
			return true
		}
	}
}
