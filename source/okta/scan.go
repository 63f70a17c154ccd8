package okta

import (
	"fmt"
	"io"
)

// scanner cuts JSON text into the values that may be Okta events: the
// top-level values (one event a line, or one after another) and the
// elements of top-level arrays (System Log API pages). It reads from src,
// or views buf when src is nil, and holds at most one value of up to max
// bytes at a time: a longer one is skipped as it goes by.
type scanner struct {
	src     io.Reader
	buf     []byte
	pos     int // the next byte
	mark    int // start of the value being cut; -1 when none, or dropped
	max     int
	rerr    error // the reader's error: io.EOF at the end
	line    int   // the line of pos, from 1
	inArray bool  // inside a top-level array
}

// readChunk is how much a streaming scanner reads at once.
const readChunk = 64 << 10

// maxEmptyReads bounds the reads in a row that return nothing.
const maxEmptyReads = 100

func newScanner(src io.Reader, data []byte, max int) *scanner {
	return &scanner{src: src, buf: data, mark: -1, max: max, line: 1}
}

// err returns the reader's error, nil at the end of the input.
func (s *scanner) err() error {
	if s.rerr == io.EOF {
		return nil
	}
	return s.rerr
}

// fill reads more input, keeping the value being cut; it reports false
// at the end of the input.
func (s *scanner) fill() bool {
	if s.src == nil || s.rerr != nil {
		return false
	}
	keep := s.pos
	if s.mark >= 0 {
		keep, s.mark = s.mark, 0
	}
	n := copy(s.buf, s.buf[keep:])
	s.buf, s.pos = s.buf[:n], s.pos-keep
	if cap(s.buf)-n < readChunk {
		nb := make([]byte, n, max(2*cap(s.buf), n+readChunk))
		copy(nb, s.buf)
		s.buf = nb
	}
	for range maxEmptyReads {
		m, err := s.src.Read(s.buf[n:cap(s.buf)])
		s.buf = s.buf[:n+m]
		if err != nil {
			s.rerr = err
		}
		if m > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

func (s *scanner) readByte() (byte, bool) {
	if s.pos >= len(s.buf) && !s.fill() {
		return 0, false
	}
	b := s.buf[s.pos]
	s.pos++
	if b == '\n' {
		s.line++
	}
	return b, true
}

// unread steps back over the byte just read.
func (s *scanner) unread() {
	s.pos--
	if s.buf[s.pos] == '\n' {
		s.line--
	}
}

func (s *scanner) peek() (byte, bool) {
	if s.pos >= len(s.buf) && !s.fill() {
		return 0, false
	}
	return s.buf[s.pos], true
}

func blank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// next returns the next value, its bytes valid until the next call, and
// the line it starts on. A value malformed, cut short, over the limit or
// that is no object or array comes back as bad, without its bytes. ok is
// false at the end of the input.
func (s *scanner) next() (val []byte, line int, bad error, ok bool) {
	for {
		b, more := s.readByte()
		if !more {
			if s.inArray {
				s.inArray = false
				return nil, s.line, fmt.Errorf("%w: an array not closed at the end of the input", ErrBadJSON), true
			}
			return nil, s.line, nil, false
		}
		switch {
		case blank(b) || b == ',':
		case b == '[' && !s.inArray:
			s.inArray = true
		case b == ']' && s.inArray:
			s.inArray = false
		case b == '{' || b == '[':
			return s.composite()
		default:
			return s.scalar(b)
		}
	}
}

// composite cuts an object or array whose first byte was just read.
func (s *scanner) composite() ([]byte, int, error, bool) {
	line := s.line
	s.mark = s.pos - 1
	depth, inStr, esc, over := 1, false, false, false
	for depth > 0 {
		b, more := s.readByte()
		if !more {
			s.mark = -1
			return nil, line, fmt.Errorf("%w: a value cut short by the end of the input", ErrBadJSON), true
		}
		if s.mark >= 0 && s.pos-s.mark > s.max {
			over, s.mark = true, -1
		}
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				inStr = false
			case b == '\n':
				s.mark = -1
				return nil, line, fmt.Errorf("%w: a line break inside a string", ErrBadJSON), true
			}
		case b == '"':
			inStr = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
		case b == '\n' && !s.inArray && s.nextIsObject():
			// A line starting with { begins the next event: this one is
			// broken.
			s.mark = -1
			return nil, line, fmt.Errorf("%w: a value not closed at the end of its line", ErrBadJSON), true
		}
	}
	if over {
		return nil, line, fmt.Errorf("%w: over the %d-byte limit", ErrTooLarge, s.max), true
	}
	val := s.buf[s.mark:s.pos]
	s.mark = -1
	return val, line, nil, true
}

func (s *scanner) nextIsObject() bool {
	c, ok := s.peek()
	return ok && c == '{'
}

// scalar skips a value that is no object or array (a string, a number, a
// literal or something that is no JSON), whose first byte was just read.
func (s *scanner) scalar(first byte) ([]byte, int, error, bool) {
	line := s.line
	switch {
	case !s.inArray:
		s.skipLine() // one line of text that is no JSON
	case first == '"':
		s.skipString()
	default:
		s.skipWord()
	}
	return nil, line, fmt.Errorf("%w: a value that is no object, starting with %q", ErrNotOkta, first), true
}

// skipString skips the rest of a string, up to its closing quote or the
// end of the line.
func (s *scanner) skipString() {
	esc := false
	for {
		b, more := s.readByte()
		switch {
		case !more || b == '\n' || b == '"' && !esc:
			return
		case esc:
			esc = false
		case b == '\\':
			esc = true
		}
	}
}

// skipLine skips the rest of the line.
func (s *scanner) skipLine() {
	for {
		b, more := s.readByte()
		if !more || b == '\n' {
			return
		}
	}
}

// skipWord skips up to a blank or a bracket, which is left to read.
func (s *scanner) skipWord() {
	for {
		b, more := s.readByte()
		if !more {
			return
		}
		switch b {
		case ' ', '\t', '\r', '\n', ',', '[', ']', '{', '}':
			s.unread()
			return
		}
	}
}
