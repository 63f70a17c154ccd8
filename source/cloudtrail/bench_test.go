package cloudtrail

import (
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// benchRecords is a mix of CloudTrail records: mostly routine reads and
// data events, as a trail holds, and some that alert.
func benchRecords(b *testing.B) [][]byte {
	routine := []map[string]any{
		getObject(),
		ctRecord("ec2.amazonaws.com", "DescribeInstances", map[string]any{"readOnly": true}),
		ctRecord("sts.amazonaws.com", "AssumeRole", map[string]any{"userIdentity": awsService("ec2.amazonaws.com"), "sourceIPAddress": "ec2.amazonaws.com", "readOnly": true}),
		ctRecord("kms.amazonaws.com", "Decrypt", map[string]any{"userIdentity": assumedRole("Lambda", "fn"), "readOnly": true}),
		ctRecord("logs.amazonaws.com", "CreateLogStream", map[string]any{"requestParameters": map[string]any{"logGroupName": "/aws/lambda/fn"}}),
		consoleLogin(iamUser("Bob"), "Success", "Yes"),
		ctRecord("lambda.amazonaws.com", "Invoke", map[string]any{"requestParameters": map[string]any{"functionName": "fn"}}),
	}
	alerting := []map[string]any{
		runInstances("eu-west-1"),
		consoleLogin(rootUser(), "Success", "No"),
		publicAccessBlock(false),
	}
	return srctest.Mix(b, 10, routine, alerting)
}

// BenchmarkUpstreamRules measures CloudTrail records per second through
// the whole upstream rules file on one goroutine: decoding each record
// once, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := srctest.Compile(b, Def(), engine.DefaultOptions(), upstreamRules(b))
	srctest.BenchRules(b, eng.Source(SourceName), &Decoder{}, benchRecords(b), 1)
}

// BenchmarkSplit measures splitting a log file of 1000 records.
func BenchmarkSplit(b *testing.B) {
	var recs []map[string]any
	for range 1000 {
		recs = append(recs, getObject())
	}
	data := logFile(b, recs...)
	var sp Splitter
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sp.Split(data, func([]byte, uint64) {}); err != nil {
			b.Fatal(err)
		}
	}
}
