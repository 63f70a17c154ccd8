package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// The defaults of the GitHub API client: the API's address, how long one
// scan may take (under the 10 seconds GitHub waits for a webhook's
// answer), and the largest response read.
const (
	DefaultAPIURL          = "https://api.github.com"
	DefaultAPITimeout      = 5 * time.Second
	DefaultMaxResponseSize = 16 << 20
)

// ErrAPI is wrapped by the errors about GitHub API calls that failed.
var ErrAPI = errors.New("GitHub API call failed")

// ScannerOptions configure a [Scanner]; the zero value asks the public
// GitHub API without a token.
type ScannerOptions struct {
	// APIURL is the API's base address; DefaultAPIURL when empty.
	APIURL string
	// Token is sent as a bearer token when set: a personal access token
	// or an app token that can read the repositories' contents.
	Token string
	// Timeout bounds one scan; DefaultAPITimeout when 0.
	Timeout time.Duration
	// Client makes the calls; one of the Scanner's own when nil.
	Client *http.Client
	// Stats counts each call as a request and each failure as rejected;
	// nil counts nothing.
	Stats *jsonsrc.Stats
	Log   *slog.Logger // nil: nothing is logged
}

// Scanner fetches what a webhook payload only points at from the GitHub
// API and looks into it: the diff of a push for secrets (GET
// /repos/{owner}/{repo}/compare/{before}...{after}), the workflow file of a
// workflow run for crypto miners (GET /repos/{owner}/{repo}/contents/{path}).
// It is safe for concurrent use.
type Scanner struct {
	base    string
	token   string
	timeout time.Duration
	client  *http.Client
	secrets *secretFinder
	stats   *jsonsrc.Stats
	log     *slog.Logger
}

// NewScanner returns a Scanner.
func NewScanner(o ScannerOptions) (*Scanner, error) {
	base := o.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GitHub API URL %q: want http(s)://host[/path]", base)
	}
	f, err := newSecretFinder()
	if err != nil {
		return nil, err
	}
	s := &Scanner{base: strings.TrimRight(base, "/"), token: o.Token, timeout: o.Timeout,
		client: o.Client, secrets: f, stats: o.Stats, log: o.Log}
	if s.timeout <= 0 {
		s.timeout = DefaultAPITimeout
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: s.timeout}
	}
	return s, nil
}

// findings returns the members an event of type typ gets from a scan,
// ready to put in front of its payload's: "files" for a push,
// "workflow_miner_detections" for a workflow run. It returns nil when the
// event needs no scan or the scan failed; a failure is logged and counted.
func (s *Scanner) findings(ctx context.Context, typ string, payload jsonsrc.Value) []byte {
	if typ != "push" && typ != "workflow_run" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	key, v, err := s.scan(ctx, typ, payload)
	if err == nil && v != nil {
		var b []byte
		if b, err = json.Marshal(v); err == nil {
			return append([]byte(`"`+key+`":`), b...)
		}
	}
	if err != nil {
		s.fail(typ, payload, err)
	}
	return nil
}

// scan runs the scan of an event of type typ; v is nil when there was
// nothing to scan.
func (s *Scanner) scan(ctx context.Context, typ string, payload jsonsrc.Value) (key string, v any, err error) {
	if typ == "push" {
		files, err := s.scanPush(ctx, payload)
		if files == nil || err != nil {
			return keyFiles, nil, err
		}
		return keyFiles, files, nil
	}
	wf, err := s.scanWorkflowRun(ctx, payload)
	if wf == nil || err != nil {
		return keyMiners, nil, err
	}
	return keyMiners, wf, nil
}

func (s *Scanner) fail(typ string, payload jsonsrc.Value, err error) {
	if s.stats != nil {
		s.stats.AddRejected()
	}
	if s.log != nil {
		repo := appendStr(nil, payload.At("repository", "full_name"))
		s.log.Warn("GitHub event kept without its scan", "source", SourceName, "type", typ, "repository", string(repo), "error", err.Error())
	}
}

