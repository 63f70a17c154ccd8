package scap

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/kestrel-sec/kestrel/event"
)

// ErrFormat is wrapped by every error about bytes that are not a valid
// capture: a bad magic, a length that does not add up, a truncated block.
var ErrFormat = errors.New("invalid capture")

// FormatError says what is wrong in a capture and where: Offset is the
// byte offset of the block in the (decompressed) stream.
type FormatError struct {
	Offset int64
	Block  uint32 // block type, 0 if not known yet
	Msg    string
	Err    error // underlying error, if any
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("offset %d", e.Offset)
	if e.Block != 0 {
		s += fmt.Sprintf(" (block %#x)", e.Block)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes every FormatError match [ErrFormat].
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

func (e *FormatError) Unwrap() error { return e.Err }

// ReaderOptions configure a [Reader]. The zero value is the default.
type ReaderOptions struct {
	// MaxBlockLen bounds the size of one block; larger blocks are an
	// error. Zero means 256 MiB.
	MaxBlockLen uint32
	// MaxStateBytes bounds the memory the decoded initial state of one
	// section (threads, fds, users, interfaces) may take; more is an
	// error. Zero means 2 GiB.
	MaxStateBytes int64
}

const defaultMaxStateBytes = 2 << 30

const defaultMaxBlockLen = 256 << 20

// maxEventBlockLen bounds non-large event blocks, like libscap's 64 KiB
// read buffer.
const maxEventBlockLen = 65536 + 8

// Reader reads a capture file block by block. It is not safe for
// concurrent use; the events it returns alias its buffer until the next
// call to [Reader.Next].
type Reader struct {
	src     *bufio.Reader
	closer  io.Closer
	opts    ReaderOptions
	off     int64 // offset of the next block in the decompressed stream
	buf     []byte
	rec     []byte // converted v1 record
	section *Section
	nsect   int
	pending bool // buf holds an event block read while reading metadata
	pendTyp uint32
	pendOff int64
	num     uint64
	err     error  // sticky: the error (or io.EOF) that ended reading
	budget  budget // what the current section's state may still take
}

// NewReader opens a capture from r, plain or gzip-compressed, and reads
// its section header and metadata blocks.
func NewReader(r io.Reader, opts ReaderOptions) (*Reader, error) {
	if opts.MaxBlockLen == 0 {
		opts.MaxBlockLen = defaultMaxBlockLen
	}
	if opts.MaxStateBytes == 0 {
		opts.MaxStateBytes = defaultMaxStateBytes
	}
	br := bufio.NewReaderSize(r, 1<<16)
	rd := &Reader{opts: opts}
	if isGzip(br) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FormatError{Msg: "open gzip stream", Err: err}
		}
		zr.Multistream(false)
		rd.closer = zr
		br = bufio.NewReaderSize(&gzipStream{src: br, zr: zr}, 1<<16)
	}
	rd.src = br
	if err := rd.readSection(); err != nil {
		return nil, err
	}
	return rd, nil
}

func isGzip(br *bufio.Reader) bool {
	magic, err := br.Peek(2)
	return err == nil && magic[0] == 0x1f && magic[1] == 0x8b
}

// gzipStream decompresses a gzip file the way zlib's gzread does: members
// that follow one another are read as one stream, and bytes after a member
// that do not start another member are ignored.
type gzipStream struct {
	src *bufio.Reader
	zr  *gzip.Reader
}

func (g *gzipStream) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
		if !isGzip(g.src) {
			return 0, io.EOF
		}
		if err := g.zr.Reset(g.src); err != nil {
			return 0, err
		}
		g.zr.Multistream(false)
	}
}

// Section returns the metadata of the section being read.
func (r *Reader) Section() *Section { return r.section }

// SectionNum returns how many sections have started so far (1 for a plain
// capture). It changes when concatenated captures start a new section,
// whose state replaces the previous one.
func (r *Reader) SectionNum() int { return r.nsect }

// Offset returns the byte offset of the next block in the decompressed stream.
func (r *Reader) Offset() int64 { return r.off }

// Close releases the decompressor, if any. It does not close the
// underlying reader.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// readBlock reads the next block into r.buf (the whole block, header and
// trailer included). It returns io.EOF at a clean end of stream.
func (r *Reader) readBlock() (btype uint32, err error) {
	r.buf = slices.Grow(r.buf[:0], 8)[:8]
	hdr := r.buf
	n, err := io.ReadFull(r.src, hdr)
	switch {
	case err == io.EOF:
		return 0, io.EOF
	case err == io.ErrUnexpectedEOF:
		return 0, r.errf(0, nil, "truncated block header (%d of 8 bytes)", n)
	case err != nil:
		return 0, r.errf(0, err, "read block header")
	}
	btype = binary.LittleEndian.Uint32(hdr[0:])
	total := binary.LittleEndian.Uint32(hdr[4:])
	if btype == blockSHB {
		// The SHB type reads the same in both byte orders; say so
		// before the swapped length is taken for a huge block.
		if m, err := r.src.Peek(4); err == nil && binary.BigEndian.Uint32(m) == shbMagic {
			return btype, r.errf(btype, nil, "big-endian captures are not supported")
		}
	}
	if total < 12 || total%4 != 0 {
		return btype, r.errf(btype, nil, "bad block length %d: need a multiple of 4, at least 12", total)
	}
	if total > r.opts.MaxBlockLen {
		return btype, r.errf(btype, nil, "block length %d exceeds the limit of %d", total, r.opts.MaxBlockLen)
	}
	if err := r.fill(int(total)); err != nil {
		if err == io.ErrUnexpectedEOF {
			return btype, r.errf(btype, nil, "truncated block: %d of %d bytes", len(r.buf), total)
		}
		return btype, r.errf(btype, err, "read block of %d bytes", total)
	}
	return btype, nil
}

