package alert

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/rules"
)

func sample() Alert {
	return Alert{
		Time:     time.Date(2026, 11, 30, 15, 4, 5, 7, time.FixedZone("CET", 3600)),
		Rule:     `Read "sensitive" file`,
		Priority: rules.PriorityWarning,
		Source:   "syscall",
		Hostname: "node-1",
		Output:   "15:04:05.000000007: Warning file=/etc/shadow cmd=cat\t<a & b>\n\x01 \xff",
		Tags:     []string{"mitre_credential_access", "filesystem", "T1555"},
		OutputFields: json.RawMessage(
			`{"fd.name":"/etc/shadow","proc.pid":42,"container.image.repository":null}`),
	}
}

// TestJSONForm checks the JSON form against Falco's: its keys, the time in
// RFC 3339 UTC with nine digits, sorted tags, typed output fields, and
// strings that survive any byte.
func TestJSONForm(t *testing.T) {
	a := sample()
	b := a.AppendJSON(nil, JSONOptions{})
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want Falco's %v", keys, want)
	}
	if m["time"] != "2026-11-30T14:04:05.000000007Z" {
		t.Errorf("time %v", m["time"])
	}
	if ts, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil || !ts.Equal(a.Time) {
		t.Errorf("time %v does not parse back to %v (%v)", m["time"], a.Time, err)
	}
	if m["priority"] != "Warning" || m["rule"] != a.Rule || m["source"] != "syscall" || m["hostname"] != "node-1" {
		t.Errorf("values: %v", m)
	}
	if !reflect.DeepEqual(m["tags"], []any{"T1555", "filesystem", "mitre_credential_access"}) {
		t.Errorf("tags %v, want sorted", m["tags"])
	}
	if want := strings.ToValidUTF8(a.Output, "\uFFFD"); m["output"] != want {
		t.Errorf("output %q, want %q", m["output"], want)
	}
	of := m["output_fields"].(map[string]any)
	if of["fd.name"] != "/etc/shadow" || of["proc.pid"] != float64(42) || of["container.image.repository"] != nil {
		t.Errorf("output_fields %v", of)
	}
	if a.Tags[0] != "mitre_credential_access" {
		t.Error("AppendJSON sorted the alert's own tags")
	}
	if mj, _ := a.MarshalJSON(); string(mj) != string(b) {
		t.Error("MarshalJSON differs from AppendJSON")
	}
}

