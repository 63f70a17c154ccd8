package cloudtrail

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestConfigYAML(t *testing.T) {
	var c Config
	src := "sqsDelete: false\ns3DownloadConcurrency: 8\ns3Interval: 5d-2d\nuseS3SNS: true\nsqsOwnerAccount: \"210987654321\"\nretryInterval: 2s\n" +
		"aws:\n  profile: audit\n  region: eu-west-1\n  endpoint: http://localhost:4566\n"
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.sqsDelete() || c.concurrency() != 8 || c.S3Interval != "5d-2d" || !c.UseS3SNS || c.SQSOwnerAccount != "210987654321" ||
		c.retryInterval() != 2*time.Second || c.AWS.Profile != "audit" || c.AWS.Region != "eu-west-1" || c.AWS.Endpoint != "http://localhost:4566" {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	var zero Config
	if !zero.sqsDelete() || zero.concurrency() != 32 || zero.waitSeconds() != 20 || zero.attempts() != 5 || zero.retryInterval() != time.Second {
		t.Errorf("zero config defaults: %+v", zero)
	}
	for _, bad := range []Config{{S3DownloadConcurrency: -1}, {S3AccountList: "1234"}, {S3Interval: "yesterday"}, {S3Interval: "1d-5d"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

func TestInterval(t *testing.T) {
	now := time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in         string
		start, end string
	}{
		{"", "", ""},
		{"5d", "2024-05-05T12:00:00Z", ""},
		{"2021-03-30T18:07:17Z", "2021-03-30T18:07:17Z", ""},
		{"5d-2d", "2024-05-05T12:00:00Z", "2024-05-08T12:00:00Z"},
		{"2023-04-05T06:00:00Z-2023-04-05T12:00:10Z", "2023-04-05T06:00:00Z", "2023-04-05T12:00:10Z"},
		{"2024-05-01T00:00:00Z - 1w", "2024-05-01T00:00:00Z", "2024-05-03T12:00:00Z"},
	} {
		s, e, err := parseInterval(c.in, now)
		f := func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format(time.RFC3339)
		}
		if err != nil || f(s) != c.start || f(e) != c.end {
			t.Errorf("%q: %s - %s, %v", c.in, f(s), f(e), err)
		}
	}
	key := "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T1005Z_b.json.gz"
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	if !inInterval(key, at("2024-05-01T10:05:30Z"), time.Time{}) || inInterval(key, at("2024-05-01T10:06:00Z"), time.Time{}) ||
		inInterval(key, at("2024-05-01T09:00:00Z"), at("2024-05-01T10:00:00Z")) || !inInterval("odd-name.json", at("2030-01-01T00:00:00Z"), time.Time{}) {
		t.Error("inInterval")
	}
}
