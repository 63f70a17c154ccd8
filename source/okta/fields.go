package okta

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// current returns the context's Okta event, or nil.
func current(c *field.Context) *Event {
	e, _ := c.Plugin.(*Event)
	return e
}

// appendStr appends a value as the okta plugin gives a text field: a
// string's content, nothing for a missing or null value (the field is
// then empty, not unavailable), other values as compact JSON.
func appendStr(dst []byte, v jsonsrc.Value) []byte {
	if v.Kind() == jsonsrc.Null {
		return dst
	}
	return v.AppendText(dst)
}

// valueField defines a text field computed from the event's root.
func valueField(name, desc string, fn func(dst []byte, root jsonsrc.Value, a *field.Arg) ([]byte, bool)) field.Def {
	return field.Def{Name: name, Type: event.PTCharBuf, Desc: desc,
		Text: func(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
			e := current(c)
			if e == nil {
				return dst, false
			}
			return fn(dst, e.root(), a)
		}}
}

// str defines a text field whose value is the JSON value at path; empty
// when the event has none.
func str(name, desc string, path ...string) field.Def {
	return valueField(name, desc, func(dst []byte, root jsonsrc.Value, _ *field.Arg) ([]byte, bool) {
		return appendStr(dst, root.At(path...)), true
	})
}

// Fields returns the okta.* fields of the okta plugin.
func Fields() []field.Def {
	defs := []field.Def{
		valueField("okta.app", "the application: the name after /app/ in the request URI", app),
		str("okta.behaviors", "the behaviors Okta's behavior detection reports (debugContext.debugData.behaviors)", "debugContext", "debugData", "behaviors"),
		{Name: "okta.org", Type: event.PTCharBuf, Desc: "the Okta organization the source polls", Text: org},
		str("okta.evt.type", "the event type (eventType), as user.session.start", "eventType"),
		str("okta.evt.legacytype", "the legacy event type (legacyEventType)", "legacyEventType"),
		str("okta.severity", "the severity: DEBUG, INFO, WARN or ERROR", "severity"),
		str("okta.message", "the human-readable message (displayMessage)", "displayMessage"),
		str("okta.published", "the time Okta published the event, as written (RFC 3339)", "published"),
		str("okta.logonlysecuritydata", "the security data logged only (debugContext.debugData.logOnlySecurityData)", "debugContext", "debugData", "logOnlySecurityData"),
		str("okta.actor.id", "the id of the actor", "actor", "id"),
		str("okta.actor.Type", "the type of the actor (User, PublicClientApp, …)", "actor", "type"),
		str("okta.actor.alternateid", "the alternate id of the actor (a user's login)", "actor", "alternateId"),
		str("okta.actor.name", "the display name of the actor", "actor", "displayName"),
		str("okta.client.zone", "the network zone of the client", "client", "zone"),
		str("okta.client.ip", "the IP address of the client", "client", "ipAddress"),
		str("okta.client.device", "the type of device of the client (Computer, Mobile, …)", "client", "device"),
		str("okta.client.id", "the id of the client", "client", "id"),
		str("okta.client.geo.city", "the city of the client", "client", "geographicalContext", "city"),
		str("okta.client.geo.state", "the state or region of the client", "client", "geographicalContext", "state"),
		str("okta.client.geo.country", "the country of the client", "client", "geographicalContext", "country"),
		str("okta.client.geo.postalcode", "the postal code of the client", "client", "geographicalContext", "postalCode"),
		valueField("okta.client.geo.lat", "the latitude of the client; 0 when unknown", coord("lat")),
		valueField("okta.client.geo.lon", "the longitude of the client; 0 when unknown", coord("lon")),
		str("okta.useragent.os", "the operating system of the client's user agent", "client", "userAgent", "os"),
		str("okta.useragent.browser", "the browser of the client's user agent", "client", "userAgent", "browser"),
		str("okta.useragent.raw", "the client's user agent as sent", "client", "userAgent", "rawUserAgent"),
		str("okta.result", "the outcome: SUCCESS, FAILURE, SKIPPED, ALLOW, DENY, CHALLENGE or UNKNOWN", "outcome", "result"),
		str("okta.reason", "the reason of the outcome", "outcome", "reason"),
		str("okta.transaction.id", "the id of the transaction (a request id for WEB transactions)", "transaction", "id"),
		str("okta.transaction.type", "the type of the transaction: WEB or JOB", "transaction", "type"),
		str("okta.requesturi", "the URI of the request (debugContext.debugData.requestUri)", "debugContext", "debugData", "requestUri"),
		str("okta.principal.id", "the id of the original principal of an impersonation", "debugContext", "debugData", "originalPrincipal", "id"),
		str("okta.principal.alternateid", "the alternate id of the original principal", "debugContext", "debugData", "originalPrincipal", "alternateId"),
		str("okta.principal.type", "the type of the original principal", "debugContext", "debugData", "originalPrincipal", "type"),
		str("okta.principal.name", "the display name of the original principal", "debugContext", "debugData", "originalPrincipal", "displayName"),
		valueField("okta.authentication.step", "the step of the authentication; 0 when not given", authStep),
		str("okta.authentication.sessionid", "the id of the external session", "authenticationContext", "externalSessionId"),
		str("okta.authentication.provider", "the authentication provider (OKTA_AUTHENTICATION_PROVIDER, FACTOR_PROVIDER, …)", "authenticationContext", "authenticationProvider"),
		str("okta.authentication.credentialprovider", "the credential provider (OKTA_CREDENTIAL_PROVIDER, …)", "authenticationContext", "credentialProvider"),
		asNumber(),
		str("okta.security.asorg", "the organization of the client's autonomous system", "securityContext", "asOrg"),
		str("okta.security.isp", "the internet service provider of the client", "securityContext", "isp"),
		str("okta.security.domain", "the domain name of the client's address", "securityContext", "domain"),
		str("okta.security.isproxy", "whether the client goes through a proxy (true or false)", "securityContext", "isProxy"),
		valueField("okta.target.user.id", "the id of the target of type User", target("User", "id")),
		valueField("okta.target.user.alternateid", "the alternate id (login) of the target of type User", target("User", "alternateId")),
		valueField("okta.target.user.name", "the display name of the target of type User", target("User", "displayName")),
		valueField("okta.target.group.id", "the id of the target of type UserGroup", target("UserGroup", "id")),
		valueField("okta.target.group.alternateid", "the alternate id of the target of type UserGroup", target("UserGroup", "alternateId")),
		valueField("okta.target.group.name", "the display name of the target of type UserGroup", target("UserGroup", "displayName")),
		valueField("okta.target.app.alternateid", "the alternate id of the target of type AppInstance", target("AppInstance", "alternateId")),
		targetNames(),
		countLast("okta.mfa.failure.countlast", "on a failed MFA verification (user.authentication.auth_via_mfa with outcome FAILURE), how many the actor had in the last N seconds, as in okta.mfa.failure.countlast[300], this one included", mfaFailure),
		countLast("okta.mfa.deny.countlast", "on a denied Okta Verify push (user.mfa.okta_verify.deny_push), how many the actor denied in the last N seconds, as in okta.mfa.deny.countlast[300], this one included", mfaDeny),
	}
	return defs
}

