package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/rules"
)

// replayCaptures are the captures the replay rules are recorded for (see
// scripts/record-rules.sh).
func replayCaptures(t *testing.T) []string {
	shared := filepath.Join(testenv.SharedDir(t), "testdata", "scap")
	return []string{
		filepath.Join(shared, "curl_google.scap"),
		filepath.Join(shared, "single_ipv6_conn.scap"),
		filepath.Join(testenv.RepoRoot(), "examples", "session.scap"),
	}
}

func replayRulesFile() string {
	return filepath.Join(testenv.RepoRoot(), "testdata", "rules", "replay.yaml")
}

// sidekickAlert is the input falcosidekick decodes (its FalcoPayload).
type sidekickAlert struct {
	Output       string         `json:"output"`
	Priority     string         `json:"priority"`
	Rule         string         `json:"rule"`
	Time         time.Time      `json:"time"`
	OutputFields map[string]any `json:"output_fields"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags"`
	Hostname     string         `json:"hostname"`
}

// checkSidekick applies falcosidekick's input rules (FalcoPayload.Check):
// the priority is one of its names, in any letter case, "info" included;
// the rule is not empty; the time parses (RFC 3339) and is not zero; and
// output_fields has at least one key. Otherwise it answers 400.
func checkSidekick(t *testing.T, line []byte) sidekickAlert {
	t.Helper()
	a, err := sidekickAccepts(line)
	if err != nil {
		t.Errorf("%v: %s", err, line)
	}
	return a
}

// sidekickAccepts applies falcosidekick's input rules (see checkSidekick)
// and says why it refuses an alert.
func sidekickAccepts(line []byte) (sidekickAlert, error) {
	var a sidekickAlert
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&a); err != nil {
		return a, fmt.Errorf("falcosidekick cannot decode it: %v", err)
	}
	switch strings.ToLower(a.Priority) {
	case "emergency", "alert", "critical", "error", "warning", "notice", "informational", "info", "debug":
	default:
		return a, fmt.Errorf("priority %q is not one falcosidekick knows", a.Priority)
	}
	if a.Rule == "" || a.Time.IsZero() || len(a.OutputFields) == 0 {
		return a, fmt.Errorf("falcosidekick refuses it (rule, time and output_fields are required)")
	}
	return a, nil
}

// replayAlerts runs the replay rules on a capture and returns the JSON
// alerts.
func replayAlerts(t *testing.T, capture string, extra ...string) [][]byte {
	t.Helper()
	var out, errb bytes.Buffer
	o := ReplayOptions{Path: capture, Rules: []string{replayRulesFile()}, JSON: true,
		Settings: append([]string{"rule_matching=all"}, extra...), Hostname: "kestrel-test", Location: time.UTC}
	if err := Replay(context.Background(), o, &out, &errb); err != nil {
		t.Fatalf("replay %s: %v\n%s", capture, err, errb.String())
	}
	if !strings.Contains(errb.String(), "Events read: ") {
		t.Errorf("no summary on stderr: %q", errb.String())
	}
	var lines [][]byte
	for _, l := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestReplayGolden checks that each replay rule fires on exactly the
// events sysdig's filter selects with the rule's condition, and that each
// alert's line and output fields are those sysdig prints with the rule's
// alert format (text with -p, typed values with -j -p).
func TestReplayGolden(t *testing.T) {
	for _, capture := range replayCaptures(t) {
		name := strings.TrimSuffix(filepath.Base(capture), ".scap")
		t.Run(name, func(t *testing.T) {
			wantNums := readRuleGolden(t, name+".txt")
			wantText := readRuleGolden(t, name+".text.txt")
			wantJSON := readRuleGolden(t, name+".json.txt")
			gotNums := map[string][]string{}
			var gotText, gotJSON []string
			for _, line := range replayAlerts(t, capture) {
				a := checkSidekick(t, line)
				if a.Hostname != "kestrel-test" || a.Source != "syscall" {
					t.Errorf("hostname %q source %q, want kestrel-test and syscall", a.Hostname, a.Source)
				}
				var raw struct {
					OutputFields json.RawMessage `json:"output_fields"`
				}
				_ = json.Unmarshal(line, &raw)
				gotNums[a.Rule] = append(gotNums[a.Rule], string(a.OutputFields["evt.num"].(json.Number)))
				gotText = append(gotText, a.Rule+"\t"+a.Output)
				gotJSON = append(gotJSON, a.Rule+"\t"+string(raw.OutputFields))
				if ts := a.Time.UnixNano(); a.OutputFields["evt.time"].(json.Number).String() != itoa(ts) {
					t.Errorf("%s: time %v is not evt.time %v", a.Rule, a.Time, a.OutputFields["evt.time"])
				}
			}
			for _, l := range wantNums {
				rule, nums, _ := strings.Cut(l, "\t")
				if got := strings.Join(gotNums[rule], " "); got != nums {
					t.Errorf("rule %q fired on events [%s], sysdig selects [%s]", rule, got, nums)
				}
			}
			sameLines(t, "alert lines", gotText, wantText)
			sameLines(t, "output fields", gotJSON, wantJSON)
		})
	}
}

// TestReplayAgainstSysdig compares the events each rule fires on with
// live sysdig, when it is installed.
func TestReplayAgainstSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	spec, ds := rules.Load(replayRulesFile())
	eng, cds := engine.Compile(spec, engine.DefaultOptions())
	if ds = append(ds, cds...); ds.HasErrors() {
		t.Fatal(ds.String())
	}
	for _, capture := range replayCaptures(t) {
		got := map[string][]string{}
		for _, line := range replayAlerts(t, capture) {
			var a sidekickAlert
			d := json.NewDecoder(bytes.NewReader(line))
			d.UseNumber()
			if err := d.Decode(&a); err != nil {
				t.Fatal(err)
			}
			got[a.Rule] = append(got[a.Rule], string(a.OutputFields["evt.num"].(json.Number)))
		}
		for _, r := range eng.Rules() {
			cmd := exec.Command(sysdig, "-r", capture, "-p", "%evt.num", r.Condition)
			cmd.Env = append(os.Environ(), "TZ=UTC")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("sysdig %q: %v", r.Condition, err)
			}
			want := strings.Join(strings.Fields(string(out)), " ")
			if g := strings.Join(got[r.Spec.Name], " "); g != want {
				t.Errorf("%s: rule %q fired on [%s], sysdig selects [%s]", filepath.Base(capture), r.Spec.Name, g, want)
			}
		}
	}
}

