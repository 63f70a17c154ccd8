package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const auditLine = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"minikube-user","groups":["system:masters"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","name":"p","apiVersion":"v1"},"responseStatus":{"code":201},"requestObject":{"kind":"Pod","spec":{"containers":[{"name":"c","image":"nginx:1.25","securityContext":{"privileged":true}}]}},"responseObject":{"metadata":{"name":"p"}},"stageTimestamp":"2024-05-01T10:00:00.5Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`

func k8sRulesFile(t *testing.T) string {
	p, err := filepath.Abs("../../../shared/testdata/rules/plugins/k8s_audit_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReplayAudit replays a file of audit events, told from its content,
// with a malformed line in the middle.
func TestReplayAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	data := auditLine + "\n{broken\n" + `{"kind":"EventList","items":[` + auditLine + "]}\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{"", "k8s_audit"} {
		var stdout, stderr bytes.Buffer
		o := ReplayOptions{Path: path, Rules: []string{k8sRulesFile(t)}, JSON: true, Hostname: "h", Source: source}
		if err := Replay(context.Background(), o, &stdout, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		out := stdout.String()
		if strings.Count(out, `"rule":"Create Privileged Pod"`) != 2 || !strings.Contains(out, `"source":"k8s_audit"`) ||
			!strings.Contains(out, `"ka.req.pod.containers.image":"(nginx:1.25)"`) {
			t.Errorf("alerts:\n%s", out)
		}
		if !strings.Contains(stderr.String(), "Events read: 2") || !strings.Contains(stderr.String(), "1 malformed lines or events skipped") {
			t.Errorf("summary:\n%s", stderr.String())
		}
	}
}

func TestReplayAuditNeedsRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	os.WriteFile(path, []byte(auditLine+"\n"), 0o600)
	var stdout, stderr bytes.Buffer
	err := Replay(context.Background(), ReplayOptions{Path: path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no rule of the k8s_audit source") {
		t.Errorf("err = %v", err)
	}
	if err := Replay(context.Background(), ReplayOptions{Path: path, Source: "nosuch"}, &stdout, &stderr); err == nil ||
		!strings.Contains(err.Error(), "want syscall or one of") {
		t.Errorf("--source nosuch: %v", err)
	}
}

// cloudTrailCreateUser is a CloudTrail record of an IAM user created.
const cloudTrailCreateUser = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice",` +
	`"accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2024-08-13T09:12:44Z",` +
	`"eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7",` +
	`"userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"mallory"},"responseElements":{"user":{"userName":"mallory"}},` +
	`"requestID":"r1","eventID":"e1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,` +
	`"recipientAccountId":"123456789012","eventCategory":"Management"}`

// TestReplaySources replays a file of each JSON source, told from its
// content, with the upstream rules of all of them loaded: each file's
// events meet its own source's rules.
func TestReplaySources(t *testing.T) {
	dir := t.TempDir()
	ghLine := `{"webhook_type":"ping","received_at":"2024-08-13T09:12:44Z","zen":"z","hook":{"id":42,"type":"Repository"},` +
		`"repository":{"name":"r","full_name":"o/r","private":true,"owner":{"login":"o"}},"sender":{"login":"u"}}`
	files := map[string]struct{ data, source, rule string }{
		"okta.json":   {"[" + oktaLockEvent + "]", "okta", "User has been locked out in OKTA"},
		"github.json": {ghLine + "\n", "github", "Webhook Connected"},
		"audit.log":   {auditLine + "\n", "k8s_audit", "Create Privileged Pod"},
	}
	rules := []string{k8sRulesFile(t), pluginRulesFile(t, "github.yaml"), pluginRulesFile(t, "okta_rules.yaml"),
		pluginRulesFile(t, "aws_cloudtrail_rules.yaml")}
	// CloudTrail: a gzipped log file a few directories down, as
	// CloudTrail writes them; the directory is given.
	ctDir := filepath.Join(dir, "AWSLogs")
	ctFile := filepath.Join(ctDir, "123456789012/CloudTrail/us-east-1/2024/08/13/123456789012_CloudTrail_us-east-1_20240813T0915Z_x.json.gz")
	if err := os.MkdirAll(filepath.Dir(ctFile), 0o700); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[` + cloudTrailCreateUser + `]}`))
	zw.Close()
	if err := os.WriteFile(ctFile, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	files["AWSLogs"] = struct{ data, source, rule string }{"", "aws_cloudtrail", "Create AWS user"}
	for name, f := range files {
		path := filepath.Join(dir, name)
		if f.data != "" {
			if err := os.WriteFile(path, []byte(f.data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		o := ReplayOptions{Path: path, Rules: rules, JSON: true, Hostname: "h"}
		if err := Replay(context.Background(), o, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, stderr.String())
		}
		out := stdout.String()
		if strings.Count(out, `"rule":"`+f.rule+`"`) != 1 || !strings.Contains(out, `"source":"`+f.source+`"`) {
			t.Errorf("%s: alerts:\n%s%s", name, out, stderr.String())
		}
	}
}