func org(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
	e := current(c)
	if e == nil {
		return dst, false
	}
	return append(dst, e.org...), true
}

// app extracts the application of a request to /app/NAME/…; no value
// for other requests.
func app(dst []byte, root jsonsrc.Value, _ *field.Arg) ([]byte, bool) {
	start := len(dst)
	dst = root.At("debugContext", "debugData", "requestUri").AppendText(dst)
	uri, ok := bytes.CutPrefix(dst[start:], []byte("/app/"))
	if !ok {
		return dst[:start], false
	}
	if i := bytes.IndexByte(uri, '/'); i >= 0 {
		uri = uri[:i]
	}
	n := copy(dst[start:], uri)
	return dst[:start+n], true
}

// coord extracts a coordinate of the client's geolocation as a decimal
// number, "0" when there is none.
func coord(key string) func([]byte, jsonsrc.Value, *field.Arg) ([]byte, bool) {
	path := []string{"client", "geographicalContext", "geolocation", key}
	return func(dst []byte, root jsonsrc.Value, _ *field.Arg) ([]byte, bool) {
		v := root.At(path...)
		switch v.Kind() {
		case jsonsrc.Missing, jsonsrc.Null:
			return append(dst, '0'), true
		case jsonsrc.Number:
			f, err := strconv.ParseFloat(string(v.Raw()), 64)
			if err == nil {
				return strconv.AppendFloat(dst, f, 'g', -1, 64), true
			}
		}
		return v.AppendText(dst), true
	}
}

