package cloudtrail

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
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
	var out [][]byte
	for range 10 {
		for _, r := range routine {
			out = append(out, mustJSON(b, r))
		}
	}
	for _, r := range alerting {
		out = append(out, mustJSON(b, r))
	}
	return out
}

// BenchmarkUpstreamRules measures CloudTrail records per second through
// the whole upstream rules file on one goroutine: decoding each record
// once, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := compileUpstream(b, engine.DefaultOptions(), upstreamRules(b))
	src := eng.Source(SourceName)
	recs := benchRecords(b)
	var dec Decoder
	fc := field.NewContext(nil)
	fc.Location = time.UTC
	var alerts []alert.Alert
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := dec.Decode(fc, recs[i%len(recs)], uint64(i)); err != nil {
			b.Fatal(err)
		}
		alerts = src.Process(fc, alerts[:0])
		n += len(alerts)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)/float64(b.N), "alerts/event")
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
