package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// Run reads the CloudTrail input named by input, in the forms of the
// cloudtrail plugin's open parameters, and queues its records on q,
// waiting for room:
//
//   - a path: a log file (.json or .json.gz, or JSON lines), or a
//     directory tree of them read in path order; Run returns when all is
//     read;
//   - s3://bucket[/prefix]: every log file under the prefix, once, in
//     key order; Run returns when all is read;
//   - sqs://queue-name: the log files that S3 or CloudTrail notifications
//     on the queue announce, as they come, until ctx ends.
//
// A malformed file, object, message or record is counted as invalid in
// stats, logged and skipped. A failed AWS call is counted as rejected,
// logged and retried after a growing wait. Run returns early, with nil,
// when ctx ends; it returns an error for an input it cannot read at all
// (a missing path, a bucket that cannot be listed, an unknown queue).
// log may be nil.
func Run(ctx context.Context, input string, cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if stats == nil {
		stats = &jsonsrc.Stats{}
	}
	r := &runner{cfg: cfg, q: q, stats: stats, log: log.With("source", SourceName)}
	switch {
	case strings.HasPrefix(input, "s3://"):
		return r.runS3(ctx, strings.TrimPrefix(input, "s3://"))
	case strings.HasPrefix(input, "sqs://"):
		return r.runSQS(ctx, strings.TrimPrefix(input, "sqs://"))
	case input == "":
		return errors.New("cloudtrail: no input: give a path, s3://bucket/prefix or sqs://queue")
	}
	return r.runFiles(ctx, input)
}

// runner is one Run's state.
type runner struct {
	cfg   Config
	q     *jsonsrc.Queue
	stats *jsonsrc.Stats
	log   *slog.Logger
}

// emitter returns the function that queues records, copying them.
func (r *runner) emitter(ctx context.Context) func(rec []byte, ts uint64) {
	return func(rec []byte, ts uint64) {
		r.q.Put(jsonsrc.Item{Data: bytes.Clone(rec), TS: ts}, ctx.Done())
	}
}

func (r *runner) runFiles(ctx context.Context, path string) error {
	fr := FileReader{MaxRecordSize: r.cfg.MaxRecordSize, MaxFileSize: r.cfg.MaxFileSize,
		Emit: r.emitter(ctx), Stats: r.stats, Log: r.log}
	return fr.Read(ctx, path)
}

// split queues the records of one log file's content; its problems are
// counted and logged.
func (r *runner) split(ctx context.Context, sp *Splitter, name string, data []byte) {
	skipped, err := sp.Split(data, r.emitter(ctx))
	if err != nil {
		skipped = append(skipped, err)
	}
	for _, e := range skipped {
		r.invalid(name, e)
	}
}

func (r *runner) invalid(name string, err error) {
	r.stats.AddInvalid(1)
	r.log.Warn("cloudtrail input skipped", "object", name, "error", err.Error())
}

// backoff paces retries: each wait doubles, from the configured
// interval up to a minute, until reset.
type backoff struct {
	first, next time.Duration
}

func newBackoff(first time.Duration) *backoff { return &backoff{first: first, next: first} }

func (b *backoff) reset() { b.next = b.first }

// wait sleeps for the next interval; it returns false when ctx ends
// first.
func (b *backoff) wait(ctx context.Context) bool {
	d := b.next
	b.next = min(2*b.next, time.Minute)
	return jsonsrc.Sleep(ctx, d)
}

// retry calls f up to the configured number of attempts, counting each
// call and each failure, waiting between failures; it stops early when f
// fails for good (permanent reports so) or ctx ends, and returns f's
// last error.
func (r *runner) retry(ctx context.Context, what string, permanent func(error) bool, f func() error) error {
	bo := newBackoff(r.cfg.retryInterval())
	var err error
	for i := 0; i < r.cfg.attempts(); i++ {
		r.stats.AddRequest()
		if err = f(); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.stats.AddRejected()
		r.log.Warn("AWS call failed", "call", what, "attempt", i+1, "error", err.Error())
		if permanent(err) || i+1 == r.cfg.attempts() || !bo.wait(ctx) {
			break
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
