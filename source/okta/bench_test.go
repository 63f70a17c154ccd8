package okta

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
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
	return srctest.Mix(b, 10, routine, alerting)
}

// BenchmarkUpstreamRules measures Okta events per second through the
// whole upstream Okta rules file on one goroutine: decoding each event
// once, counting MFA events, running every rule, building the alerts.
func BenchmarkUpstreamRules(b *testing.B) {
	eng, _ := srctest.Compile(b, Def(), engine.DefaultOptions(), upstreamRules(b))
	srctest.BenchRules(b, eng.Source(SourceName), &Decoder{}, benchEvents(b), uint64(time.Second))
}

// BenchmarkSplit measures splitting System Log API pages.
func BenchmarkSplit(b *testing.B) {
	evs := make([]any, 100)
	for i := range evs {
		evs[i] = logEvent("user.session.start", nil)
	}
	data := srctest.JSON(b, evs)
	var sp Splitter
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sp.Split(data, func([]byte, uint64) {}); err != nil {
			b.Fatal(err)
		}
	}
}
