package cloudtrail

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// runS3 reads every log file under s3://bucket/prefix once.
func (r *runner) runS3(ctx context.Context, spec string) error {
	bucket, prefix, _ := strings.Cut(spec, "/")
	if bucket == "" {
		return fmt.Errorf("cloudtrail: s3://%s names no bucket", spec)
	}
	acfg, err := r.cfg.loadAWS(ctx, r.log)
	if err != nil {
		return err
	}
	client := r.cfg.s3Client(acfg)
	objs, err := r.listLogs(ctx, client, bucket, prefix)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("cloudtrail: s3://%s: %w", spec, err)
	}
	r.log.Info("reading CloudTrail logs from S3", "bucket", bucket, "prefix", prefix, "objects", len(objs))
	sp := &Splitter{MaxRecordSize: r.cfg.MaxRecordSize}
	r.fetchAll(ctx, client, objs, func(f fetched) {
		if f.err == nil {
			r.split(ctx, sp, f.obj.uri(), f.data)
		}
	})
	return nil
}

func (o Object) uri() string { return "s3://" + o.Bucket + "/" + o.Key }

// listLogs lists the log files under prefix in key order, within the
// configured accounts and interval.
func (r *runner) listLogs(ctx context.Context, client *s3.Client, bucket, prefix string) ([]Object, error) {
	start, end, err := parseInterval(r.cfg.S3Interval, time.Now())
	if err != nil {
		return nil, err
	}
	accts, err := accounts(r.cfg.S3AccountList)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, p := range prefixes(prefix, accts) {
		keys, err := r.listKeys(ctx, client, bucket, p)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if isLogKey(k) && inInterval(k, start, end) {
				out = append(out, Object{Bucket: bucket, Key: k})
			}
		}
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return slices.Compact(out), nil
}

// prefixes returns the prefixes to list: under an AWSLogs/ prefix with
// an account list, each account's CloudTrail/ logs; else prefix itself.
func prefixes(prefix string, accts []string) []string {
	re := regexp.MustCompile(`(^|/)AWSLogs(/o-[a-z0-9]{10,32})?/?$`)
	if len(accts) == 0 || !re.MatchString(prefix) {
		return []string{prefix}
	}
	base := strings.TrimSuffix(prefix, "/") + "/"
	out := make([]string, len(accts))
	for i, a := range accts {
		out[i] = base + a + "/CloudTrail/"
	}
	return out
}

// isLogKey reports whether a key names a log file: .json or .json.gz,
// and not a digest or Insights file.
func isLogKey(k string) bool {
	return isLogName(k) && !strings.Contains(k, "/CloudTrail-Digest/") && !strings.Contains(k, "/CloudTrail-Insight/")
}

// inInterval reports whether the time in a log file's name
// (…_CloudTrail_<region>_YYYYMMDDTHHmmZ_…) is within [start, end]; names
// without one are in every interval.
func inInterval(key string, start, end time.Time) bool {
	if start.IsZero() {
		return true
	}
	_, rest, ok := strings.Cut(key[strings.LastIndexByte(key, '/')+1:], "_CloudTrail_")
	if !ok {
		return true
	}
	_, rest, ok = strings.Cut(rest, "_")
	if !ok || len(rest) < 14 || rest[13] != 'Z' {
		return true
	}
	t, err := time.Parse("20060102T1504", rest[:13])
	if err != nil {
		return true
	}
	trunc := start.Truncate(time.Minute)
	return !t.Before(trunc) && (end.IsZero() || !t.After(end))
}

// listKeys lists every key under prefix.
func (r *runner) listKeys(ctx context.Context, client *s3.Client, bucket, prefix string) ([]string, error) {
	var keys []string
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		var page *s3.ListObjectsV2Output
		err := r.retry(ctx, "list s3://"+bucket+"/"+prefix, isGone, func() (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// isGone reports whether an S3 error will not go away by retrying: the
// bucket or the object does not exist.
func isGone(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "NoSuchKey", "NoSuchBucket", "NotFound", "InvalidObjectState":
		return true
	}
	return false
}

// fetched is an object's content, or why it could not be had.
type fetched struct {
	obj  Object
	data []byte
	err  error
	// retry is set when err may go away later (an AWS failure), clear
	// when the object is malformed or gone.
	retry bool
}

// fetchAll downloads objs, up to the configured number at once, and
// hands each result to use on the calling goroutine, in the order of
// objs. It returns once every download has ended; when ctx ends the rest
// are abandoned (and not handed to use).
func (r *runner) fetchAll(ctx context.Context, client *s3.Client, objs []Object, use func(fetched)) {
	slots := make(chan chan fetched, r.cfg.concurrency()-1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(slots)
		for _, o := range objs {
			ch := make(chan fetched, 1)
			select {
			case slots <- ch:
			case <-ctx.Done():
				return
			}
			wg.Go(func() { ch <- r.download(ctx, client, o) })
		}
	})
	for ch := range slots {
		if f := <-ch; ctx.Err() == nil {
			use(f)
		}
	}
	wg.Wait()
}

// download fetches one log file, decompressed; its problems are counted
// and logged.
func (r *runner) download(ctx context.Context, client *s3.Client, o Object) fetched {
	f := fetched{obj: o}
	var bad error // the content's fault, which retrying cannot mend
	f.err = r.retry(ctx, "get "+o.uri(), isGone, func() error {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		f.data, err = readLog(out.Body, r.cfg.MaxFileSize)
		if isMalformed(err) {
			bad, err = err, nil
		}
		return err
	})
	switch {
	case f.err == nil && bad != nil:
		f.err = bad
		r.invalid(o.uri(), bad)
	case f.err == nil || ctx.Err() != nil:
	case isGone(f.err):
		r.invalid(o.uri(), f.err)
	default:
		f.retry = true
		r.log.Error("S3 object not read", "object", o.uri(), "error", f.err.Error())
	}
	return f
}

// isMalformed reports whether a read error comes from the content
// rather than the transfer.
func isMalformed(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, ErrTooLarge) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}