// TestReplaySelection checks Falco's selection flags on a replay: -D, -T,
// -t, the minimum priority and rule_matching first.
func TestReplaySelection(t *testing.T) {
	capture := replayCaptures(t)[0]
	count := func(o ReplayOptions) map[string]int {
		o.Path, o.Rules, o.JSON, o.Hostname = capture, []string{replayRulesFile()}, true, "h"
		var out, errb bytes.Buffer
		if err := Replay(context.Background(), o, &out, &errb); err != nil {
			t.Fatalf("%v: %s", err, errb.String())
		}
		n := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l != "" {
				n[checkSidekick(t, []byte(l)).Rule]++
			}
		}
		return n
	}
	all := []string{"rule_matching=all"}
	// Counts from the golden selection of curl_google.scap.
	if n := count(ReplayOptions{Settings: all}); n["Open below etc"] != 8 || n["File opened outside known places"] != 30 {
		t.Errorf("all rules: %v", n)
	}
	if n := count(ReplayOptions{Settings: all, Disable: []string{"below"}}); n["Open below etc"] != 0 || n["TCP connect"] != 1 {
		t.Errorf("-D below: %v", n)
	}
	if n := count(ReplayOptions{Settings: all, Disable: []string{"*connect"}}); n["TCP connect"] != 0 || n["Open below etc"] != 8 {
		t.Errorf("-D *connect: %v", n)
	}
	if n := count(ReplayOptions{Settings: all, DisableTags: []string{"network"}}); n["TCP connect"] != 0 || n["Socket created"] != 0 || n["Program executed"] != 1 {
		t.Errorf("-T network: %v", n)
	}
	if n := count(ReplayOptions{Settings: all, EnableTags: []string{"test"}}); len(n) != 3 || n["Socket created"] != 0 {
		t.Errorf("-t test: %v", n)
	}
	if n := count(ReplayOptions{Settings: append(all, "priority=notice")}); len(n) != 2 || n["TCP connect"] != 1 || n["Open below etc"] != 8 {
		t.Errorf("priority=notice: %v", n)
	}
	// session.scap: "Open below etc" selects events 7 and 18 and the
	// file-open rule 7, 18 and 20 (golden); with first match, the rule
	// defined first takes 7 and 18.
	capture = replayCaptures(t)[2]
	if n := count(ReplayOptions{}); n["Open below etc"] != 2 || n["File opened outside known places"] != 1 {
		t.Errorf("first match: %v", n)
	}
	if n := count(ReplayOptions{Settings: all}); n["Open below etc"] != 2 || n["File opened outside known places"] != 3 {
		t.Errorf("all match: %v", n)
	}
}

func readRuleGolden(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "testdata", "golden", "rules", name))
	if err != nil {
		t.Fatalf("%v (record it with scripts/record-rules.sh)", err)
	}
	return splitLines(b)
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = append([]string(nil), got...), append([]string(nil), want...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s differ from sysdig's (%d vs %d lines); first difference:\n got: %s\nwant: %s", what, len(got), len(want), g, w)
			return
		}
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }
