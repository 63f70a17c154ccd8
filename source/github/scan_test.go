package github

import (
	"slices"
	"strings"
	"testing"
)

// TestSecretsPushed pushes to repositories whose diffs (from the fake API)
// add secrets, and checks the secret rules and every diff field.
func TestSecretsPushed(t *testing.T) {
	e := startHook(t, "", "", nil)
	j := newJudge(t)
	link := "https://github.com/acme-corp/leaky/blob/" + afterSHA + "/"
	want := map[string]string{
		"github.type":                             "push",
		"github.repo.name":                        "acme-corp/leaky",
		"github.diff.has_secrets":                 "true",
		"github.diff.committed_secrets.desc":      "aws_access_key,asymmetric_private_key,github_personal_access_token",
		"github.diff.committed_secrets.files":     "config/prod.env,deploy/id_rsa,README.md",
		"github.diff.committed_secrets.lines":     "2,1,13",
		"github.diff.committed_secrets.links":     link + "config/prod.env/#L2," + link + "deploy/id_rsa/#L1," + link + "README.md/#L13",
		"github.commit.added":                     "config/prod.env,deploy/id_rsa",
		"github.commit.modified":                  "README.md,README.md,Makefile",
		"github.commit.removed":                   "old.txt",
		"github.workflow.has_miners":              "<NA>",
		"json.value[/files/0/matches/0/platform]": "AWS",
	}
	for _, c := range []struct {
		private bool
		rule    string
		public  string
	}{
		{false, "Secret pushed into a public repository", "true"},
		{true, "Secret pushed into a private repository", "false"},
	} {
		got, outputs := j.fire(t, e.deliver(t, "push", pushEvent("leaky", c.private)))
		if !slices.Equal(got, []string{c.rule}) {
			t.Fatalf("rules %q, want %q", got, c.rule)
		}
		if !strings.Contains(outputs[0], "secret_types=aws_access_key,asymmetric_private_key,github_personal_access_token file=config/prod.env,deploy/id_rsa,README.md line=2,1,13") {
			t.Errorf("output %q", outputs[0])
		}
		want["github.repo.public"] = c.public
		for expr, w := range want {
			if v := j.extract(t, expr); v != w {
				t.Errorf("private=%v: %s = %q, want %q", c.private, expr, v, w)
			}
		}
	}
	if auth, _ := e.api.auth.Load().(string); auth != "Bearer ghp_testtoken" {
		t.Errorf("API authorization %q", auth)
	}
}

// TestCleanPush checks look-alike pushes: a diff without secrets, and a
// push creating a branch, which has no diff to fetch.
func TestCleanPush(t *testing.T) {
	e := startHook(t, "", "", nil)
	j := newJudge(t)
	got, _ := j.fire(t, e.deliver(t, "push", pushEvent("clean", false)))
	if len(got) != 0 {
		t.Errorf("clean push fired %q", got)
	}
	if v := j.extract(t, "github.diff.has_secrets"); v != "false" {
		t.Errorf("has_secrets %q", v)
	}
	if v := j.extract(t, "github.diff.committed_secrets.desc"); v != "" {
		t.Errorf("desc %q", v)
	}
	calls := e.api.calls.Load()
	created := pushEvent("leaky", false)
	created["before"], created["created"] = nullCommit, true
	if got, _ := j.fire(t, e.deliver(t, "push", created)); len(got) != 0 {
		t.Errorf("branch creation fired %q", got)
	}
	if v := j.extract(t, "github.diff.has_secrets"); v != "<NA>" {
		t.Errorf("branch creation: has_secrets %q", v)
	}
	if e.api.calls.Load() != calls {
		t.Error("the API was called for a branch creation")
	}
}

