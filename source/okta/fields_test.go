package okta

import (
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// richEvent is an administrator, impersonated, adding a user to a group
// through an application: an event with every member the fields read.
func richEvent(t *testing.T) []byte {
	return srctest.JSON(t, logEvent("group.user_membership.add", map[string]any{
		"displayMessage":  "Add user to group membership",
		"legacyEventType": "core.user_group_member.user_add",
		"severity":        "INFO",
		"published":       "2024-05-01T10:00:00.123456Z",
		"client.zone":     "Office",
		"client.id":       "0oa1client",
		"outcome":         map[string]any{"result": "SUCCESS", "reason": "added by \"admin\""},
		"authenticationContext": map[string]any{"authenticationStep": 2, "externalSessionId": "trs1",
			"authenticationProvider": "OKTA_AUTHENTICATION_PROVIDER", "credentialProvider": "OKTA_CREDENTIAL_PROVIDER"},
		"securityContext": map[string]any{"asNumber": 64496, "asOrg": "Example Org", "isp": "Example ISP", "domain": "example.net", "isProxy": true},
		"debugContext.debugData": map[string]any{
			"requestUri":          "/app/office365/exk2/sso/wsfed/active",
			"behaviors":           "{New Geo-Location=NEGATIVE, New Device=POSITIVE}",
			"logOnlySecurityData": `{"risk":{"level":"LOW"}}`,
			"originalPrincipal":   map[string]any{"id": "00u9adm", "type": "User", "alternateId": "admin@example.com", "displayName": "Ada Admin"},
		},
		"target": targets(
			targetOf("User", "00u1first", "first@example.com", "First User"),
			targetOf("UserGroup", "00g1grp", "Admins", "Admins Group"),
			userTarget(),
			targetOf("AppInstance", "0oa2", "Office 365", "Microsoft Office 365"),
		),
	}))
}

func decodeOne(t *testing.T, dec *Decoder, data []byte, ts uint64) *field.Context {
	t.Helper()
	c := field.NewContext(nil)
	c.Location = time.UTC
	if err := dec.Decode(c, data, ts); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFields(t *testing.T) {
	reg := Registry()
	c := decodeOne(t, &Decoder{Organization: "example"}, richEvent(t), 1714557600123456000)
	want := map[string]string{
		"okta.app":                               "office365",
		"okta.behaviors":                         "{New Geo-Location=NEGATIVE, New Device=POSITIVE}",
		"okta.org":                               "example",
		"okta.evt.type":                          "group.user_membership.add",
		"okta.evt.legacytype":                    "core.user_group_member.user_add",
		"okta.severity":                          "INFO",
		"okta.message":                           "Add user to group membership",
		"okta.published":                         "2024-05-01T10:00:00.123456Z",
		"okta.logonlysecuritydata":               `{"risk":{"level":"LOW"}}`,
		"okta.actor.id":                          "00uttidj01jqL21aM1d6",
		"okta.actor.Type":                        "User",
		"okta.actor.alternateid":                 "john.doe@example.com",
		"okta.actor.name":                        "John Doe",
		"okta.client.zone":                       "Office",
		"okta.client.ip":                         "203.0.113.7",
		"okta.client.device":                     "Computer",
		"okta.client.id":                         "0oa1client",
		"okta.client.geo.city":                   "New York",
		"okta.client.geo.state":                  "New York",
		"okta.client.geo.country":                "United States",
		"okta.client.geo.postalcode":             "10013",
		"okta.client.geo.lat":                    "40.7157",
		"okta.client.geo.lon":                    "-74.01",
		"okta.useragent.os":                      "Mac OS X",
		"okta.useragent.browser":                 "CHROME",
		"okta.useragent.raw":                     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"okta.result":                            "SUCCESS",
		"okta.reason":                            `added by "admin"`,
		"okta.transaction.id":                    "ab609228fe84ce59cdcbfa690bcce016",
		"okta.transaction.type":                  "WEB",
		"okta.requesturi":                        "/app/office365/exk2/sso/wsfed/active",
		"okta.principal.id":                      "00u9adm",
		"okta.principal.alternateid":             "admin@example.com",
		"okta.principal.type":                    "User",
		"okta.principal.name":                    "Ada Admin",
		"okta.authentication.step":               "2",
		"okta.authentication.sessionid":          "trs1",
		"okta.authentication.provider":           "OKTA_AUTHENTICATION_PROVIDER",
		"okta.authentication.credentialprovider": "OKTA_CREDENTIAL_PROVIDER",
		"okta.security.asnumber":                 "64496",
		"okta.security.asorg":                    "Example Org",
		"okta.security.isp":                      "Example ISP",
		"okta.security.domain":                   "example.net",
		"okta.security.isproxy":                  "true",
		"okta.target.user.id":                    "00u1tgt2usr3ABCDE4x7",
		"okta.target.user.alternateid":           "jane.roe@example.com",
		"okta.target.user.name":                  "Jane Roe",
		"okta.target.group.id":                   "00g1grp",
		"okta.target.group.alternateid":          "Admins",
		"okta.target.group.name":                 "Admins Group",
		"okta.target.app.alternateid":            "Office 365",
		"okta.targets.displayName":               "(First User,Admins Group,Jane Roe,Microsoft Office 365)",
		"okta.targets.displayName[1]":            "Admins Group",
		"okta.targets.displayName[4]":            "<NA>",
		"okta.mfa.failure.countlast[300]":        "<NA>",
		"okta.mfa.deny.countlast[300]":           "<NA>",
		"evt.source":                             "okta",
		"evt.pluginname":                         "okta",
		"evt.num":                                "1",
		"evt.time":                               "10:00:00.123456000",
		"json.value[/target/1/type]":             "UserGroup",
		"jevt.value[/uuid]":                      "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a",
	}
	for expr, w := range want {
		if got := srctest.Extract(t, reg, c, expr); got != w {
			t.Errorf("%s = %q, want %q", expr, got, w)
		}
	}
	for _, d := range reg.All() {
		if !strings.HasPrefix(d.Name, "okta.") {
			continue
		}
		if _, ok := want[d.Name]; !ok && d.Arg != field.ArgRequired {
			t.Errorf("field %s not checked", d.Name)
		}
	}
}

// TestFieldsMinimal checks the fields of an event with nothing but its
// type and time: text fields are empty, numbers 0, and the fields of
// parts that are not there have no value, as with the okta plugin.
func TestFieldsMinimal(t *testing.T) {
	reg := Registry()
	c := decodeOne(t, &Decoder{}, []byte(`{"eventType":"user.session.start","published":"2024-05-01T10:00:00Z","target":[],"client":{"geographicalContext":{"geolocation":{"lat":1e2}}},"debugContext":{"debugData":{"requestUri":"/app/"}}}`), 1)
	want := map[string]string{
		"okta.evt.type": "user.session.start", "okta.actor.name": "", "okta.org": "", "okta.client.ip": "",
		"okta.client.geo.lat": "100", "okta.client.geo.lon": "0", "okta.authentication.step": "0",
		"okta.security.asnumber": "0", "okta.app": "", "okta.target.user.name": "<NA>",
		"okta.target.app.alternateid": "<NA>", "okta.targets.displayName": "<NA>", "okta.targets.displayName[0]": "<NA>",
	}
	for expr, w := range want {
		if got := srctest.Extract(t, reg, c, expr); got != w {
			t.Errorf("%s = %q, want %q", expr, got, w)
		}
	}
	c = decodeOne(t, &Decoder{}, []byte(`{"debugContext":{"debugData":{"requestUri":"/api/v1/authn"}}}`), 1)
	if got := srctest.Extract(t, reg, c, "okta.app"); got != "<NA>" {
		t.Errorf("okta.app of /api/v1/authn = %q", got)
	}
}

func TestFieldArgs(t *testing.T) {
	reg := Registry()
	for _, bad := range []string{"okta.mfa.failure.countlast", "okta.mfa.deny.countlast[x]", "okta.mfa.failure.countlast[-1]", "okta.targets.displayName[a]"} {
		if _, err := reg.CompileFormat("*%" + bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	var dec Decoder
	c := field.NewContext(nil)
	for _, bad := range []string{`[]`, `"x"`, `{`, ``} {
		if err := dec.Decode(c, []byte(bad), 1); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if c.Plugin != nil {
		t.Error("context changed by a failed decode")
	}
}

// TestDecodeAllocs checks decoding allocates nothing once warmed, MFA
// events of known users included.
func TestDecodeAllocs(t *testing.T) {
	evs := [][]byte{richEvent(t), srctest.JSON(t, logEvent("user.mfa.okta_verify.deny_push", nil))}
	var dec Decoder
	c := field.NewContext(nil)
	ts := uint64(1714557600123456000)
	for _, ev := range evs {
		if err := dec.Decode(c, ev, ts); err != nil {
			t.Fatal(err)
		}
	}
	n := testing.AllocsPerRun(100, func() {
		for _, ev := range evs {
			ts += uint64(time.Second)
			if err := dec.Decode(c, ev, ts); err != nil {
				t.Fatal(err)
			}
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per decode", n)
	}
}
