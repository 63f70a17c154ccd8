package okta

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// mfaEvent is an MFA event of the user with id actor at sec seconds after
// the base time: a failed verification, or a push denied.
func mfaEvent(kind mfaKind, actor string, sec float64) map[string]any {
	pub := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(sec * float64(time.Second))).Format(time.RFC3339Nano)
	mods := map[string]any{"actor.id": actor, "actor.displayName": "User " + actor, "published": pub}
	if kind == mfaDeny {
		mods["outcome"] = map[string]any{"result": "FAILURE", "reason": "User rejected Okta push verify"}
		mods["displayMessage"] = "User rejected Okta push verify"
		return logEvent("user.mfa.okta_verify.deny_push", mods)
	}
	mods["outcome"] = map[string]any{"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}
	mods["displayMessage"] = "Authentication of user via MFA"
	return logEvent("user.authentication.auth_via_mfa", mods)
}

// countsOf returns okta.mfa.failure.countlast[300] and
// okta.mfa.deny.countlast[300] for the judge's current event.
func countsOf(t *testing.T, j *judge) (string, string) {
	reg := Registry()
	return srctest.Extract(t, reg, j.Context, "okta.mfa.failure.countlast[300]"), srctest.Extract(t, reg, j.Context, "okta.mfa.deny.countlast[300]")
}

func TestMFAFailuresFire(t *testing.T) {
	j := newJudge(t)
	for i, want := range []string{"1", "2", "3", "4"} {
		alerts := j.fire(t, mfaEvent(mfaFailure, "00u1", float64(i*60)))
		fail, deny := countsOf(t, j)
		if fail != want || deny != "<NA>" {
			t.Errorf("failure %d: counts %s, %s; want %s, <NA>", i+1, fail, deny, want)
		}
		fired := srctest.Rules(alerts)
		if i < 2 && len(fired) != 0 || i >= 2 && !slices.Equal(fired, []string{"Too many failed MFA in last 5min"}) {
			t.Errorf("failure %d fired %q", i+1, fired)
			continue
		}
		if i == 2 && !strings.HasSuffix(alerts[0].Output, "(user='User 00u1' last_reason='INVALID_CREDENTIALS' countLast300=3)") {
			t.Errorf("output %q", alerts[0].Output)
		}
		if i == 2 && !strings.Contains(string(alerts[0].OutputFields), `"okta.mfa.failure.countlast[300]":3`) {
			t.Errorf("output fields %s", alerts[0].OutputFields)
		}
	}
}

func TestMFADeniesFire(t *testing.T) {
	j := newJudge(t)
	for i := range 3 {
		alerts := j.fire(t, mfaEvent(mfaDeny, "00u2", float64(i)))
		fail, deny := countsOf(t, j)
		if want := fmt.Sprint(i + 1); deny != want || fail != "<NA>" {
			t.Errorf("deny %d: counts %s, %s; want <NA>, %s", i+1, fail, deny, want)
		}
		fired := srctest.Rules(alerts)
		if i == 2 && !slices.Equal(fired, []string{"Too many denied MFA Pushes in last 5min"}) || i < 2 && len(fired) != 0 {
			t.Errorf("deny %d fired %q", i+1, fired)
		}
		if i == 2 && !strings.HasSuffix(alerts[0].Output, "(user='User 00u2' reason='User rejected Okta push verify' countLast300=3)") {
			t.Errorf("output %q", alerts[0].Output)
		}
	}
}

// TestMFABenign: failures of different users, failures spread out,
// successes and other events do not add up to an alert.
func TestMFABenign(t *testing.T) {
	j := newJudge(t)
	evs := []map[string]any{
		mfaEvent(mfaFailure, "a", 0), mfaEvent(mfaFailure, "b", 1), mfaEvent(mfaFailure, "c", 2),
		mfaEvent(mfaDeny, "a", 3), mfaEvent(mfaDeny, "b", 4),
		mfaEvent(mfaFailure, "d", 10), mfaEvent(mfaFailure, "d", 200), mfaEvent(mfaFailure, "d", 420),
		mfaEvent(mfaFailure, "e", 500), mfaEvent(mfaFailure, "e", 500), mfaEvent(mfaFailure, "e", 500),
	}
	success := mfaEvent(mfaFailure, "a", 5)
	success["outcome"] = map[string]any{"result": "SUCCESS"}
	evs = append(evs, success, success, success)
	for i, ev := range evs {
		if fired := srctest.Rules(j.fire(t, ev)); len(fired) != 0 {
			t.Errorf("event %d fired %q", i, fired)
		}
	}
	if fail, _ := countsOf(t, j); fail != "<NA>" {
		t.Errorf("count on a success: %s", fail)
	}
}

