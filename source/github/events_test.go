package github

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

var testSecret = []byte("It's a Secret to Everybody")

// testTime is when the test deliveries arrive.
var testTime = time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)

// hookEnv is a webhook served on loopback for a test, scanning with a
// fake GitHub API.
type hookEnv struct {
	h    *Webhook
	q    *jsonsrc.Queue
	api  *fakeAPI
	url  string
	http *http.Client
}

func startHook(t *testing.T, cert, key string, client *http.Client, opts ...func(*Webhook)) *hookEnv {
	t.Helper()
	api := newFakeAPI(t)
	stats := &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(64, stats)
	sc, err := NewScanner(ScannerOptions{APIURL: api.URL, Token: "ghp_testtoken", Timeout: 5 * time.Second, Stats: stats})
	if err != nil {
		t.Fatal(err)
	}
	h := &Webhook{Path: "/github", Secret: testSecret, MaxBodySize: 256 << 10, Scanner: sc, Queue: q, Stats: stats,
		Now: func() time.Time { return testTime }}
	for _, o := range opts {
		o(h)
	}
	srv, err := Listen("127.0.0.1:0", cert, key, h)
	if err != nil {
		t.Fatal(err)
	}
	srctest.Serve(t, srv)
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &hookEnv{h: h, q: q, api: api, url: scheme + "://" + srv.Addr().String() + "/github", http: client}
}

// delivery is one webhook request.
type delivery struct {
	typ, ctype string
	body       []byte
	sig        string // "" signs the body with testSecret; "-" sends none
}

// send posts a delivery and returns the status and answer.
func (e *hookEnv) send(t *testing.T, d delivery) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	if d.ctype == "" {
		d.ctype = "application/json"
	}
	req.Header.Set("Content-Type", d.ctype)
	req.Header.Set("User-Agent", "GitHub-Hookshot/044aadd")
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if d.typ != "" {
		req.Header.Set("X-GitHub-Event", d.typ)
	}
	switch d.sig {
	case "":
		req.Header.Set("X-Hub-Signature-256", Sign(testSecret, d.body))
	case "-":
	default:
		req.Header.Set("X-Hub-Signature-256", d.sig)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, strings.TrimSpace(b.String())
}

// deliver sends a signed JSON delivery that must be accepted, and
// returns the event queued.
func (e *hookEnv) deliver(t *testing.T, typ string, payload any) jsonsrc.Item {
	t.Helper()
	if code, msg := e.send(t, delivery{typ: typ, body: srctest.JSON(t, payload)}); code != http.StatusOK {
		t.Fatalf("%s: status %d (%s)", typ, code, msg)
	}
	select {
	case it := <-e.q.Items():
		return it
	default:
		t.Fatalf("%s: nothing queued", typ)
	}
	return jsonsrc.Item{}
}

