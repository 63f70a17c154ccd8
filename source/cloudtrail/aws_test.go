package cloudtrail

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// awsEnv points the AWS SDK at test credentials and keeps it off the
// network and the user's files.
func awsEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
		"AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
}

// flaky fails the GETs of keys with a path suffix with 500, the given
// number of times each (-1: always), before handing on.
type flaky struct {
	next http.Handler
	mu   sync.Mutex
	left map[string]int
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fail := false
	for suffix, n := range f.left {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, suffix) && n != 0 {
			f.left[suffix] = n - 1
			fail = true
		}
	}
	f.mu.Unlock()
	if fail {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>try again</Message></Error>`)
		return
	}
	f.next.ServeHTTP(w, r)
}

// fakeS3 serves an in-memory S3 holding bucket with objs.
func fakeS3(t *testing.T, bucket string, objs map[string][]byte) (*flaky, string) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	for k, v := range objs {
		if _, err := be.PutObject(bucket, k, map[string]string{}, bytes.NewReader(v), int64(len(v)), nil); err != nil {
			t.Fatal(err)
		}
	}
	f := &flaky{next: gofakes3.New(be).Server(), left: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// sqsQueue is one queue of a fake SQS speaking the AWS JSON 1.0
// protocol: GetQueueUrl, ReceiveMessage (without long polling) and
// DeleteMessage.
type sqsQueue struct {
	name       string
	visibility time.Duration
	url        string

	mu          sync.Mutex
	msgs        []*sqsMsg
	deleted     []string
	receives    int
	failReceive int // receives still to fail
	seq         int
}

type sqsMsg struct {
	id, body, receipt string
	hiddenUntil       time.Time
}

func newSQS(t *testing.T, name string, bodies ...string) *sqsQueue {
	q := &sqsQueue{name: name, visibility: 300 * time.Millisecond}
	for i, b := range bodies {
		q.msgs = append(q.msgs, &sqsMsg{id: fmt.Sprintf("m%d", i), body: b})
	}
	srv := httptest.NewServer(q)
	t.Cleanup(srv.Close)
	q.url = srv.URL
	return q
}

func (q *sqsQueue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		QueueName, QueueUrl, ReceiptHandle string
		MaxNumberOfMessages                int
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		q.fail(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSQS.GetQueueUrl":
		if in.QueueName != q.name {
			q.fail(w, http.StatusBadRequest, "com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		q.reply(w, map[string]any{"QueueUrl": q.url + "/123456789012/" + q.name})
	case "AmazonSQS.ReceiveMessage":
		q.receive(w, in.MaxNumberOfMessages)
	case "AmazonSQS.DeleteMessage":
		for i, m := range q.msgs {
			if m.receipt == in.ReceiptHandle {
				q.deleted = append(q.deleted, m.id)
				q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
				break
			}
		}
		q.reply(w, map[string]any{})
	default:
		q.fail(w, http.StatusBadRequest, "InvalidAction", r.Header.Get("X-Amz-Target"))
	}
}

func (q *sqsQueue) receive(w http.ResponseWriter, max int) {
	q.receives++
	if q.failReceive > 0 {
		q.failReceive--
		q.fail(w, http.StatusInternalServerError, "InternalError", "try again")
		return
	}
	var out []map[string]any
	now := time.Now()
	for _, m := range q.msgs {
		if len(out) == max || now.Before(m.hiddenUntil) {
			continue
		}
		q.seq++
		m.receipt, m.hiddenUntil = fmt.Sprintf("rh-%s-%d", m.id, q.seq), now.Add(q.visibility)
		sum := md5.Sum([]byte(m.body))
		out = append(out, map[string]any{"MessageId": m.id, "ReceiptHandle": m.receipt, "MD5OfBody": hex.EncodeToString(sum[:]), "Body": m.body})
	}
	q.reply(w, map[string]any{"Messages": out})
}

func (q *sqsQueue) reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(v)
}

func (q *sqsQueue) fail(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (q *sqsQueue) state() (left int, deleted []string, receives int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs), append([]string(nil), q.deleted...), q.receives
}

// s3Notice is an S3 event notification of new objects.
func s3Notice(t *testing.T, bucket string, keys ...string) string {
	var recs []any
	for _, k := range keys {
		recs = append(recs, map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2024-05-01T10:05:30.000Z",
			"eventName": "ObjectCreated:Put",
			"s3": map[string]any{"s3SchemaVersion": "1.0", "bucket": map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
				"object": map[string]any{"key": strings.ReplaceAll(k, "_", "%5F"), "size": 100}},
		})
	}
	return string(srctest.JSON(t, map[string]any{"Records": recs}))
}

// snsWrap wraps a message as SNS delivers it to SQS.
func snsWrap(t *testing.T, msg string) string {
	return string(srctest.JSON(t, map[string]any{
		"Type": "Notification", "MessageId": "5b0e", "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail",
		"Message": msg, "Timestamp": "2024-05-01T10:05:31.000Z", "SignatureVersion": "1",
	}))
}

// runAsync runs Run until stop is called, which returns Run's error.
func runAsync(input string, cfg Config, q *jsonsrc.Queue, stats *jsonsrc.Stats) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, input, cfg, q, stats, nil) }()
	return func() error {
		cancel()
		return <-done
	}
}

// waitFor polls cond for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// collect gathers queued records' event names as they arrive.
type collect struct {
	mu    sync.Mutex
	names []string
}

func (c *collect) from(q *jsonsrc.Queue) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var dec Decoder
		fc := newCtx()
		var s split
		for {
			select {
			case it := <-q.Items():
				if dec.Decode(fc, it.Data, it.TS) != nil {
					continue
				}
				s.emit(it.Data, it.TS)
				c.mu.Lock()
				c.names = append([]string(nil), s.names...)
				c.mu.Unlock()
			case <-done:
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (c *collect) got() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.names, ",")
}

func testConfig(s3url, sqsurl string) Config {
	return Config{RetryInterval: 10 * time.Millisecond, MaxAttempts: 3, S3DownloadConcurrency: 3,
		AWS: AWSConfig{Region: "us-east-1", S3Endpoint: s3url, SQSEndpoint: sqsurl}}
}

func TestRunS3(t *testing.T) {
	awsEnv(t)
	_, url := fakeS3(t, "trail", logTree(t))
	for _, c := range []struct {
		name, input string
		mod         func(*Config)
		want        string
		invalid     uint64
	}{
		{"whole bucket", "s3://trail", nil, "A,B,C,D,E,W", 2},
		{"one region", "s3://trail/AWSLogs/123456789012/CloudTrail/us-west-2/", nil, "W", 0},
		{"interval", "s3://trail/AWSLogs/", func(c *Config) { c.S3Interval = "2024-05-01T10:03:00Z-2024-05-01T10:12:00Z" }, "C,D,E", 0},
		{"account list", "s3://trail/AWSLogs/", func(c *Config) { c.S3AccountList = "123456789012, 210987654321" }, "A,B,C,D,E,W", 2},
		{"other account", "s3://trail/AWSLogs/", func(c *Config) { c.S3AccountList = "210987654321" }, "", 0},
		{"one at a time", "s3://trail", func(c *Config) { c.S3DownloadConcurrency = 1 }, "A,B,C,D,E,W", 2},
	} {
		cfg := testConfig(url, "")
		if c.mod != nil {
			c.mod(&cfg)
		}
		stats := &jsonsrc.Stats{}
		q := jsonsrc.NewQueue(100, stats)
		if err := Run(context.Background(), c.input, cfg, q, stats, nil); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := drain(q); got != c.want || stats.Snapshot().Invalid != c.invalid {
			t.Errorf("%s: queued %q, stats %+v", c.name, got, stats.Snapshot())
		}
	}
	stats := &jsonsrc.Stats{}
	err := Run(context.Background(), "s3://no-such-bucket/x", testConfig(url, ""), jsonsrc.NewQueue(1, stats), stats, nil)
	if err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("missing bucket: %v", err)
	}
}

func TestRunS3Retry(t *testing.T) {
	awsEnv(t)
	f, url := fakeS3(t, "trail", logTree(t))
	f.left["_a.json.gz"] = 2 // fails twice, then works
	f.left["_c.json"] = -1   // always fails
	stats := &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(100, stats)
	if err := Run(context.Background(), "s3://trail", testConfig(url, ""), q, stats, nil); err != nil {
		t.Fatal(err)
	}
	if got := drain(q); got != "A,B,C,D,W" {
		t.Errorf("queued %s", got)
	}
	if sn := stats.Snapshot(); sn.Rejected != 5 || sn.Invalid != 2 {
		t.Errorf("stats %+v, want 5 rejected calls (2 + 3 attempts)", sn)
	}
}

const day = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T"

func TestRunSQS(t *testing.T) {
	awsEnv(t)
	_, s3url := fakeS3(t, "trail", logTree(t))
	trailNotice := string(srctest.JSON(t, map[string]any{"s3Bucket": "trail", "s3ObjectKey": []any{day + "1005Z_b.json.gz", day + "1010Z_c.json"}}))
	q := newSQS(t, "ct-queue",
		s3Notice(t, "trail", day+"1000Z_a.json.gz"), // m0: S3 event
		snsWrap(t, trailNotice),                     // m1: CloudTrail's notification through SNS
		snsWrap(t, s3Notice(t, "trail", "AWSLogs/123456789012/CloudTrail/us-west-2/2024/05/01/123456789012_CloudTrail_us-west-2_20240501T1000Z_f.json.gz")), // m2: S3 event through SNS
		"hello", // m3: malformed
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-05-01T10:00:00.000Z","Bucket":"trail"}`, // m4: test event
		s3Notice(t, "trail", day+"9999Z_gone.json.gz"),                                                      // m5: an object that is not there
		s3Notice(t, "trail", day+"1015Z_d.json.gz"),                                                         // m6: a bad object
	)
	stats := &jsonsrc.Stats{}
	queue := jsonsrc.NewQueue(100, stats)
	var c collect
	stopCollect := c.from(queue)
	defer stopCollect()
	stop := runAsync("sqs://ct-queue", testConfig(s3url, q.url), queue, stats)
	waitFor(t, "every message deleted", func() bool { left, _, _ := q.state(); return left == 0 })
	waitFor(t, "every record", func() bool { return c.got() == "A,B,C,D,E,W" })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, deleted, _ := q.state(); strings.Join(deleted, ",") != "m0,m1,m2,m3,m4,m5,m6" {
		t.Errorf("deleted %v", deleted)
	}
	if sn := stats.Snapshot(); sn.Invalid != 3 || sn.Events != 6 {
		t.Errorf("stats %+v, want 3 invalid (message, missing object, bad gzip)", sn)
	}
}

