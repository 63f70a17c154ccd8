package github

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
)

// secretRule is one kind of secret looked for in the lines a push adds:
// its name (github.diff.committed_secrets.desc), what it is (key, client,
// secret), the platform it belongs to and the pattern of a line holding it.
// Every line the pattern matches holds one of the hints, in lower case
// once its ASCII letters are: a line of ASCII holding none is not tried.
type secretRule struct {
	name, kind, platform string
	hints                []string
	pattern              string
}

// The pieces of the AWS patterns: an optional AWS_ prefix, an optional
// quote, and the assignment of a YAML, JSON, Ruby or shell line.
const (
	awsPrefix = `(AWS|aws|Aws)?_?`
	optQ      = `("|')?`
	assign    = `\s*(:|=>|=)\s*`
)

// secretRules are the secrets the github plugin detects, in the order they
// are tried: a line counts once, for the first rule it matches.
var secretRules = [...]secretRule{
	{"aws_access_key", "key", "AWS", []string{`a3t`, `akia`, `agpa`, `aida`, `aroa`, `aipa`, `anpa`, `anva`, `asia`}, `(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}`},
	{"aws_secret_key", "key", "AWS", []string{`key`}, optQ + awsPrefix + `(SECRET|secret|Secret)?_?(ACCESS|access|Access)?_?(KEY|key|Key)` + optQ + assign + optQ + `[A-Za-z0-9/\+=]{40}` + optQ},
	{"aws_mws_key", "key", "AWS", []string{`amzn.mws.`}, `amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`},
	{"aws_account_id", "key", "AWS", []string{`account`}, optQ + awsPrefix + `(ACCOUNT|account|Account)_?(ID|id|Id)?` + optQ + assign + optQ + `[0-9]{4}-?[0-9]{4}-?[0-9]{4}` + optQ},
	{"facebook_secret_key", "key", "Facebook", []string{`facebook`, `fb`}, `(?i)(facebook|fb)(.{0,20})?(?-i)['"][0-9a-f]{32}['"]`},
	{"facebook_client_id", "key", "Facebook", []string{`facebook`, `fb`}, `(?i)(facebook|fb)(.{0,20})?['"][0-9]{13,17}['"]`},
	{"twitter_secret_key", "key", "Twitter", []string{`twitter`}, `(?i)twitter(.{0,20})?['"][0-9a-z]{35,44}['"]`},
	{"twitter_client_id", "client", "Twitter", []string{`twitter`}, `(?i)twitter(.{0,20})?['"][0-9a-z]{18,25}['"]`},
	{"github_personal_access_token", "key", "Github", []string{`ghp_`}, `ghp_[0-9a-zA-Z]{36}`},
	{"github_oauth_access_token", "key", "Github", []string{`gho_`}, `gho_[0-9a-zA-Z]{36}`},
	{"github_app_token", "key", "Github", []string{`ghu_`, `ghs_`}, `(ghu|ghs)_[0-9a-zA-Z]{36}`},
	{"github_refresh_token", "key", "Github", []string{`ghr_`}, `ghr_[0-9a-zA-Z]{76}`},
	{"linkedin_client_id", "client", "LinkedIn", []string{`linkedin`}, `(?i)linkedin(.{0,20})?(?-i)[0-9a-z]{12}`},
	{"linkedin_secret_key", "secret", "LinkedIn", []string{`linkedin`}, `(?i)linkedin(.{0,20})?[0-9a-z]{16}`},
	{"slack", "key", "Slack", []string{`xox`}, `xox[baprs]-([0-9a-zA-Z]{10,48})?`},
	{"asymmetric_private_key", "key", "AsymmetricPrivateKey", []string{`-----begin `}, `-----BEGIN ((EC|PGP|DSA|RSA|OPENSSH) )?PRIVATE KEY( BLOCK)?-----`},
	{"google_api_key", "key", "Google", []string{`aiza`}, `AIza[0-9A-Za-z\-_]{35}`},
	{"google_gcp_service_account", "key", "Google", []string{`"type": "service_account"`}, `"type": "service_account"`},
	{"heroku_api_key", "key", "Heroku", []string{`heroku`}, `(?i)heroku(.{0,20})?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`},
	{"mailchimp_api_key", "key", "Mailchimp", []string{`mailchimp`, `mc`}, `(?i)(mailchimp|mc)(.{0,20})?[0-9a-f]{32}-us[0-9]{1,2}`},
	{"mailgun_api_key", "key", "Mailgun", []string{`key-`}, `((?i)(mailgun|mg)(.{0,20})?)?key-[0-9a-z]{32}`},
	{"paypal_braintree_access_token", "key", "Paypal", []string{`access_token$production$`}, `access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}`},
	{"picatic_api_key", "key", "Picatic", []string{`sk_live_`}, `sk_live_[0-9a-z]{32}`},
	{"sendgrid_api_key", "key", "SendGrid", []string{`sg.`}, `SG\.[\w_]{16,32}\.[\w_]{16,64}`},
	{"slack_webhook", "key", "slack", []string{`hooks.slack.com`}, `^https://hooks\.slack\.com/services/T[a-zA-Z0-9_]{8}/B[a-zA-Z0-9_]{8,12}/[a-zA-Z0-9_]{24}$`},
	{"stripe_api_key", "key", "Stripe", []string{`stripe`}, `(?i)stripe(.{0,20})?[sr]k_live_[0-9a-zA-Z]{24}`},
	{"square_access_token", "key", "square", []string{`sq0atp-`}, `sq0atp-[0-9A-Za-z\-_]{22}`},
	{"square_oauth_secret", "key", "square", []string{`sq0csp-`}, `sq0csp-[0-9A-Za-z\-_]{43}`},
	{"twilio_api_key", "key", "twilio", []string{`twilio`}, `(?i)twilio(.{0,20})?SK[0-9a-f]{32}`},
	{"dynatrace_token", "key", "Dynatrace", []string{`dt0`}, `dt0[a-zA-Z]{1}[0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}`},
	{"shopify_shared_secret", "key", "Shopify", []string{`shpss_`}, `shpss_[a-fA-F0-9]{32}`},
	{"shopify_access_token", "key", "Shopify", []string{`shpat_`}, `shpat_[a-fA-F0-9]{32}`},
	{"shopify_custom_app_access_token", "key", "Shopify", []string{`shpca_`}, `shpca_[a-fA-F0-9]{32}`},
	{"shopify_private_app_access_token", "key", "Shopify", []string{`shppa_`}, `shppa_[a-fA-F0-9]{32}`},
	{"pypi_upload_token", "key", "pypi", []string{`pypi-`}, `pypi-AgEIcHlwaS5vcmc[A-Za-z0-9-_]{50,1000}`},
}

