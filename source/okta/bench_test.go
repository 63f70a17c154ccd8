package okta

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
)

// benchEvents is a mix of System Log events: mostly sign-ins, SSO and
// MFA verifications, as an organization's log holds, and some that
// alert.
func benchEvents(b *testing.B) [][]byte {
	okMFA := mfaEvent(mfaFailure, "00u7", 1)
	okMFA["outcome"] = map[string]any{"result": "SUCCESS"}
	routine := []map[string]any{
		logEvent("user.session.start", nil),
		logEvent("user.authentication.sso", map[string]any{"target": targets(targetOf("AppInstance", "0oa1", "GitHub", "GitHub"))}),
		logEvent("policy.evaluate_sign_on", map[string]any{"outcome.result": "ALLOW"}),
		logEvent("user.authentication.verify", nil),
		logEvent("user.session.end", nil),
		logEvent("app.oauth2.as.authorize.code", nil),
		okMFA,
	}
	alerting := []map[string]any{
		logEvent("user.account.lock", nil),
		mfaEvent(mfaDeny, "00u8", 2),
		adminAction("user.account.privilege.grant", "Grant user privilege"),
	}
	var out [][]byte
	for range 10 {
		for _, e := range routine {
			out = append(out, mustJSON(b, e))
		}
	}
	for _, e := range alerting {
		out = append(out, mustJSON(b, e))
	}
	return out
}

// BenchmarkUpstreamRules measures Okta events per second through the
// whole upstream Okta rules file on one goroutine: decoding each event
// once, counting MFA events, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := compileUpstream(b, engine.DefaultOptions(), upstreamRules(b))
	src := eng.Source(SourceName)
	evs := benchEvents(b)
	var dec Decoder
	fc := field.NewContext(nil)
	fc.Location = time.UTC
	var alerts []alert.Alert
	n, i := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		if err := dec.Decode(fc, evs[i%len(evs)], uint64(i)*uint64(time.Second)); err != nil {
			b.Fatal(err)
		}
		alerts = src.Process(fc, alerts[:0])
		n += len(alerts)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)/float64(i), "alerts/event")
}

// BenchmarkSplit measures splitting System Log API pages.
func BenchmarkSplit(b *testing.B) {
	evs := make([]any, 100)
	for i := range evs {
		evs[i] = logEvent("user.session.start", nil)
	}
	data := mustJSON(b, evs)
	var sp Splitter
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sp.Split(data, func([]byte, uint64) {}); err != nil {
			b.Fatal(err)
		}
	}
}