// TestScanFailure checks that a failed API call is counted and logged
// and the event still queued, without findings.
func TestScanFailure(t *testing.T) {
	e := startHook(t, "", "", nil)
	j := newJudge(t)
	before := e.h.Stats.Snapshot()
	got, _ := j.fire(t, e.deliver(t, "push", pushEvent("broken", false)))
	if len(got) != 0 {
		t.Errorf("fired %q", got)
	}
	if v := j.extract(t, "github.diff.has_secrets"); v != "<NA>" {
		t.Errorf("has_secrets %q", v)
	}
	if v := j.extract(t, "github.commit.added"); v != "config/prod.env,deploy/id_rsa" {
		t.Errorf("commit.added %q", v)
	}
	s := e.h.Stats.Snapshot()
	if s.Rejected != before.Rejected+1 || s.Requests != before.Requests+2 || s.Events != before.Events+1 {
		t.Errorf("stats %+v, before %+v", s, before)
	}
	// The API unreachable: the event goes on the same way.
	e.api.Close()
	if got, _ := j.fire(t, e.deliver(t, "push", pushEvent("leaky", false))); len(got) != 0 {
		t.Errorf("fired %q", got)
	}
	if s2 := e.h.Stats.Snapshot(); s2.Rejected != s.Rejected+1 {
		t.Errorf("stats %+v", s2)
	}
}

// TestMiners runs workflows: one running miners (from the fake API's
// contents endpoint) fires the miner rule only when requested.
func TestMiners(t *testing.T) {
	e := startHook(t, "", "", nil)
	j := newJudge(t)
	cases := []struct {
		action, file string
		want         []string
		has, types   string
	}{
		{"requested", "mine.yml", []string{"Github action with miners"}, "true", "xmrig,stratum"},
		{"completed", "mine.yml", nil, "true", "xmrig,stratum"},
		{"requested", "ci.yml", nil, "false", ""},
	}
	for _, c := range cases {
		got, outputs := j.fire(t, e.deliver(t, "workflow_run", workflowRun(c.action, c.file)))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %s: rules %q, want %q", c.action, c.file, got, c.want)
		}
		if len(outputs) > 0 && !strings.Contains(outputs[0], "file=.github/workflows/mine.yml") {
			t.Errorf("output %q", outputs[0])
		}
		for expr, w := range map[string]string{
			"github.workflow.has_miners":  c.has,
			"github.workflow.miners.type": c.types,
			"github.workflow.filename":    ".github/workflows/" + c.file,
			"github.action":               c.action,
			"github.diff.has_secrets":     "<NA>",
		} {
			if v := j.extract(t, expr); v != w {
				t.Errorf("%s %s: %s = %q, want %q", c.action, c.file, expr, v, w)
			}
		}
	}
	if v := j.extract(t, "json.value[/workflow_miner_detections/name]"); v != ".github/workflows/ci.yml" {
		t.Errorf("detections name %q", v)
	}
}

func TestScanPatch(t *testing.T) {
	f, err := newSecretFinder()
	if err != nil {
		t.Fatal(err)
	}
	patch := "junk before the hunk AKIAIOSFODNN7EXAMPLE\n@@ -3,2 +7,3 @@ func\r\n ctx\r\n-gone AKIAIOSFODNN7EXAMPLE\n+xoxb-1234567890-abcdefghij\n+\"type\": \"service_account\",\n@@ -20 +30 @@\n+https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n+harmless"
	got := f.scanPatch([]byte(patch))
	want := []secretMatch{
		{Line: 8, Type: "key", Desc: "slack", Platform: "Slack"},
		{Line: 9, Type: "key", Desc: "google_gcp_service_account", Platform: "Google"},
		{Line: 30, Type: "key", Desc: "slack_webhook", Platform: "slack"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// Every rule's own hints: each rule matches a line made to match it,
	// with and without the hints, and a non-ASCII spelling still matches.
	for _, line := range []string{
		"aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYab\"",
		"AWS_ACCOUNT_ID: 1234-5678-9012",
		"twitter_secret = 'abcdefghijklmnopqrstuvwxyz0123456789'",
		"LINKEDIN_ID=abcdef123456",
		"linKedin_id=abcdef123456", // a Kelvin sign, folded by (?i)
		"heroku_key=01234567-89ab-cdef-456789abcdef",
		"SG.abcdefghijklmnop.abcdefghijklmnop",
		"stripe: sk_live_abcdefghijklmnopqrstuvwx",
	} {
		r, _ := f.find([]byte(line), nil)
		slow := f.findSlow([]byte(line))
		if r == nil || r != slow {
			t.Errorf("%q: found %v, without hints %v", line, r, slow)
		}
	}
	for _, benign := range []string{"AKIA1234", "ghp_short", "-----BEGIN PUBLIC KEY-----", "password: hunter2", "export AWS_REGION=eu-west-1"} {
		if r, _ := f.find([]byte(benign), nil); r != nil {
			t.Errorf("%q matched %s", benign, r.name)
		}
	}
}