// fill reads a block of total bytes into r.buf, growing it only as the
// data arrives: each step adds at most as much as has been read so far
// (and at least 64 KiB). A lying length therefore costs memory in
// proportion to the bytes really in the stream, about twice as many plus
// 64 KiB, not to the length it claims. On error r.buf holds what was read.
// r.buf already holds the 8-byte block header.
func (r *Reader) fill(total int) error {
	for len(r.buf) < total {
		chunk := min(total-len(r.buf), max(len(r.buf), 64<<10))
		r.buf = slices.Grow(r.buf, chunk)
		start := len(r.buf)
		n, err := io.ReadFull(r.src, r.buf[start:start+chunk])
		r.buf = r.buf[:start+n]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func (r *Reader) errf(btype uint32, err error, format string, args ...any) error {
	return &FormatError{Offset: r.off, Block: btype, Msg: fmt.Sprintf(format, args...), Err: err}
}

// body returns the current block's body (without header and trailer) and
// checks the trailer.
func (r *Reader) body(btype uint32) ([]byte, error) {
	total := len(r.buf)
	if trailer := binary.LittleEndian.Uint32(r.buf[total-4:]); int(trailer) != total {
		return nil, r.errf(btype, nil, "block trailer %d does not match the length %d", trailer, total)
	}
	return r.buf[8 : total-4], nil
}

// readSection reads the first section header and the metadata blocks that
// follow, up to and including the first event block, which is left pending.
func (r *Reader) readSection() error {
	if t, err := r.src.Peek(4); err == nil && binary.LittleEndian.Uint32(t) != blockSHB {
		return r.errf(binary.LittleEndian.Uint32(t), nil, "not a capture: the first block is not a section header")
	}
	btype, err := r.readBlock()
	if err == io.EOF {
		return r.errf(0, nil, "empty capture")
	}
	if err != nil {
		return err
	}
	if btype != blockSHB {
		return r.errf(btype, nil, "not a capture: the first block is not a section header")
	}
	return r.readMetadata()
}

// readMetadata parses the section header in r.buf and the metadata blocks
// that follow, up to the first event block, which is left pending.
func (r *Reader) readMetadata() error {
	sec, err := r.parseSHB()
	if err != nil {
		return err
	}
	r.section = sec
	r.budget = budget(r.opts.MaxStateBytes)
	r.nsect++
	r.off += int64(len(r.buf))
	for {
		btype, err := r.readBlock()
		if err == io.EOF {
			return r.errf(0, nil, "no events in capture section")
		}
		if err != nil {
			return err
		}
		if isEventBlock(btype) {
			r.pending, r.pendTyp, r.pendOff = true, btype, r.off
			r.off += int64(len(r.buf))
			return nil
		}
		if err := r.parseMeta(btype); err != nil {
			return err
		}
		r.off += int64(len(r.buf))
	}
}

// Next reads the next event into ev, which views the reader's buffer until
// the following call. It returns io.EOF after the last event. Events of
// types beyond the reader's table are skipped, as sysdig does, and get no
// number. Once Next has returned an error, it returns the same error on
// every later call.
func (r *Reader) Next(ev *event.Event) error {
	if r.err != nil {
		return r.err
	}
	if err := r.next(ev); err != nil {
		r.err = err
		return err
	}
	return nil
}

func (r *Reader) next(ev *event.Event) error {
	for {
		btype, off := r.pendTyp, r.pendOff
		if r.pending {
			r.pending = false
		} else {
			var err error
			off = r.off
			btype, err = r.readBlock()
			if err != nil {
				return err
			}
			if btype == blockSHB {
				if err := r.readMetadata(); err != nil {
					return err
				}
				continue
			}
			r.off += int64(len(r.buf))
			if !isEventBlock(btype) {
				return &FormatError{Offset: off, Block: btype, Msg: "metadata block after events: only a new section header may follow events"}
			}
		}
		ok, err := r.decodeEvent(btype, ev)
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				fe.Offset = off
			}
			return err
		}
		if ok {
			r.num++
			ev.Num = r.num
			return nil
		}
	}
}