// form wraps a payload as GitHub's form content type sends it.
func form(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// judge runs events through every upstream rule.
type judge struct {
	*srctest.Judge
	reg *field.Registry
}

func newJudge(tb testing.TB) *judge {
	o := engine.DefaultOptions()
	o.Matching = engine.MatchAll
	return &judge{srctest.NewJudge(tb, Def(), o, &Decoder{}, upstreamRules(tb)), Registry()}
}

// fire decodes an event and returns the rules that fire, sorted, with
// their outputs.
func (j *judge) fire(tb testing.TB, it jsonsrc.Item) (names, outputs []string) {
	tb.Helper()
	alerts := j.Fire(tb, it.Data, it.TS)
	for _, a := range alerts {
		outputs = append(outputs, a.Output)
	}
	return srctest.Rules(alerts), outputs
}

// extract returns a field expression's text for the current event, or
// "<NA>".
func (j *judge) extract(tb testing.TB, expr string) string {
	tb.Helper()
	return srctest.Extract(tb, j.reg, j.Context, expr)
}

// ruleCase is a delivery, the rules it fires and field values it has.
type ruleCase struct {
	name    string
	typ     string
	payload map[string]any
	want    []string
	fields  map[string]string
}

// repoFields are the field values of an event about acme-corp/payments.
func repoFields(public string) map[string]string {
	return map[string]string{
		"github.repo.name": "acme-corp/payments", "github.repo.url": "https://github.com/acme-corp/payments",
		"github.repo": "https://github.com/acme-corp/payments", "github.owner": "acme-corp", "github.org": "acme-corp",
		"github.user": "mallory", "github.repo.public": public, "github.repo.description": "Payment service",
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func ruleCases() []ruleCase {
	pub, priv := repository("payments", false), repository("payments", true)
	return []ruleCase{
		{"ping", "ping", pingEvent(), []string{"Webhook Connected"}, with(repoFields("false"),
			"github.type", "ping", "github.action", "", "github.webhook.id", "470000411", "github.webhook.type", "Repository")},
		{"webhook deleted", "meta", metaDeleted(), []string{"Webhook Disconnected"}, with(repoFields("false"),
			"github.type", "meta", "github.action", "deleted", "github.webhook.id", "470000411")},
		{"repository publicized", "repository", repoEvent("publicized", pub, nil), []string{"Private Repository Becoming Public"},
			with(repoFields("true"), "github.action", "publicized", "github.webhook.id", "0", "github.diff.has_secrets", "<NA>")},
		{"repository privatized", "repository", repoEvent("privatized", priv, nil), []string{"Public Repository Becoming Private"}, repoFields("false")},
		{"public repository created", "repository", repoEvent("created", pub, nil), []string{"Create Public Repository", "Create Repository"}, repoFields("true")},
		{"private repository created", "repository", repoEvent("created", priv, nil), []string{"Create Repository"}, repoFields("false")},
		{"public repository deleted", "repository", repoEvent("deleted", pub, nil), []string{"Delete Public Repository", "Delete Repository"}, nil},
		{"private repository deleted", "repository", repoEvent("deleted", priv, nil), []string{"Delete Repository"}, nil},
		{"repository renamed (benign)", "repository", repoEvent("renamed", pub, nil), nil, nil},
		{"deploy key created", "deploy_key", deployKey("created"), []string{"Create Deploy Key"}, repoFields("false")},
		{"deploy key deleted", "deploy_key", deployKey("deleted"), []string{"Delete Deploy Key"}, nil},
		{"collaborator added", "member", memberEvent("added"), []string{"Add Collaborator to Repository"},
			with(repoFields("true"), "github.collaborator.name", "eve", "github.collaborator.role", "admin")},
		{"collaborator removed", "member", memberEvent("removed"), []string{"Remove Collaborator from Repository"},
			map[string]string{"github.collaborator.name": "eve", "github.collaborator.role": ""}},
		{"collaborator edited (benign)", "member", memberEvent("edited"), nil, nil},
		{"repository starred (benign)", "star", repoEvent("created", pub, map[string]any{"starred_at": "2024-05-01T10:00:00Z"}), nil, nil},
		{"organization member added (benign)", "organization", map[string]any{"action": "member_added", "organization": org(),
			"sender": user("mallory", 583231), "membership": map[string]any{"role": "admin", "user": user("eve", 7777)}}, nil,
			map[string]string{"github.repo.public": "<NA>", "github.repo.name": "", "github.org": "acme-corp", "github.webhook.id": "0"}},
	}
}

// TestRulesFire sends each delivery over HTTP on loopback, signed, and
// checks the rules that fire on the queued event and its field values.
func TestRulesFire(t *testing.T) {
	e := startHook(t, "", "", nil)
	j := newJudge(t)
	for _, c := range ruleCases() {
		got, _ := j.fire(t, e.deliver(t, c.typ, c.payload))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: rules %q, want %q", c.name, got, c.want)
		}
		for expr, want := range c.fields {
			if v := j.extract(t, expr); v != want {
				t.Errorf("%s: %s = %q, want %q", c.name, expr, v, want)
			}
		}
	}
	if n := e.api.calls.Load(); n != 0 {
		t.Errorf("%d API calls for events that need no scan", n)
	}
}