// nullCommit is the commit id of the missing side of a push that creates
// or deletes a branch.
const nullCommit = "0000000000000000000000000000000000000000"

// scanPush returns the secrets a push's commits add, nil when the push
// creates or deletes a branch (there is no diff to look at).
func (s *Scanner) scanPush(ctx context.Context, payload jsonsrc.Value) ([]fileSecrets, error) {
	before := string(appendStr(nil, payload.Get("before")))
	after := string(appendStr(nil, payload.Get("after")))
	if before == "" || after == "" || before == nullCommit || after == nullCommit {
		return nil, nil
	}
	if !isHex(before) || !isHex(after) {
		return nil, fmt.Errorf("push from %q to %q: commit ids are not hexadecimal", before, after)
	}
	repo, err := repoPath(payload)
	if err != nil {
		return nil, err
	}
	var doc jsonsrc.Doc
	if err := s.get(ctx, repo+"/compare/"+before+"..."+after, "", &doc); err != nil {
		return nil, err
	}
	out := []fileSecrets{}
	it := doc.Root().Get("files").Iter()
	for {
		_, f, ok := it.Next()
		if !ok {
			return out, nil
		}
		if m := s.secrets.scanPatch(f.Get("patch").AppendText(nil)); len(m) > 0 {
			out = append(out, fileSecrets{Name: string(appendStr(nil, f.Get("filename"))), Matches: m})
		}
	}
}

// scanWorkflowRun returns the miners in a workflow run's workflow file, at
// the commit that ran; nil when the payload names no workflow file.
func (s *Scanner) scanWorkflowRun(ctx context.Context, payload jsonsrc.Value) (*workflowMiners, error) {
	path := string(appendStr(nil, payload.At("workflow", "path")))
	if path == "" {
		return nil, nil
	}
	repo, err := repoPath(payload)
	if err != nil {
		return nil, err
	}
	query := ""
	if sha := string(appendStr(nil, payload.At("workflow_run", "head_sha"))); isHex(sha) {
		query = "ref=" + sha
	}
	var doc jsonsrc.Doc
	if err := s.get(ctx, repo+"/contents/"+escapePath(path), query, &doc); err != nil {
		return nil, err
	}
	content, err := base64.StdEncoding.DecodeString(string(doc.Root().Get("content").AppendText(nil)))
	if err != nil {
		return nil, fmt.Errorf("workflow file %s: content: %w", path, err)
	}
	return &workflowMiners{Name: path, Matches: scanWorkflow(content)}, nil
}

// repoPath returns "/repos/{owner}/{repo}" for the payload's repository.
func repoPath(payload jsonsrc.Value) (string, error) {
	full := string(appendStr(nil, payload.At("repository", "full_name")))
	owner, name, ok := strings.Cut(full, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("repository full_name %q: want owner/name", full)
	}
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name), nil
}

// escapePath escapes each segment of a file path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return len(s) >= 4 && len(s) <= 64
}

// get calls GET path?query on the API and parses the JSON answer into doc.
func (s *Scanner) get(ctx context.Context, path, query string, doc *jsonsrc.Doc) error {
	u := s.base + path
	if query != "" {
		u += "?" + query
	}
	body, err := s.fetch(ctx, u)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %w", ErrAPI, u, err)
	}
	if err := doc.Parse(body); err != nil {
		return fmt.Errorf("%w: GET %s: %w", ErrAPI, u, err)
	}
	return nil
}

func (s *Scanner) fetch(ctx context.Context, u string) ([]byte, error) {
	if s.stats != nil {
		s.stats.AddRequest()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "kestrel")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, DefaultMaxResponseSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > DefaultMaxResponseSize {
		return nil, fmt.Errorf("answer over %d bytes", DefaultMaxResponseSize)
	}
	return body, nil
}
