package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// writeTestFile writes data to name in dir and returns its path.
func writeTestFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readOut runs Read and returns what it printed.
func readOut(t *testing.T, o ReadOptions) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := Read(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("read %s: %v\n%s", o.Path, err, stderr.String())
	}
	return stdout.String()
}

// replayOut runs Replay on a capture and returns its alerts and summary.
func replayOut(t *testing.T, path string, rules ...string) (alerts, summary string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	o := ReplayOptions{Path: path, Rules: rules, JSON: true, Hostname: "h", Settings: []string{"rule_matching=all"}}
	if err := Replay(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("replay %s: %v\n%s", path, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// pluginCapture writes a capture of plugin events, one per JSON text,
// with the plugin ids given, a second apart.
func pluginCapture(t *testing.T, path string, ids []uint32, data []string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := scap.NewWriter(f, nil, scap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		rec, err := event.AppendRecord(nil, uint64(1714557600+i)*1e9, -1, event.PluginEventE, binary.LittleEndian.AppendUint32(nil, id), []byte(data[i]))
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		if err := e.Reset(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEvent(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// sourcesCapture writes, from an audit log and a CloudTrail log file, a
// capture of their events as plugin events, and returns its path.
func sourcesCapture(t *testing.T) string {
	dir := t.TempDir()
	audit := writeTestFile(t, dir, "audit.log", auditLine+"\n")
	ct := writeTestFile(t, dir, "trail.json", `{"Records":[`+cloudTrailCreateUser+`]}`)
	out := filepath.Join(dir, "sources.scap")
	if got := readOut(t, ReadOptions{Path: ct, Merge: []string{audit}, Write: out}); got != "" {
		t.Errorf("-w printed %q", got)
	}
	return out
}

// TestReadPluginEvents writes the events of two sources' files into one
// capture and reads them back: in time order, with their source's fields
// in -p formats and filters, and in sysdig's line for plugin events.
func TestReadPluginEvents(t *testing.T) {
	path := sourcesCapture(t)
	got := readOut(t, ReadOptions{Path: path, Format: "*%evt.num %evt.type %evt.source %evt.pluginname %ka.user.name %ct.name %json.value[/eventID]"})
	want := "1 pluginevent k8s_audit k8saudit minikube-user <NA> <NA>\n" +
		"2 pluginevent aws_cloudtrail cloudtrail <NA> CreateUser e1\n"
	if got != want {
		t.Errorf("-p:\n got %q\nwant %q", got, want)
	}
	lines := strings.Split(readOut(t, ReadOptions{Path: path}), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "1 2024-05-01 ") || !strings.Contains(lines[0], " [k8saudit] {\"kind\":\"Event\"") ||
		!strings.HasPrefix(lines[1], "2 2024-08-13 ") || !strings.HasSuffix(lines[1], " [cloudtrail] us-east-1 alice iam CreateUser alice via 203.0.113.7 → CreateUser") {
		t.Errorf("default format:\n%s", strings.Join(lines, "\n"))
	}
	for filter, want := range map[string]string{
		"ka.user.name = minikube-user":              "1\n",
		"evt.pluginname = cloudtrail":               "2\n",
		"evt.source in (k8s_audit, aws_cloudtrail)": "1\n2\n",
		"proc.name exists":                          "",
	} {
		if got := readOut(t, ReadOptions{Path: path, Format: "%evt.num", Filter: filter}); got != want {
			t.Errorf("filter %q: got %q, want %q", filter, got, want)
		}
	}
	js := readOut(t, ReadOptions{Path: path, JSON: true, Limit: 1})
	if !strings.Contains(js, `"evt.num":1,`) || !strings.Contains(js, `"evt.pluginname":"k8saudit"`) || !strings.Contains(js, `"evt.plugininfo":"{\"kind\":`) {
		t.Errorf("-j: %s", js)
	}
}

// TestReadSourceFile prints a file of audit events as the plugin events
// of a capture.
func TestReadSourceFile(t *testing.T) {
	audit := writeTestFile(t, t.TempDir(), "audit.log", auditLine+"\n"+auditLine+"\n")
	got := readOut(t, ReadOptions{Path: audit, Format: "%evt.num %evt.rawtime %evt.type %ka.verb"})
	if want := "1 1714557600500000000 pluginevent create\n2 1714557600500000000 pluginevent create\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestReplayPluginEvents replays a capture of plugin events with the
// upstream rules of their sources: each event meets its own source's
// rules; a source without rules is reported.
func TestReplayPluginEvents(t *testing.T) {
	path := sourcesCapture(t)
	alerts, summary := replayOut(t, path, k8sRulesFile(t), pluginRulesFile(t, "aws_cloudtrail_rules.yaml"))
	if strings.Count(alerts, `"rule":"Create Privileged Pod"`) != 1 || !strings.Contains(alerts, `"source":"k8s_audit"`) ||
		!strings.Contains(alerts, `"ka.req.pod.containers.image":"(nginx:1.25)"`) ||
		strings.Count(alerts, `"rule":"Create AWS user"`) != 1 || !strings.Contains(alerts, `"source":"aws_cloudtrail"`) {
		t.Errorf("alerts:\n%s", alerts)
	}
	if strings.Index(alerts, "Create Privileged Pod") > strings.Index(alerts, "Create AWS user") {
		t.Errorf("alerts out of file order:\n%s", alerts)
	}
	if !strings.Contains(summary, "Events read: 2\n") || !strings.Contains(summary, "Events detected: 2\n") {
		t.Errorf("summary:\n%s", summary)
	}
	_, summary = replayOut(t, path, k8sRulesFile(t))
	if !strings.Contains(summary, "Events detected: 1\n") ||
		!strings.Contains(summary, "1 aws_cloudtrail plugin events not judged: no rule of the aws_cloudtrail source runs") {
		t.Errorf("summary with the k8s_audit rules only:\n%s", summary)
	}
}

// TestReplayUnknownPlugin counts the events of a plugin Kestrel does not
// know, and reads them as sysdig shows them without the plugin.
func TestReplayUnknownPlugin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unknown.scap")
	pluginCapture(t, path, []uint32{999, 1, 999}, []string{"{}", auditLine, "x"})
	alerts, summary := replayOut(t, path, k8sRulesFile(t))
	if strings.Count(alerts, `"rule":"Create Privileged Pod"`) != 1 {
		t.Errorf("alerts:\n%s", alerts)
	}
	if !strings.Contains(summary, "Events read: 3\n") || !strings.Contains(summary, "2 plugin events of unknown plugin id 999 skipped") {
		t.Errorf("summary:\n%s", summary)
	}
	got := readOut(t, ReadOptions{Path: path})
	lines := strings.Split(got, "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[0], " [<NA>] <NA>") || !strings.Contains(lines[1], " [k8saudit] {") {
		t.Errorf("read:\n%s", got)
	}
}

// TestReplayMergedCapture merges an audit event into a real capture and
// replays the result with system call and audit rules together: each
// source's rules raise their alerts, and the system call rules never see
// the plugin event (a rule whose condition names no event type is tested
// against every system call event).
func TestReplayMergedCapture(t *testing.T) {
	dir := t.TempDir()
	capture := filepath.Join(testenv.SharedDir(t), "testdata", "scap", "curl_google.scap")
	// The capture runs from 17:35:48.514 to 17:35:48.588 on 2018-08-17.
	audit := writeTestFile(t, dir, "audit.log", strings.Replace(auditLine, "2024-05-01T10:00:00.5Z", "2018-08-17T17:35:48.55Z", 1)+"\n")
	merged := filepath.Join(dir, "both.scap")
	readOut(t, ReadOptions{Path: capture, Merge: []string{audit}, Write: merged})

	num := strings.TrimSpace(readOut(t, ReadOptions{Path: merged, Format: "%evt.num", Filter: "evt.type = pluginevent"}))
	var n int
	if _, err := fmt.Sscan(num, &n); err != nil || n < 1000 {
		t.Fatalf("plugin event number %q", num)
	}
	if before := readOut(t, ReadOptions{Path: merged, Format: "%evt.num %evt.rawtime", Filter: fmt.Sprintf("evt.num in (%d, %d)", n-1, n+1)}); !ordered(before) {
		t.Errorf("events around the plugin event out of time order:\n%s", before)
	}
	byNum := writeTestFile(t, dir, "bynum.yaml", fmt.Sprintf(`
- rule: Event before the audit event
  desc: the system call event just before the merged audit event
  condition: evt.num = %d
  output: event %%evt.num
  priority: NOTICE
- rule: Audit event as a system call
  desc: the merged audit event, were it judged as a system call event
  condition: evt.num = %d
  output: event %%evt.num
  priority: NOTICE
`, n-1, n))
	alerts, summary := replayOut(t, merged, replayRulesFile(), k8sRulesFile(t), byNum)
	alone := replayAlerts(t, capture)
	if got := strings.Count(alerts, `"source":"syscall"`); got != len(alone)+1 {
		t.Errorf("%d syscall alerts, want the capture's %d and one more", got, len(alone))
	}
	if strings.Count(alerts, `"rule":"Create Privileged Pod"`) != 1 || strings.Count(alerts, `"source":"k8s_audit"`) != 1 ||
		strings.Count(alerts, "Event before the audit event") != 1 || strings.Contains(alerts, "Audit event as a system call") {
		t.Errorf("alerts:\n%s", alerts)
	}
	if !strings.Contains(summary, "Events read: 1537\n") {
		t.Errorf("summary:\n%s", summary)
	}
}

// ordered reports whether the second column of lines of "num time" grows.
func ordered(lines string) bool {
	var prev uint64
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		var num, ts uint64
		if _, err := fmt.Sscan(l, &num, &ts); err != nil || ts < prev {
			return false
		}
		prev = ts
	}
	return true
}

// TestSysdigReadsPluginCapture reads a capture merged from a real capture
// and an audit log with sysdig 0.29.3: it reads every event, prints the
// system call events as Kestrel does, and the plugin event as it prints
// plugin events without their plugin loaded.
func TestSysdigReadsPluginCapture(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	dir := t.TempDir()
	capture := filepath.Join(testenv.SharedDir(t), "testdata", "scap", "curl_google.scap")
	audit := writeTestFile(t, dir, "audit.log", strings.Replace(auditLine, "2024-05-01T10:00:00.5Z", "2018-08-17T17:35:48.55Z", 1)+"\n")
	merged := filepath.Join(dir, "both.scap")
	readOut(t, ReadOptions{Path: capture, Merge: []string{audit}, Write: merged})
	const format = "*%evt.num %evt.rawtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"
	out, err := exec.Command(sysdig, "-r", merged, "-p", format).Output()
	if err != nil {
		t.Fatalf("sysdig -r: %v", err)
	}
	if got := readOut(t, ReadOptions{Path: merged, Format: format}); got != string(out) {
		t.Errorf("sysdig and Kestrel differ:\nsysdig:\n%s\nkestrel:\n%s", out, got)
	}
	if !strings.Contains(string(out), " > pluginevent plugin ID=1 event_data={\"kind\":\"Event\"") {
		t.Errorf("sysdig shows no plugin event:\n%s", out)
	}
	def, err := exec.Command(sysdig, "-r", merged, "evt.type = pluginevent").Output()
	if err != nil || !strings.HasSuffix(string(def), " [<NA>] <NA>\n") || strings.Count(string(def), "\n") != 1 {
		t.Errorf("sysdig default line: %v %q", err, def)
	}
	// A capture of plugin events only, with no initial state.
	only, err := exec.Command(sysdig, "-r", sourcesCapture(t), "-p", "%evt.num %evt.type %evt.arg[0]").Output()
	if err != nil || string(only) != "1 pluginevent 1\n2 pluginevent 2\n" {
		t.Errorf("sysdig on a capture of plugin events: %v %q", err, only)
	}
}
