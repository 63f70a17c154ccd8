package state

import (
	"bytes"
	"slices"
	"strconv"
	"syscall"
)

// procReader reads procfs files into buffers it reuses, and caches what
// processes share: socket tables by network namespace, the start time of
// pid namespaces' init, the boot time.
type procReader struct {
	root string
	opts SnapshotOptions
	buf  []byte // file contents
	link []byte // link targets

	bootNS uint64               // boot time, ns since the epoch
	nets   map[string]sockTable // "net:[ino]" -> sockets of that namespace
	pidns  map[string]uint64    // "pid:[ino]" -> start of its init
	fdpath []byte
}

// newProcReader returns a reader of the procfs at root; bootNS 0 has it
// work out the boot time.
func newProcReader(root string, opts SnapshotOptions, bootNS uint64) *procReader {
	if opts.MaxArgs <= 0 {
		opts.MaxArgs = defaultMaxStrings
	}
	if opts.MaxEnv <= 0 {
		opts.MaxEnv = defaultMaxStrings
	}
	r := &procReader{
		root: root, opts: opts,
		buf:   make([]byte, 0, 8192),
		link:  make([]byte, 4096),
		nets:  make(map[string]sockTable),
		pidns: make(map[string]uint64),
	}
	r.bootNS = bootNS
	if bootNS == 0 {
		r.bootNS = r.bootTime()
	}
	return r
}

// read returns up to max bytes of file path (all of it when max <= 0), in
// a buffer valid until the next read.
func (r *procReader) read(path string, max int) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	b := r.buf[:0]
	for {
		if len(b) == cap(b) && (max <= 0 || len(b) < max) {
			b = slices.Grow(b, cap(b))
		}
		limit := cap(b)
		if max > 0 && limit > max {
			limit = max
		}
		if len(b) >= limit {
			break
		}
		n, err := syscall.Read(fd, b[len(b):limit])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			r.buf = b
			return nil, err
		}
		if n <= 0 {
			break
		}
		b = b[:len(b)+n]
	}
	r.buf = b
	return b, nil
}

// readlink returns the target of link path, or "" when it cannot be read.
func (r *procReader) readlink(path string) string {
	for {
		n, err := syscall.Readlink(path, r.link)
		if err != nil || n <= 0 {
			return ""
		}
		if n < len(r.link) {
			return string(r.link[:n])
		}
		r.link = make([]byte, 2*len(r.link))
	}
}

// field returns the value after "key:" in a "key:\tvalue" line of b.
func field(b []byte, key string) ([]byte, bool) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) > len(key) && line[len(key)] == ':' && string(line[:len(key)]) == key {
			return bytes.TrimSpace(line[len(key)+1:]), true
		}
	}
	return nil, false
}

// parseUint parses a decimal (or, with base 16, hexadecimal) number.
func parseUint(b []byte, base int) (uint64, bool) {
	v, err := strconv.ParseUint(string(b), base, 64)
	return v, err == nil
}

// words returns the whitespace-separated words of b.
func words(b []byte) [][]byte { return bytes.Fields(b) }

// lastWord returns the last word of b parsed as a decimal number.
func lastWord(b []byte) (int64, bool) {
	w := words(b)
	if len(w) == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(w[len(w)-1]), 10, 64)
	return v, err == nil
}

// nulTerminated returns a copy of b that ends with a NUL, or nil when b is
// empty.
func nulTerminated(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	out := make([]byte, len(b), len(b)+1)
	copy(out, b)
	if out[len(out)-1] != 0 {
		out = append(out, 0)
	}
	return out
}
