package k8saudit

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
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
	var out [][]byte
	for i := 0; i < 10; i++ {
		for _, e := range routine {
			out = append(out, mustJSON(b, e))
		}
	}
	for _, e := range alerting {
		out = append(out, mustJSON(b, e))
	}
	return out
}

// BenchmarkUpstreamRules measures audit events per second through the
// whole upstream k8s audit rules file on one goroutine: decoding each
// event once, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := compileUpstream(b, engine.DefaultOptions(), upstreamRules(b))
	src := eng.Source(SourceName)
	evs := benchEvents(b)
	var dec Decoder
	fc := field.NewContext(nil)
	fc.Location = time.UTC
	var alerts []alert.Alert
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := dec.Decode(fc, evs[i%len(evs)], uint64(i)); err != nil {
			b.Fatal(err)
		}
		alerts = src.Process(fc, alerts[:0])
		n += len(alerts)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)/float64(b.N), "alerts/event")
}
