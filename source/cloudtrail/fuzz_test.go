package cloudtrail

import (
	"testing"

	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// FuzzDecode feeds arbitrary bytes to Detect, the splitter, the decoder
// and every field: nothing may panic, whatever the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventVersion":"1.09","eventTime":"2024-05-01T10:00:00Z","eventType":"AwsApiCall","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userIdentity":{"type":"AssumedRole","arn":"a/b/c","principalId":"x:y","sessionContext":{"sessionIssuer":{"userName":"r"}}},"responseElements":{"instancesSet":{"items":[{"imageId":"ami-1"},{"imageId":2}]}},"requestParameters":{"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":"n"}]}]}}}]}`,
		`{"eventVersion":"1.0","eventSource":"s3.amazonaws.com","eventTime":"2024-05-01T10:00:00.5Z","eventType":"AwsApiCall","eventName":"PutBucketPublicAccessBlock","userIdentity":{"type":"AWSService","invokedBy":"s"},"sourceIPAddress":"s","requestParameters":{"bucketName":"b","key":"k","PublicAccessBlockConfiguration":{"BlockPublicAcls":true}},"additionalEventData":{"bytesTransferredIn":1e30,"bytesTransferredOut":-3.5},"resources":[{"a":1},2,"x"]}`,
		"{\"eventVersion\":\"1\",\"eventSource\":\"x\",\"eventTime\":\"2024-05-01T10:00:00Z\",\"eventType\":\"t\"}\n{bad\n[1,2]",
		`[{"eventVersion":"1","eventSource":"x","eventTime":"bad","eventType":"t","userIdentity":{"type":"Root"}}]`,
		`{"Records":{}}`, `{"userIdentity":{"type":"\u0041ssumedRole","arn":"\u002f\u002f"}}`, `"`, `[`, "", "\x1f\x8b\x08",
	} {
		f.Add([]byte(s))
	}
	fmts := srctest.Formats(f, Registry(), "[/userIdentity/type]", "[0]", "[1]", "[7]")
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		var sp Splitter
		judge := srctest.Exercise(&Decoder{}, fmts)
		sp.Split(data, judge)
		judge(data, 1)
	})
}

// FuzzParseNotification feeds arbitrary SQS message bodies to the
// notification parser: nothing may panic, and every object it returns
// names a bucket and a key.
func FuzzParseNotification(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%20b+c"}}}]}`,
		`{"Type":"Notification","Message":"{\"s3Bucket\":\"b\",\"s3ObjectKey\":[\"k\",\"\"]}"}`,
		`{"detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`,
		`{"Event":"s3:TestEvent"}`, `{"Type":"Notification","Message":"{\"Records\":null}"}`, `[]`, `null`, `"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := ParseNotification(body)
		if err != nil && len(objs) > 0 {
			t.Fatalf("objects %v with error %v", objs, err)
		}
		for _, o := range objs {
			if o.Bucket == "" || o.Key == "" {
				t.Fatalf("object %+v", o)
			}
		}
	})
}
