package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadNotification is wrapped by the errors about SQS messages that
// are no notification of new objects.
var ErrBadNotification = errors.New("not an S3 object notification")

// Object names an S3 object.
type Object struct {
	Bucket string
	Key    string
}

// s3Event is an S3 event notification, and EventBridge's form of one.
type s3Event struct {
	Records []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		S3          struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	Event      string `json:"Event"` // s3:TestEvent
	DetailType string `json:"detail-type"`
	Detail     struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key string `json:"key"`
		} `json:"object"`
	} `json:"detail"`
}

// snsMessage is an SNS notification as delivered to SQS.
type snsMessage struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// trailNotice is CloudTrail's own notification of new log files.
type trailNotice struct {
	Bucket string   `json:"s3Bucket"`
	Keys   []string `json:"s3ObjectKey"`
}

// ParseNotification returns the objects an SQS message body announces,
// in the forms a CloudTrail bucket's notifications take: an S3 event
// notification (its ObjectCreated records; keys are URL-decoded), the
// same from EventBridge ("Object Created"), CloudTrail's own
// notification {"s3Bucket":..,"s3ObjectKey":[..]}, or any of these
// wrapped in an SNS notification. A notification of no new object (an
// S3 test event, a deletion) yields none and no error.
func ParseNotification(body []byte) ([]Object, error) {
	var sns snsMessage
	if err := json.Unmarshal(body, &sns); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	if sns.Type == "Notification" {
		objs, err := parseInner([]byte(sns.Message))
		if err != nil {
			return nil, fmt.Errorf("SNS message: %w", err)
		}
		return objs, nil
	}
	return parseInner(body)
}

// parseInner parses a notification that is not SNS-wrapped.
func parseInner(body []byte) ([]Object, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	if _, ok := probe["s3Bucket"]; ok {
		return parseTrailNotice(body)
	}
	var ev s3Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	switch {
	case ev.Records != nil:
		return objectsCreated(ev)
	case ev.Event == "s3:TestEvent":
		return nil, nil
	case ev.DetailType == "Object Created":
		if ev.Detail.Bucket.Name == "" || ev.Detail.Object.Key == "" {
			return nil, fmt.Errorf("%w: an Object Created event without bucket or key", ErrBadNotification)
		}
		return []Object{{Bucket: ev.Detail.Bucket.Name, Key: ev.Detail.Object.Key}}, nil
	case ev.DetailType != "":
		return nil, nil
	}
	return nil, fmt.Errorf("%w: neither Records, s3Bucket nor detail-type", ErrBadNotification)
}

func parseTrailNotice(body []byte) ([]Object, error) {
	var n trailNotice
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	if n.Bucket == "" {
		return nil, fmt.Errorf("%w: empty s3Bucket", ErrBadNotification)
	}
	out := make([]Object, 0, len(n.Keys))
	for _, k := range n.Keys {
		if k != "" {
			out = append(out, Object{Bucket: n.Bucket, Key: k})
		}
	}
	return out, nil
}

// objectsCreated returns the objects of an S3 event's ObjectCreated
// records.
func objectsCreated(ev s3Event) ([]Object, error) {
	var out []Object
	for i, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: key %q: %w", ErrBadNotification, i, r.S3.Object.Key, err)
		}
		if r.S3.Bucket.Name == "" || key == "" {
			return nil, fmt.Errorf("%w: record %d has no bucket or key", ErrBadNotification, i)
		}
		out = append(out, Object{Bucket: r.S3.Bucket.Name, Key: key})
	}
	return out, nil
}
