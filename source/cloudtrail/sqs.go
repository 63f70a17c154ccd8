package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// minPoll is the shortest time between two receives that found no
// message, so that a queue answering at once never makes a busy loop.
const minPoll = time.Second

// runSQS reads the log files the notifications on a queue announce,
// until ctx ends.
func (r *runner) runSQS(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("cloudtrail: sqs:// names no queue")
	}
	acfg, err := r.cfg.loadAWS(ctx, r.log)
	if err != nil {
		return err
	}
	sq, s3c := r.cfg.sqsClient(acfg), r.cfg.s3Client(acfg)
	url, err := r.queueURL(ctx, sq, name)
	if err != nil || url == "" {
		return err
	}
	r.log.Info("reading CloudTrail logs announced on SQS", "queue", url)
	sp := &Splitter{MaxRecordSize: r.cfg.MaxRecordSize}
	bo := newBackoff(r.cfg.retryInterval())
	for ctx.Err() == nil {
		start := time.Now()
		r.stats.AddRequest()
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: r.cfg.waitSeconds()})
		switch {
		case ctx.Err() != nil:
		case err != nil:
			r.stats.AddRejected()
			r.log.Warn("SQS receive failed", "queue", url, "error", err.Error())
			bo.wait(ctx)
		case len(out.Messages) == 0:
			bo.reset()
			jsonsrc.Sleep(ctx, minPoll-time.Since(start))
		default:
			bo.reset()
			for _, m := range out.Messages {
				r.handleMessage(ctx, sq, s3c, sp, url, m)
			}
		}
	}
	return nil
}

// queueURL finds the queue's URL, retrying while the failure may pass;
// it returns "" and no error when ctx ends first.
func (r *runner) queueURL(ctx context.Context, sq *sqs.Client, name string) (string, error) {
	in := &sqs.GetQueueUrlInput{QueueName: aws.String(name)}
	if r.cfg.SQSOwnerAccount != "" {
		in.QueueOwnerAWSAccountId = aws.String(r.cfg.SQSOwnerAccount)
	}
	bo := newBackoff(r.cfg.retryInterval())
	for {
		r.stats.AddRequest()
		out, err := sq.GetQueueUrl(ctx, in)
		switch {
		case err == nil:
			return aws.ToString(out.QueueUrl), nil
		case ctx.Err() != nil:
			return "", nil
		}
		r.stats.AddRejected()
		if noQueue(err) {
			return "", fmt.Errorf("cloudtrail: sqs://%s: %w", name, err)
		}
		r.log.Warn("SQS queue lookup failed", "queue", name, "error", err.Error())
		if !bo.wait(ctx) {
			return "", nil
		}
	}
}

// noQueue reports whether an SQS error says the queue does not exist or
// may not be used, which retrying will not mend.
func noQueue(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "AccessDenied", "AccessDeniedException", "InvalidAddress":
		return true
	}
	return false
}

// handleMessage reads the objects a message announces and deletes it
// when done: when every object was read or found malformed or gone, or
// the message itself is malformed. A message whose objects could not be
// read is kept, to come back once its visibility timeout passes.
func (r *runner) handleMessage(ctx context.Context, sq *sqs.Client, s3c *s3.Client, sp *Splitter, url string, m types.Message) {
	objs, err := ParseNotification([]byte(aws.ToString(m.Body)))
	if err != nil {
		r.invalid("SQS message "+aws.ToString(m.MessageId), err)
	}
	done := true
	r.fetchAll(ctx, s3c, objs, func(f fetched) {
		done = done && !f.retry
		if f.err == nil {
			r.split(ctx, sp, f.obj.uri(), f.data)
		}
	})
	if !done || ctx.Err() != nil || !r.cfg.sqsDelete() {
		return
	}
	err = r.retry(ctx, "delete SQS message "+aws.ToString(m.MessageId), noQueue, func() error {
		_, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		return err
	})
	if err != nil && ctx.Err() == nil {
		r.log.Error("SQS message kept: its records may be read again", "message", aws.ToString(m.MessageId), "error", err.Error())
	}
}
