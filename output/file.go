package output

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kestrel-sec/kestrel/alert"
)

// FileOptions configure the file output (file_output).
type FileOptions struct {
	Enabled  bool   // file_output.enabled
	Filename string // file_output.filename: alerts are appended to it
	// KeepAlive is file_output.keep_alive: keep the file open between
	// alerts, instead of opening and closing it for each alert. Reopen
	// (SIGUSR1) closes and opens it again, for logrotate.
	KeepAlive bool
}

// fileSink appends one line per alert to a file it creates with mode
// 0600.
type fileSink struct {
	path     string
	keep     bool
	buffered bool
	format   Format
	f        *os.File
	bw       *bufio.Writer // nil unless buffered and kept open
}

func newFile(o FileOptions, f Format, buffered bool) (*fileSink, error) {
	if o.Filename == "" {
		return nil, errors.New("file_output.filename: empty")
	}
	return &fileSink{path: o.Filename, keep: o.KeepAlive, buffered: buffered, format: f}, nil
}

func (s *fileSink) Name() string { return "file" }

// Render appends the alert's line and a newline.
func (s *fileSink) Render(dst []byte, a *alert.Alert) []byte {
	return append(s.format.appendLine(dst, a), '\n')
}

func (s *fileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open alert file: %w", err)
	}
	s.f = f
	if s.keep && s.buffered {
		s.bw = bufio.NewWriterSize(f, 64<<10)
	}
	return nil
}

func (s *fileSink) Send(ctx context.Context, payload []byte) error {
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	var err error
	if s.bw != nil {
		_, err = s.bw.Write(payload)
	} else {
		_, err = s.f.Write(payload)
	}
	if err != nil {
		// Start afresh with the next alert: the file may be back by then.
		return errors.Join(fmt.Errorf("write %s: %w", s.path, err), s.Close(ctx))
	}
	if !s.keep {
		return s.Close(ctx)
	}
	return nil
}

func (s *fileSink) Flush(context.Context) error {
	if s.bw == nil {
		return nil
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// Reopen closes the file and, with keep_alive, opens its path again: a
// file logrotate renamed is left alone and a new one is created.
func (s *fileSink) Reopen(ctx context.Context) error {
	if err := s.Close(ctx); err != nil {
		return err
	}
	if !s.keep {
		return nil
	}
	return s.open()
}

// Close flushes and closes the file; the next alert opens it again.
func (s *fileSink) Close(ctx context.Context) error {
	if s.f == nil {
		return nil
	}
	err := s.Flush(ctx)
	if cerr := s.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close %s: %w", s.path, cerr)
	}
	s.f, s.bw = nil, nil
	return err
}