func authStep(dst []byte, root jsonsrc.Value, _ *field.Arg) ([]byte, bool) {
	v := root.At("authenticationContext", "authenticationStep")
	if k := v.Kind(); k == jsonsrc.Missing || k == jsonsrc.Null {
		return append(dst, '0'), true
	}
	return v.AppendText(dst), true
}

// asNumber defines okta.security.asnumber, a number; 0 when not given.
func asNumber() field.Def {
	num := func(c *field.Context) (uint64, bool) {
		e := current(c)
		if e == nil {
			return 0, false
		}
		v := e.root().At("securityContext", "asNumber")
		if k := v.Kind(); k == jsonsrc.Missing || k == jsonsrc.Null {
			return 0, true
		}
		n, err := strconv.ParseUint(string(v.Raw()), 10, 64)
		return n, err == nil
	}
	d := field.Def{Name: "okta.security.asnumber", Type: event.PTUint64, Desc: "the number of the client's autonomous system; 0 when not given"}
	return withNum(d, nil, func(c *field.Context, _ *field.Arg) (uint64, bool) { return num(c) })
}

// withNum sets a numeric field's extractors, and its required argument
// when check is set.
func withNum(d field.Def, check func(*field.Arg) (*field.Arg, error), num func(*field.Context, *field.Arg) (uint64, bool)) field.Def {
	if check != nil {
		d.Arg, d.CheckArg = field.ArgRequired, check
	}
	d.Text = func(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
		n, ok := num(c, a)
		if !ok {
			return dst, false
		}
		return strconv.AppendUint(dst, n, 10), true
	}
	d.Num = func(c *field.Context, a *field.Arg) (int64, bool) {
		n, ok := num(c, a)
		return int64(min(n, 1<<63-1)), ok
	}
	return d
}

// target extracts an attribute of the event's target of type typ (the
// last one when there are several); no value when there is none.
func target(typ, key string) func([]byte, jsonsrc.Value, *field.Arg) ([]byte, bool) {
	return func(dst []byte, root jsonsrc.Value, _ *field.Arg) ([]byte, bool) {
		var found jsonsrc.Value
		it := root.Get("target").Iter()
		for {
			_, t, ok := it.Next()
			if !ok {
				break
			}
			if t.Get("type").StrEq(typ) {
				found = t
			}
		}
		if !found.Exists() {
			return dst, false
		}
		return appendStr(dst, found.Get(key)), true
	}
}

// indexArg accepts a non-negative index, as in okta.targets.displayName[0].
func indexArg(a *field.Arg) (*field.Arg, error) {
	if !a.IsNum || a.Index < 0 {
		return nil, fmt.Errorf("the argument of this field is an index, a number from 0, not %q: %w", a.Text, field.ErrBadArg)
	}
	return a, nil
}

// targetNames defines okta.targets.displayName: the display names of
// every target as (a,b,c), or of the target at the index given.
func targetNames() field.Def {
	return field.Def{Name: "okta.targets.displayName", Type: event.PTCharBuf, Arg: field.ArgOptional, CheckArg: indexArg,
		Desc: "the display names of the targets, as (a,b,c); with an index, as in okta.targets.displayName[0], the display name of that target",
		Text: func(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
			e := current(c)
			if e == nil {
				return dst, false
			}
			targets := e.root().Get("target")
			if targets.Kind() != jsonsrc.Array || targets.Len() == 0 {
				return dst, false
			}
			if a != nil {
				t := targets.Index(a.Index)
				if !t.Exists() {
					return dst, false
				}
				return appendStr(dst, t.Get("displayName")), true
			}
			return joinNames(dst, targets), true
		}}
}

// joinNames appends the display names of targets as (a,b,c).
func joinNames(dst []byte, targets jsonsrc.Value) []byte {
	dst = append(dst, '(')
	it := targets.Iter()
	for n := 0; ; n++ {
		_, t, ok := it.Next()
		if !ok {
			break
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendStr(dst, t.Get("displayName"))
	}
	return append(dst, ')')
}

// countLast defines an MFA counter field, whose required argument is a
// window in seconds.
func countLast(name, desc string, k mfaKind) field.Def {
	d := field.Def{Name: name, Type: event.PTUint64, Desc: desc}
	return withNum(d, indexArg, func(c *field.Context, a *field.Arg) (uint64, bool) {
		e := current(c)
		if e == nil || a == nil {
			return 0, false
		}
		return e.mfa.countLast(k, a.Index)
	})
}
