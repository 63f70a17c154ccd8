package okta

import (
	"slices"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// basePublished is the published time of the test events.
const basePublished = "2024-05-01T10:00:00.123Z"

// logEvent builds an Okta System Log LogEvent object as the API returns
// it, after the documented schema (actor, client, authenticationContext,
// displayMessage, eventType, outcome, published, securityContext,
// severity, debugContext, legacyEventType, transaction, uuid, version,
// request, target); mods change or add members by dotted path
// ("outcome.result"); a nil value removes the member.
func logEvent(eventType string, mods map[string]any) map[string]any {
	ev := map[string]any{
		"actor": map[string]any{
			"id": "00uttidj01jqL21aM1d6", "type": "User", "alternateId": "john.doe@example.com",
			"displayName": "John Doe", "detailEntry": nil,
		},
		"client": map[string]any{
			"userAgent": map[string]any{
				"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
				"os":           "Mac OS X", "browser": "CHROME",
			},
			"zone": "null", "device": "Computer", "id": nil, "ipAddress": "203.0.113.7",
			"geographicalContext": map[string]any{
				"city": "New York", "state": "New York", "country": "United States", "postalCode": "10013",
				"geolocation": map[string]any{"lat": 40.7157, "lon": -74.01},
			},
		},
		"device": nil,
		"authenticationContext": map[string]any{
			"authenticationProvider": nil, "credentialProvider": nil, "credentialType": nil, "issuer": nil,
			"interface": nil, "authenticationStep": 0, "externalSessionId": "102bZDNFfWaQSyEZQuDgWt-uQ",
		},
		"displayMessage": "User login to Okta",
		"eventType":      eventType,
		"outcome":        map[string]any{"result": "SUCCESS", "reason": nil},
		"published":      basePublished,
		"securityContext": map[string]any{
			"asNumber": 394089, "asOrg": "example isp", "isp": "example isp", "domain": "example.net", "isProxy": false,
		},
		"severity": "INFO",
		"debugContext": map[string]any{"debugData": map[string]any{
			"requestId": "ab609228fe84ce59cdcbfa690bcce016", "requestUri": "/api/v1/authn", "url": "/api/v1/authn?",
		}},
		"legacyEventType": "core.user_auth.login_success",
		"transaction":     map[string]any{"type": "WEB", "id": "ab609228fe84ce59cdcbfa690bcce016", "detail": map[string]any{}},
		"uuid":            "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a",
		"version":         "0",
		"request": map[string]any{"ipChain": []any{map[string]any{
			"ip": "203.0.113.7", "version": "V4", "source": nil,
			"geographicalContext": map[string]any{"city": "New York", "country": "United States"},
		}}},
		"target": nil,
	}
	for path, v := range mods {
		srctest.SetPath(ev, path, v)
	}
	return ev
}

// targetOf is one entry of an event's target list.
func targetOf(typ, id, alt, name string) map[string]any {
	return map[string]any{"id": id, "type": typ, "alternateId": alt, "displayName": name, "detailEntry": nil}
}

func targets(ts ...map[string]any) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// userTarget is the user an administrator acts on.
func userTarget() map[string]any {
	return targetOf("User", "00u1tgt2usr3ABCDE4x7", "jane.roe@example.com", "Jane Roe")
}

// judge runs events through every upstream rule, the disabled ones too.
type judge struct{ *srctest.Judge }

func newJudge(tb testing.TB) *judge {
	o := engine.DefaultOptions()
	o.Matching = engine.MatchAll
	o.EnableAll = true
	return &judge{srctest.NewJudge(tb, Def(), o, &Decoder{Organization: "example"}, upstreamRules(tb))}
}

// fire decodes one event at its published time and returns the alerts,
// sorted by rule.
func (j *judge) fire(tb testing.TB, ev map[string]any) []alert.Alert {
	tb.Helper()
	data := srctest.JSON(tb, ev)
	var sp Splitter
	var ts uint64
	if _, err := sp.Split(data, func(_ []byte, t uint64) { ts = t }); err != nil || ts == 0 {
		tb.Fatalf("split: %v", err)
	}
	return j.Fire(tb, data, ts)
}

// ruleCase is an event and the rules it must fire, with the output of
// the first.
type ruleCase struct {
	name   string
	ev     map[string]any
	want   []string
	output string
}

// adminAction is an administrator acting on a user.
func adminAction(eventType, message string) map[string]any {
	return logEvent(eventType, map[string]any{
		"displayMessage": message, "legacyEventType": "", "target": targets(userTarget()),
		"debugContext.debugData.requestUri": "/api/v1/users/00u1tgt2usr3ABCDE4x7/lifecycle",
	})
}

func ruleCases() []ruleCase {
	const who = "(user=John Doe, ip=203.0.113.7"
	const onJane = who + ", target user=Jane Roe)"
	return []ruleCase{
		{"password change", logEvent("user.account.update_password", nil), []string{"User Changing password in to OKTA"},
			"A user has changed password from OKTA " + who + ")"},
		{"user created", adminAction("user.lifecycle.create", "Create okta user"), []string{"Creating a new OKTA user account"},
			"A new OKTA user account created (user=John Doe, target user=Jane Roe)"},
		{"sso", logEvent("user.authentication.sso", map[string]any{
			"target":                            targets(targetOf("AppInstance", "0oa1app2sso3", "GitHub Enterprise", "GitHub"), targetOf("AppUser", "0ua1", "john", "John Doe")),
			"debugContext.debugData.requestUri": "/app/github/exk1/sso/saml"}),
			[]string{"User accessing app via single sign on OKTA"},
			"A user has accessed an app using OKTA (user=John Doe, app=GitHub Enterprise)"},
		{"locked out", logEvent("user.account.lock", map[string]any{"outcome.result": "FAILURE", "outcome.reason": "LOCKED_OUT"}),
			[]string{"User has been locked out in OKTA"}, "A user has been locked out in OKTA " + who + ")"},
		{"unsuspended", adminAction("user.lifecycle.unsuspend", "Unsuspend Okta user"),
			[]string{"User has been moved from suspended status in OKTA."}, "A user has been moved from suspended status in OKTA " + onJane},
		{"activated", adminAction("user.lifecycle.activate", "Activate Okta user"),
			[]string{"User has been activated in OKTA"}, "A user has been activated in OKTA " + onJane},
		{"deactivated", adminAction("user.lifecycle.deactivate", "Deactivate Okta user"),
			[]string{"User has been deactivated in OKTA"}, "A user has been deactivated in OKTA " + onJane},
		{"suspended", adminAction("user.lifecycle.suspended", "Suspend Okta user"),
			[]string{"User has been suspended in OKTA"}, "A user has been suspended in OKTA " + onJane},
		{"admin granted", adminAction("user.account.privilege.grant", "Grant user privilege"),
			[]string{"Admin permission has been assigned to a user in OKTA"}, "A user has been locked out in OKTA " + onJane},
		{"api token", logEvent("system.api_token.create", map[string]any{
			"target": targets(targetOf("Token", "00T1tok", "kestrel", "kestrel"))}),
			[]string{"Creating a new OKTA API token"}, "A new OKTA API token has been created in OKTA " + who + ")"},
		{"admin app", logEvent("user.session.access_admin_app", map[string]any{
			"target": targets(targetOf("AppInstance", "0oa1adm", "Okta Admin Console", "Okta Admin Console"))}),
			[]string{"User accessing OKTA admin section"}, "A user accessed the OKTA admin section of your OKTA instance " + who + ")"},
		{"group add", logEvent("group.user_membership.add", map[string]any{
			"target": targets(userTarget(), targetOf("UserGroup", "00g1grp", "Admins", "Admins"))}),
			[]string{"Adding user in OKTA group"},
			"A user has been added in an OKTA group (user=John Doe, target group=Admins, target user=Jane Roe)"},
		{"factor removed", logEvent("user.mfa.factor.deactivate", map[string]any{"outcome.reason": "User reset SMS_FACTOR factor"}),
			[]string{"removing MFA factor from user in OKTA"}, "A user has removed MFA factor in the OKTA account " + who + ")"},
		{"all factors removed", logEvent("user.mfa.factor.reset_all", nil),
			[]string{"removing all MFA factor from user in OKTA"}, "A user has removed all MFA factor in the OKTA account " + who + ")"},
		{"password reset", adminAction("user.account.reset_password", "Fired when the user's Okta password is reset"),
			[]string{"User password reset by OKTA admin"}, "A user password has been reset by an OKTA Admin account " + onJane},
		{"rate limit", logEvent("system.org.rate_limit.violation", map[string]any{"severity": "WARN"}),
			[]string{"User hitting the rate limit on requests in OKTA"}, "A user has hitted the rate limit on requests in OKTA " + who + ")"},
		{"app membership", logEvent("application.user_membership.add", map[string]any{
			"target": targets(targetOf("AppUser", "0ua1", "jane", "Jane Roe"), targetOf("AppInstance", "0oa2", "Salesforce.com", "Salesforce"), userTarget())}),
			[]string{"Adding user to application membership in OKTA"},
			"A user has been added to an application membership in OKTA (user=John Doe, ip=203.0.113.7, target user=Jane Roe, app=Salesforce.com)"},
		{"impersonation", adminAction("user.session.impersonation.initiate", "Enter impersonation session"),
			[]string{"User initiating impersonation session in OKTA"}, "A user has initiated an impersonation session in OKTA " + onJane},
		{"login", logEvent("user.session.start", nil), []string{"Detecting unknown logins using geolocation"},
			"A user logged in OKTA from a suspicious country " + who + ", country=United States)"},
	}
}

func TestRulesFire(t *testing.T) {
	j := newJudge(t)
	for _, c := range ruleCases() {
		alerts := j.fire(t, c.ev)
		if got := srctest.Rules(alerts); !slices.Equal(got, c.want) {
			t.Errorf("%s: rules %q, want %q", c.name, got, c.want)
			continue
		}
		out := alerts[0].Output
		if !strings.HasSuffix(out, c.output) || !strings.HasPrefix(out, "10:00:00.123000000: Notice ") {
			t.Errorf("%s: output %q, want the time, Notice and %q", c.name, out, c.output)
		}
	}
}

// TestEveryRuleCovered checks that the cases above and the MFA tests
// fire every upstream rule.
func TestEveryRuleCovered(t *testing.T) {
	j := newJudge(t)
	covered := map[string]bool{"Too many failed MFA in last 5min": true, "Too many denied MFA Pushes in last 5min": true}
	for _, c := range ruleCases() {
		for _, r := range c.want {
			covered[r] = true
		}
	}
	for _, r := range j.Source.Rules() {
		if !covered[r.Spec.Name] {
			t.Errorf("rule %q not tested", r.Spec.Name)
		}
	}
}

func TestBenignEvents(t *testing.T) {
	j := newJudge(t)
	for _, ev := range []map[string]any{
		logEvent("user.account.update_profile", nil),
		logEvent("user.lifecycle.suspend", map[string]any{"target": targets(userTarget())}),
		logEvent("user.account.unlock", nil),
		logEvent("user.account.privilege.revoke", map[string]any{"target": targets(userTarget())}),
		logEvent("system.api_token.revoke", nil),
		logEvent("user.mfa.factor.activate", nil),
		logEvent("user.mfa.factor.update", nil),
		logEvent("user.session.end", nil),
		logEvent("user.authentication.auth_via_mfa", nil),
		logEvent("user.mfa.okta_verify", nil),
		logEvent("policy.evaluate_sign_on", map[string]any{"outcome.result": "ALLOW"}),
		logEvent("group.user_membership.remove", map[string]any{"target": targets(userTarget(), targetOf("UserGroup", "00g1", "Admins", "Admins"))}),
		logEvent("User.Account.Lock", nil),
		logEvent("user.account.lock ", nil),
	} {
		if got := srctest.Rules(j.fire(t, ev)); len(got) != 0 {
			t.Errorf("%s fired %q", ev["eventType"], got)
		}
	}
}