func TestRunSQSRetries(t *testing.T) {
	awsEnv(t)
	f, s3url := fakeS3(t, "trail", logTree(t))
	f.left["_b.json.gz"] = -1 // never readable: its message stays
	q := newSQS(t, "ct-queue", s3Notice(t, "trail", day+"1000Z_a.json.gz"), s3Notice(t, "trail", day+"1005Z_b.json.gz"))
	q.failReceive = 3
	stats := &jsonsrc.Stats{}
	queue := jsonsrc.NewQueue(100, stats)
	var c collect
	stopCollect := c.from(queue)
	defer stopCollect()
	stop := runAsync("sqs://ct-queue", testConfig(s3url, q.url), queue, stats)
	waitFor(t, "the readable message deleted", func() bool { _, deleted, _ := q.state(); return len(deleted) == 1 })
	waitFor(t, "the kept message redelivered", func() bool { return stats.Snapshot().Rejected >= 3+2*3 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	left, deleted, receives := q.state()
	if left != 1 || deleted[0] != "m0" || c.got() != "A,B" {
		t.Errorf("left %d, deleted %v, records %s", left, deleted, c.got())
	}
	if receives > 20 {
		t.Errorf("%d receives: polling too fast", receives)
	}
}

func TestRunSQSKeep(t *testing.T) {
	awsEnv(t)
	_, s3url := fakeS3(t, "trail", logTree(t))
	q := newSQS(t, "ct-queue", s3Notice(t, "trail", day+"1000Z_a.json.gz"))
	q.visibility = time.Hour
	stats := &jsonsrc.Stats{}
	queue := jsonsrc.NewQueue(100, stats)
	cfg := testConfig(s3url, q.url)
	keep := false
	cfg.SQSDelete = &keep
	stop := runAsync("sqs://ct-queue", cfg, queue, stats)
	waitFor(t, "the records", func() bool { return stats.Snapshot().Events == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if left, deleted, _ := q.state(); left != 1 || len(deleted) != 0 {
		t.Errorf("left %d, deleted %v", left, deleted)
	}
}

func TestRunSQSUnknownQueue(t *testing.T) {
	awsEnv(t)
	q := newSQS(t, "ct-queue")
	stats := &jsonsrc.Stats{}
	err := Run(context.Background(), "sqs://other", testConfig("", q.url), jsonsrc.NewQueue(1, stats), stats, nil)
	if err == nil || !strings.Contains(err.Error(), "QueueDoesNotExist") {
		t.Errorf("unknown queue: %v", err)
	}
}

// TestRunSQSUnreachable checks that a queue that cannot be reached is
// retried, not given up on, and that Run still ends with its context.
func TestRunSQSUnreachable(t *testing.T) {
	awsEnv(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	stats := &jsonsrc.Stats{}
	stop := runAsync("sqs://ct-queue", testConfig("", url), jsonsrc.NewQueue(1, stats), stats)
	waitFor(t, "retries", func() bool { return stats.Snapshot().Rejected >= 3 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
