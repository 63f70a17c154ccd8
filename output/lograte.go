package output

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// logEvery is the least time between two log lines about the same trouble
// with one output, so a dead output does not flood the log.
const logEvery = 10 * time.Second

// failLog logs an output's delivery errors: at most one line per logEvery,
// saying how many errors it kept quiet, and one line when the output
// works again. Only the output's worker uses it.
type failLog struct {
	log     *slog.Logger
	every   time.Duration
	last    time.Time
	quiet   int // errors not logged since the last line
	failing int // failures since the last success
}

func (l *failLog) failed(err error) {
	l.failing++
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.quiet++
		return
	}
	l.log.Error("output failing", "err", err, "suppressed", l.quiet)
	l.last, l.quiet = now, 0
}

func (l *failLog) succeeded() {
	if l.failing == 0 {
		return
	}
	l.log.Info("output recovered", "failures", l.failing)
	l.failing = 0
}

// dropLog logs queue-full drops, at most one line per logEvery. Publish
// calls it from any goroutine.
type dropLog struct {
	log   *slog.Logger
	every time.Duration
	next  atomic.Int64 // unix nanoseconds before which drops are not logged
}

func (d *dropLog) dropped(total uint64) {
	now := time.Now().UnixNano()
	next := d.next.Load()
	if now < next || !d.next.CompareAndSwap(next, now+int64(d.every)) {
		return
	}
	d.log.Warn("output queue full, dropping alerts", "dropped", total)
}