func TestMFAWindows(t *testing.T) {
	dec := &Decoder{}
	var c *field.Context
	for _, sec := range []float64{0, 100, 250, 299.5, 400} {
		c = decodeOne(t, dec, srctest.JSON(t, mfaEvent(mfaFailure, "w", sec)), secs(sec))
	}
	reg := Registry()
	for expr, want := range map[string]string{
		"okta.mfa.failure.countlast[0]":      "0",
		"okta.mfa.failure.countlast[1]":      "1",
		"okta.mfa.failure.countlast[100]":    "1",
		"okta.mfa.failure.countlast[101]":    "2",
		"okta.mfa.failure.countlast[300]":    "3",
		"okta.mfa.failure.countlast[400]":    "4",
		"okta.mfa.failure.countlast[401]":    "5",
		"okta.mfa.failure.countlast[999999]": "5",
	} {
		if got := srctest.Extract(t, reg, c, expr); got != want {
			t.Errorf("%s = %s, want %s", expr, got, want)
		}
	}
}

// secs is the event time sec seconds after the base time of mfaEvent.
func secs(sec float64) uint64 {
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	return uint64(base.Add(time.Duration(sec * float64(time.Second))).UnixNano())
}

func TestMFAExpiry(t *testing.T) {
	dec := &Decoder{CacheExpiration: 600 * time.Second}
	reg := Registry()
	count := func(sec float64) string {
		c := decodeOne(t, dec, srctest.JSON(t, mfaEvent(mfaDeny, "x", sec)), secs(sec))
		return srctest.Extract(t, reg, c, "okta.mfa.deny.countlast[86400]")
	}
	for _, step := range []struct {
		sec  float64
		want string
	}{{0, "1"}, {599, "2"}, {1199, "3"}, {1800, "1"}, {1801, "2"}} {
		if got := count(step.sec); got != step.want {
			t.Errorf("at %vs: %s, want %s", step.sec, got, step.want)
		}
	}
}

func TestMFAUserMaxSize(t *testing.T) {
	dec := &Decoder{CacheUserMaxSize: 5}
	var c *field.Context
	for i := range 20 {
		c = decodeOne(t, dec, srctest.JSON(t, mfaEvent(mfaFailure, "m", float64(i))), secs(float64(i)))
	}
	if got := srctest.Extract(t, Registry(), c, "okta.mfa.failure.countlast[300]"); got != "5" {
		t.Errorf("count %s, want the 5 kept", got)
	}
	for _, s := range dec.mfa.slots {
		if cap(s.times) > 8 {
			t.Errorf("slot %q holds room for %d times", s.key, cap(s.times))
		}
	}
}

// TestMFACacheBound feeds many more users than the cache holds: the
// cache keeps to its size, the least recently seen users are forgotten.
func TestMFACacheBound(t *testing.T) {
	const users = 50
	dec := &Decoder{CacheMaxUsers: users, CacheUserMaxSize: 4}
	c := field.NewContext(nil)
	var sp Splitter
	feed := func(actor string, sec float64) {
		data := srctest.JSON(t, mfaEvent(mfaFailure, actor, sec))
		sp.Split(data, func(ev []byte, ts uint64) {
			if err := dec.Decode(c, ev, ts); err != nil {
				t.Fatal(err)
			}
		})
	}
	feed("first", 0)
	feed("first", 1)
	for i := range 20 * users {
		for r := range 3 {
			feed(fmt.Sprintf("u%d", i), float64(2+i)+float64(r)/10)
		}
		if n := dec.mfa.keys(); n > users || len(dec.mfa.slots) > users {
			t.Fatalf("after %d users: %d keys, %d slots", i+1, n, len(dec.mfa.slots))
		}
	}
	if cap(dec.mfa.slots) > 2*users {
		t.Errorf("slot storage grew to %d", cap(dec.mfa.slots))
	}
	for _, s := range dec.mfa.slots {
		if len(s.times) > 4 || cap(s.times) > 8 {
			t.Errorf("slot %q: %d times, room for %d", s.key, len(s.times), cap(s.times))
		}
	}
	feed("first", 2000)
	if got := srctest.Extract(t, Registry(), c, "okta.mfa.failure.countlast[100000]"); got != "1" {
		t.Errorf("forgotten user counts %s, want 1", got)
	}
	last := fmt.Sprintf("u%d", 20*users-1)
	feed(last, float64(2+20*users))
	if got := srctest.Extract(t, Registry(), c, "okta.mfa.failure.countlast[100000]"); got != "4" {
		t.Errorf("recent user counts %s, want 4", got)
	}
}
