package output

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kestrel-sec/kestrel/alert"
)

// StdoutOptions configure the standard output (stdout_output).
type StdoutOptions struct {
	Enabled bool // stdout_output.enabled
	// Writer receives the alert lines; nil is os.Stdout.
	Writer io.Writer
}

// stdoutSink writes one line per alert, text or JSON.
type stdoutSink struct {
	w      io.Writer
	bw     *bufio.Writer // nil unless buffered
	format Format
}

func newStdout(o StdoutOptions, f Format, buffered bool) *stdoutSink {
	s := &stdoutSink{w: o.Writer, format: f}
	if s.w == nil {
		s.w = os.Stdout
	}
	if buffered {
		s.bw = bufio.NewWriterSize(s.w, 64<<10)
	}
	return s
}

func (s *stdoutSink) Name() string { return "stdout" }

// Render appends the alert's line and a newline.
func (s *stdoutSink) Render(dst []byte, a *alert.Alert) []byte {
	return append(s.format.appendLine(dst, a), '\n')
}

func (s *stdoutSink) Send(_ context.Context, payload []byte) error {
	var err error
	if s.bw != nil {
		_, err = s.bw.Write(payload)
	} else {
		_, err = s.w.Write(payload)
	}
	if err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

func (s *stdoutSink) Flush(context.Context) error {
	if s.bw == nil {
		return nil
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

func (s *stdoutSink) Close(ctx context.Context) error { return s.Flush(ctx) }
