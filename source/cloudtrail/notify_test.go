package cloudtrail

import (
	"errors"
	"slices"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/srctest"
)

func TestParseNotification(t *testing.T) {
	s3ev := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"trail"},"object":{"key":"AWSLogs/a+b%3Dc.json.gz"}}},` +
		`{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"trail"},"object":{"key":"old.json.gz"}}}]}`
	trail := `{"s3Bucket":"trail","s3ObjectKey":["k1.json.gz","k2.json.gz"]}`
	sns := func(msg string) string {
		return string(srctest.JSON(t, map[string]any{"Type": "Notification", "MessageId": "1", "Message": msg}))
	}
	for _, c := range []struct {
		name string
		body string
		want []Object
		err  error
	}{
		{"S3 event", s3ev, []Object{{"trail", "AWSLogs/a b=c.json.gz"}}, nil},
		{"S3 event via SNS", sns(s3ev), []Object{{"trail", "AWSLogs/a b=c.json.gz"}}, nil},
		{"CloudTrail notification", trail, []Object{{"trail", "k1.json.gz"}, {"trail", "k2.json.gz"}}, nil},
		{"CloudTrail notification via SNS", sns(trail), []Object{{"trail", "k1.json.gz"}, {"trail", "k2.json.gz"}}, nil},
		{"EventBridge", `{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"trail"},"object":{"key":"k.json.gz"}}}`, []Object{{"trail", "k.json.gz"}}, nil},
		{"EventBridge deletion", `{"detail-type":"Object Deleted","detail":{"bucket":{"name":"trail"},"object":{"key":"k"}}}`, nil, nil},
		{"S3 test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"trail"}`, nil, nil},
		{"not JSON", `hello`, nil, ErrBadNotification},
		{"SNS of garbage", sns("hello"), nil, ErrBadNotification},
		{"unrelated JSON", `{"a":1}`, nil, ErrBadNotification},
		{"bad key escape", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`, nil, ErrBadNotification},
		{"no bucket", `{"s3Bucket":"","s3ObjectKey":["k"]}`, nil, ErrBadNotification},
		{"keys not a list", `{"s3Bucket":"b","s3ObjectKey":"k"}`, nil, ErrBadNotification},
	} {
		got, err := ParseNotification([]byte(c.body))
		if !slices.Equal(got, c.want) || !errors.Is(err, c.err) || (err != nil) != (c.err != nil) {
			t.Errorf("%s: %v, %v", c.name, got, err)
		}
	}
}
