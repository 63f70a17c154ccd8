package github

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// benchEvents is a mix of GitHub events as an organisation's webhooks
// deliver them: mostly pushes, workflow runs and stars, some that alert.
func benchEvents(b *testing.B) [][]byte {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	clean := []byte(`"files":[]`)
	noMiners := []byte(`"workflow_miner_detections":{"name":".github/workflows/ci.yml","matches":[]}`)
	leak := []byte(`"files":[{"name":"config/prod.env","matches":[{"line":2,"type":"key","desc":"aws_access_key","platform":"AWS"}]}]`)
	ev := func(typ string, found []byte, payload map[string]any) []byte {
		return appendEvent(nil, typ, at, found, srctest.JSON(b, payload))
	}
	routine := [][]byte{
		ev("push", clean, pushEvent("clean", false)),
		ev("workflow_run", noMiners, workflowRun("requested", "ci.yml")),
		ev("workflow_run", noMiners, workflowRun("completed", "ci.yml")),
		ev("star", nil, repoEvent("created", repository("payments", false), nil)),
		ev("pull_request", nil, repoEvent("opened", repository("payments", true), map[string]any{"number": 7})),
		ev("member", nil, memberEvent("edited")),
	}
	alerting := [][]byte{
		ev("push", leak, pushEvent("leaky", false)),
		ev("repository", nil, repoEvent("publicized", repository("payments", false), nil)),
	}
	var out [][]byte
	for range 10 {
		out = append(out, routine...)
	}
	return append(out, alerting...)
}

// BenchmarkUpstreamRules measures GitHub events per second through the
// whole upstream github rules file on one goroutine: decoding each event
// once, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := srctest.Compile(b, Def(), engine.DefaultOptions(), upstreamRules(b))
	srctest.BenchRules(b, eng.Source(SourceName), &Decoder{}, benchEvents(b), 1)
}

// BenchmarkScanPatch measures the secret scan of a push's diff.
func BenchmarkScanPatch(b *testing.B) {
	f, err := newSecretFinder()
	if err != nil {
		b.Fatal(err)
	}
	patch := []byte("@@ -1,40 +1,60 @@\n")
	for range 60 {
		patch = append(patch, "+\tlog.Info(\"connecting to the database\", \"host\", cfg.Host, \"port\", cfg.Port)\n"...)
	}
	b.SetBytes(int64(len(patch)))
	b.ReportAllocs()
	for b.Loop() {
		f.scanPatch(patch)
	}
}