// secretMatch is a secret found on a line a push adds, as the event
// records it.
type secretMatch struct {
	Line     uint64 `json:"line"`
	Type     string `json:"type"`
	Desc     string `json:"desc"`
	Platform string `json:"platform"`
}

// fileSecrets are the secrets found in one file of a push.
type fileSecrets struct {
	Name    string        `json:"name"`
	Matches []secretMatch `json:"matches"`
}

// secretFinder looks for secrets in diffs; it is safe for concurrent use.
type secretFinder struct {
	rules [len(secretRules)]secretRule
	res   [len(secretRules)]*regexp.Regexp
}

// newSecretFinder compiles the secret patterns.
func newSecretFinder() (*secretFinder, error) {
	f := &secretFinder{rules: secretRules}
	for i, r := range secretRules {
		re, err := regexp.Compile(r.pattern)
		if err != nil {
			return nil, fmt.Errorf("secret pattern %s: %w", r.name, err)
		}
		f.res[i] = re
	}
	return f, nil
}

// find returns the first rule line matches, or nil. lower is scratch
// space, returned grown.
func (f *secretFinder) find(line, lower []byte) (*secretRule, []byte) {
	lower, ascii := asciiLower(lower[:0], line)
	for i, re := range f.res {
		if ascii && !hinted(lower, f.rules[i].hints) {
			continue
		}
		if re.Match(line) {
			return &f.rules[i], lower
		}
	}
	return nil, lower
}

// findSlow is find without the hints, to check them against.
func (f *secretFinder) findSlow(line []byte) *secretRule {
	for i, re := range f.res {
		if re.Match(line) {
			return &f.rules[i]
		}
	}
	return nil
}

// asciiLower appends s with its ASCII letters in lower case; ascii is
// false when s holds other bytes.
func asciiLower(dst, s []byte) (out []byte, ascii bool) {
	ascii = true
	for _, c := range s {
		if c >= 0x80 {
			ascii = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, ascii
}

// hinted reports whether lower holds one of hints; true when there are
// none.
func hinted(lower []byte, hints []string) bool {
	if len(hints) == 0 {
		return true
	}
	for _, h := range hints {
		if bytes.Contains(lower, []byte(h)) {
			return true
		}
	}
	return false
}

// scanPatch returns the secrets on the lines a unified diff patch (a
// file's patch from the GitHub API: hunks, no file headers) adds, with
// their line numbers in the new file.
func (f *secretFinder) scanPatch(patch []byte) []secretMatch {
	var out []secretMatch
	var lower []byte
	eachAdded(patch, func(n uint64, line []byte) {
		var r *secretRule
		if r, lower = f.find(line, lower); r != nil {
			out = append(out, secretMatch{Line: n, Type: r.kind, Desc: r.name, Platform: r.platform})
		}
	})
	return out
}

// eachAdded calls added for every line a patch adds, with its line
// number in the new file. Lines before the first hunk header are ignored.
func eachAdded(patch []byte, added func(n uint64, line []byte)) {
	var n uint64 // the new file's line number of the next line; 0 outside a hunk
	for len(patch) > 0 {
		var line []byte
		line, patch, _ = bytes.Cut(patch, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		switch {
		case bytes.HasPrefix(line, []byte("@@")):
			n = hunkStart(line)
		case n == 0, len(line) > 0 && (line[0] == '-' || line[0] == '\\'):
			// outside a hunk, a removed line, or "\ No newline at end of file"
		case len(line) > 0 && line[0] == '+':
			added(n, line[1:])
			n++
		default:
			n++
		}
	}
}

// hunkStart returns the new file's first line of a hunk header, "@@ -a,b
// +c,d @@" (or "@@@ -a,b -c,d +e,f @@@" for a merge's combined diff); 0
// when the header is malformed.
func hunkStart(line []byte) uint64 {
	fields := bytes.Fields(line)
	for _, f := range fields[1:] {
		if f[0] == '@' {
			return 0
		}
		if f[0] != '+' {
			continue
		}
		start, _, _ := bytes.Cut(f[1:], []byte{','})
		n, err := strconv.ParseUint(string(start), 10, 64)
		if err != nil {
			return 0
		}
		return max(n, 1)
	}
	return 0
}