func TestJSONOptions(t *testing.T) {
	a := sample()
	var m map[string]any
	if err := json.Unmarshal(a.AppendJSON(nil, JSONOptions{OmitOutput: true, OmitTags: true}), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["output"]; ok {
		t.Error("output present with OmitOutput")
	}
	if _, ok := m["tags"]; ok {
		t.Error("tags present with OmitTags")
	}
	a.OutputFields = nil
	if err := json.Unmarshal(a.AppendJSON(nil, JSONOptions{}), &m); err != nil || m["output_fields"] == nil {
		t.Errorf("no output fields: %v %v", m["output_fields"], err)
	}
}

// TestFalcosidekickAcceptsJSON applies falcosidekick's checks of an
// incoming Falco payload (its handler decodes the body into its Falco
// payload type and refuses a payload whose priority is not one of Falco's,
// whose rule is empty, whose time is zero, or whose output_fields is
// empty) to the JSON form of an alert of each priority.
func TestFalcosidekickAcceptsJSON(t *testing.T) {
	valid := map[string]bool{"emergency": true, "alert": true, "critical": true, "error": true,
		"warning": true, "notice": true, "informational": true, "debug": true}
	for p := rules.PriorityEmergency; p <= rules.PriorityDebug; p++ {
		a := sample()
		a.Priority = p
		var payload struct {
			UUID         string         `json:"uuid"`
			Output       string         `json:"output"`
			Priority     string         `json:"priority"`
			Rule         string         `json:"rule"`
			Time         time.Time      `json:"time"`
			OutputFields map[string]any `json:"output_fields"`
			Source       string         `json:"source"`
			Tags         []string       `json:"tags"`
			Hostname     string         `json:"hostname"`
		}
		if err := json.Unmarshal(a.AppendJSON(nil, JSONOptions{}), &payload); err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if !valid[strings.ToLower(payload.Priority)] {
			t.Errorf("priority %q is not one falcosidekick knows", payload.Priority)
		}
		if payload.Rule == "" || payload.Time.IsZero() || len(payload.OutputFields) == 0 {
			t.Errorf("%v: falcosidekick would refuse %+v", p, payload)
		}
	}
}

func TestTextForm(t *testing.T) {
	a := sample()
	if got := string(a.AppendText([]byte("> "))); got != "> "+a.Output {
		t.Errorf("text form %q", got)
	}
}

// TestJSONExact checks the whole JSON form byte for byte with each of
// Falco's json_include_* keys, and that keys stay in Falco's sorted order.
func TestJSONExact(t *testing.T) {
	a := Alert{
		Time:         time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Rule:         "r",
		Priority:     rules.PriorityCritical,
		Source:       "syscall",
		Hostname:     "h",
		Output:       "03:04:05.000000006: Critical shell (user=root)",
		Tags:         []string{"b", "a"},
		OutputFields: json.RawMessage(`{"evt.time":6,"user.name":"root"}`),
	}
	const tail = `"priority":"Critical","rule":"r","source":"syscall"`
	cases := []struct {
		name string
		o    JSONOptions
		want string
	}{
		{"default", JSONOptions{},
			`{"hostname":"h","output":"03:04:05.000000006: Critical shell (user=root)","output_fields":{"evt.time":6,"user.name":"root"},` + tail + `,"tags":["a","b"],"time":"2026-01-02T03:04:05.000000006Z"}`},
		{"message", JSONOptions{Message: true},
			`{"hostname":"h","message":"shell (user=root)","output":"03:04:05.000000006: Critical shell (user=root)","output_fields":{"evt.time":6,"user.name":"root"},` + tail + `,"tags":["a","b"],"time":"2026-01-02T03:04:05.000000006Z"}`},
		{"minimal", JSONOptions{OmitOutput: true, OmitTags: true, OmitOutputFields: true},
			`{"hostname":"h",` + tail + `,"time":"2026-01-02T03:04:05.000000006Z"}`},
		{"static", JSONOptions{OmitOutput: true, OmitTags: true, StaticFields: map[string]string{"env": "prod \"eu\"", "a": "1"}},
			`{"hostname":"h","output_fields":{"evt.time":6,"static.a":"1","static.env":"prod \"eu\"","user.name":"root"},` + tail + `,"time":"2026-01-02T03:04:05.000000006Z"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(a.AppendJSON(nil, c.o))
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
			if !json.Valid([]byte(got)) {
				t.Error("not JSON")
			}
		})
	}
}

// TestStaticFieldsKeepAlertValues checks that a static field the rule's
// output already names keeps the alert's value, and that static fields
// make an object of absent output fields.
func TestStaticFieldsKeepAlertValues(t *testing.T) {
	a := sample()
	a.OutputFields = json.RawMessage(`{"static.env":"from-rule","proc.pid":42}`)
	o := JSONOptions{StaticFields: map[string]string{"env": "from-config"}}
	var m struct {
		OutputFields map[string]any `json:"output_fields"`
	}
	if err := json.Unmarshal(a.AppendJSON(nil, o), &m); err != nil {
		t.Fatal(err)
	}
	if m.OutputFields["static.env"] != "from-rule" || m.OutputFields["proc.pid"] != float64(42) {
		t.Errorf("output_fields %v", m.OutputFields)
	}
	a.OutputFields = nil
	got := string(a.AppendJSON(nil, JSONOptions{OmitOutput: true, OmitTags: true, StaticFields: o.StaticFields}))
	if !strings.Contains(got, `"output_fields":{"static.env":"from-config"}`) {
		t.Errorf("static fields without output fields: %s", got)
	}
}

// TestMessage checks Falco's "message": the output after "<time>: <Priority> ",
// with either time format, and the output whole when it lacks the prefix.
func TestMessage(t *testing.T) {
	cases := []struct {
		prio   rules.Priority
		output string
		want   string
	}{
		{rules.PriorityWarning, "15:04:05.000000007: Warning Shell spawned (a=b: c)", "Shell spawned (a=b: c)"},
		{rules.PriorityInformational, "2026-11-30T14:04:05.000000007+0000: Informational x: Informational y", "x: Informational y"},
		{rules.PriorityDebug, "15:04:05.000000007: Debug ", ""},
		{rules.PriorityDebug, "15:04:05.000000007: Debug", ""},
		{rules.PriorityDebug, "15:04:05.000000007: Debugger attached", "15:04:05.000000007: Debugger attached"},
		{rules.PriorityError, "no prefix here", "no prefix here"},
		{rules.PriorityError, "12:00:00: Warning wrong priority", "12:00:00: Warning wrong priority"},
	}
	for _, c := range cases {
		a := Alert{Priority: c.prio, Output: c.output}
		if got := a.Message(); got != c.want {
			t.Errorf("%q: message %q, want %q", c.output, got, c.want)
		}
	}
}
