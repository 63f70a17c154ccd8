package output

import (
	"context"

	"github.com/kestrel-sec/kestrel/alert"
)

// Sink is one output. Its worker is the only goroutine that calls it, so
// a Sink needs no locks.
type Sink interface {
	// Name names the output in stats and logs: "stdout", "file", ...
	Name() string
	// Render appends the payload for a to dst. It does no I/O.
	Render(dst []byte, a *alert.Alert) []byte
	// Send delivers one payload made by Render. It must not keep payload
	// after it returns. ctx ends when the fan-out gives up on delivery.
	Send(ctx context.Context, payload []byte) error
	// Flush writes out what Send has buffered. ctx ends when the fan-out
	// gives up on delivery.
	Flush(ctx context.Context) error
	// Close flushes and releases files, connections and processes. ctx
	// bounds how long it waits for them to end gracefully.
	Close(ctx context.Context) error
}

// Reopener is a Sink that can start afresh: a file output reopens its
// file (after logrotate moved it), a program output restarts its program.
// Operators ask for it with SIGUSR1, as with Falco.
type Reopener interface {
	Reopen(ctx context.Context) error
}

// Format is how an alert becomes a line for stdout, file, syslog and
// program outputs: Falco's json_output and json_include_* keys.
type Format struct {
	JSON        bool // json_output
	JSONOptions alert.JSONOptions
}

// appendLine appends a's line, without a newline.
func (f Format) appendLine(dst []byte, a *alert.Alert) []byte {
	if f.JSON {
		return a.AppendJSON(dst, f.JSONOptions)
	}
	return a.AppendText(dst)
}
