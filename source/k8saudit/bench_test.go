package k8saudit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// benchEvents is a mix of audit events: mostly routine reads and
// updates, as a cluster's audit log holds, and some that alert.
func benchEvents(b *testing.B) [][]byte {
	routine := []map[string]any{
		auditEvent("get", "pods", "default", "p", 200, nil),
		auditEvent("list", "configmaps", "kube-system", "", 200, map[string]any{"user": map[string]any{"username": "system:kube-controller-manager"}}),
		auditEvent("update", "leases", "kube-node-lease", "node-1", 200, map[string]any{"user": map[string]any{"username": "system:node:node-1"}}),
		auditEvent("watch", "endpoints", "default", "", 200, map[string]any{"stage": "ResponseStarted"}),
		auditEvent("patch", "deployments", "default", "d", 200, map[string]any{"requestObject": map[string]any{"spec": map[string]any{"replicas": 3}}}),
		auditEvent("get", "secrets", "kube-system", "s", 200, map[string]any{"user": map[string]any{"username": "system:serviceaccount:kube-system:x"}}),
		auditEvent("create", "pods", "default", "p", 201, map[string]any{"requestObject": podSpec(container("c", "nginx:1.25", nil), container("d", "redis:7", nil))}),
	}
	alerting := []map[string]any{
		auditEvent("create", "pods", "default", "p", 201, map[string]any{"requestObject": podSpec(container("c", "nginx:1.25", map[string]any{"privileged": true}))}),
		auditEvent("create", "clusterroles", "", "r", 201, map[string]any{"requestObject": map[string]any{"rules": []any{map[string]any{"resources": []any{"*"}, "verbs": []any{"*"}}}}}),
	}
	return srctest.Mix(b, 10, routine, alerting)
}

// BenchmarkUpstreamRules measures audit events per second through the
// whole upstream k8s audit rules file on one goroutine: decoding each
// event once, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := srctest.Compile(b, Def(), engine.DefaultOptions(), upstreamRules(b))
	srctest.BenchRules(b, eng.Source(SourceName), &Decoder{}, benchEvents(b), 1)
}

// BenchmarkWebhook measures the webhook's throughput end to end over
// loopback HTTP: clients post EventLists of 100 events (as an API
// server's batching webhook backend does), the webhook splits and queues
// them, and one goroutine decodes each and runs the upstream rules on it.
// events/s counts the events judged; dropped/event the share the webhook
// dropped (counted) because the rules fell behind.
func BenchmarkWebhook(b *testing.B) {
	eng, _ := srctest.Compile(b, Def(), engine.DefaultOptions(), upstreamRules(b))
	src := eng.Source(SourceName)
	evs := benchEvents(b)
	const batch = 100
	var body bytes.Buffer
	body.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`)
	for i := 0; i < batch; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(evs[i%len(evs)])
	}
	body.WriteString("]}")
	stats := &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(4096, stats)
	h := &Webhook{MaxBodySize: 12 << 20, Queue: q, Stats: stats}
	srv, err := Listen("127.0.0.1:0", "", "", h)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx)
	var judged atomic.Int64
	want := int64(b.N * batch)
	go func() {
		var dec Decoder
		fc := field.NewContext(nil)
		var alerts []alert.Alert
		for {
			select {
			case <-ctx.Done():
				return
			case it := <-q.Items():
				if err := dec.Decode(fc, it.Data, it.TS); err != nil {
					panic(err)
				}
				alerts = src.Process(fc, alerts[:0])
				judged.Add(1)
			}
		}
	}()
	url := "http://" + srv.Addr().String() + DefaultPath
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	posts := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		posts <- struct{}{}
	}
	close(posts)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range posts {
				if code := postBody(client, url, body.Bytes()); code != http.StatusOK {
					panic(fmt.Sprintf("status %d", code))
				}
			}
		})
	}
	wg.Wait()
	for judged.Load()+int64(stats.Snapshot().Dropped) < want {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	dropped := stats.Snapshot().Dropped
	b.ReportMetric(float64(judged.Load())/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(body.Len()*b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(dropped)/float64(want), "dropped/event")
}

// postBody posts an EventList and returns the status.
func postBody(c *http.Client, url string, body []byte) int {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
