package config

import (
	"errors"
	"os"
	"testing"
)

// diagCases pairs a configuration file with every diagnostic it gives,
// rendered exactly.
var diagCases = []struct {
	name, src, want string
}{{
	name: "unknown key",
	src:  "http_output:\n  enabled: false\n  foo: bar\n",
	want: `kestrel.yaml:3:3: error: unknown key "foo" in http_output
 3 |   foo: bar
   |   ^`,
}, {
	name: "unknown key close to a known one",
	src:  "json_ouput: true\n",
	want: `kestrel.yaml:1:1: error: unknown key "json_ouput" (did you mean "json_output"?)
 1 | json_ouput: true
   | ^`,
}, {
	name: "not a boolean",
	src:  "json_output: maybe\n",
	want: `kestrel.yaml:1:14: error: json_output: want true or false, got "maybe"
 1 | json_output: maybe
   |              ^`,
}, {
	name: "scalar for a section",
	src:  "webserver: 8765\n",
	want: `kestrel.yaml:1:12: error: webserver: want a mapping, got "8765"
 1 | webserver: 8765
   |            ^`,
}, {
	name: "not an integer",
	src:  "webserver:\n  listen_port: http\n",
	want: `kestrel.yaml:2:16: error: webserver.listen_port: want an integer, got "http"
 2 |   listen_port: http
   |                ^`,
}, {
	name: "mapping for a list",
	src:  "rules_files: {a: b}\n",
	want: `kestrel.yaml:1:14: error: rules_files: want a list, got a mapping
 1 | rules_files: {a: b}
   |              ^`,
}, {
	name: "unknown enum value",
	src:  "log_level: verbose\n",
	want: `kestrel.yaml:1:12: error: log_level: unknown value "verbose" (want emergency, alert, critical, error, warning, notice, info or debug)
 1 | log_level: verbose
   |            ^`,
}, {
	name: "unknown enum value in a list",
	src:  "syscall_event_drops:\n  actions: [log, shout]\n",
	want: `kestrel.yaml:2:18: error: syscall_event_drops.actions[1]: unknown value "shout" (want ignore, log, alert or exit)
 2 |   actions: [log, shout]
   |                  ^`,
}, {
	name: "bad priority",
	src:  "priority: HIGH\n",
	want: `kestrel.yaml:1:11: error: priority: unknown priority "HIGH" (want emergency, alert, critical, error, warning, notice, informational or debug)
 1 | priority: HIGH
   |           ^`,
}, {
	name: "bad rule matching",
	src:  "rule_matching: most\n",
	want: `kestrel.yaml:1:16: error: rule_matching: unknown rule matching "most" (want first or all)
 1 | rule_matching: most
   |                ^`,
}, {
	name: "duration without a unit",
	src:  "metrics:\n  interval: 200\n",
	want: `kestrel.yaml:2:13: error: metrics.interval: invalid duration "200": want a number and unit, e.g. 30s, 15m or 1h30m
 2 |   interval: 200
   |             ^`,
}, {
	name: "duration units out of order",
	src:  "http_output:\n  timeout: 1ms1h\n",
	want: `kestrel.yaml:2:12: error: http_output.timeout: invalid duration "1ms1h": units must be among y, w, d, h, m, s, ms, largest first
 2 |   timeout: 1ms1h
   |            ^`,
}, {
	name: "metrics interval too short",
	src:  "metrics:\n  enabled: true\n  interval: 50ms\n",
	want: `kestrel.yaml:3:13: error: metrics.interval: 50ms is below the minimum of 100ms
 3 |   interval: 50ms
   |             ^`,
}, {
	name: "range and address",
	src:  "webserver:\n  listen_port: 70000\n  listen_address: localhost\n",
	want: `kestrel.yaml:2:16: error: webserver.listen_port: 70000 is above the maximum of 65535
 2 |   listen_port: 70000
   |                ^

kestrel.yaml:3:19: error: webserver.listen_address: "localhost" is not an IP address
 3 |   listen_address: localhost
   |                   ^`,
}, {
	name: "http output without url",
	src:  "http_output:\n  enabled: true\n",
	want: `kestrel.yaml:2:12: error: http_output: enabled but url is empty
 2 |   enabled: true
   |            ^`,
}, {
	name: "http output url not http",
	src:  "http_output:\n  enabled: true\n  url: ftp://example.com/\n",
	want: `kestrel.yaml:3:8: error: http_output.url: "ftp://example.com/" is not an http or https URL
 3 |   url: ftp://example.com/
   |        ^`,
}, {
	name: "file and program outputs without target",
	src:  "file_output:\n  enabled: true\n  filename: \"\"\nprogram_output: {enabled: true}\n",
	want: `kestrel.yaml:3:13: error: file_output: enabled but filename is empty
 3 |   filename: ""
   |             ^

kestrel.yaml:4:27: error: program_output: enabled but program is empty
 4 | program_output: {enabled: true}
   |                           ^`,
}, {
	name: "duplicate key",
	src:  "json_output: true\njson_output: false\n",
	want: `kestrel.yaml:2:1: error: duplicate key "json_output"
 2 | json_output: false
   | ^`,
}, {
	name: "duplicate config_files",
	src:  "config_files: []\nconfig_files: [x.yaml]\n",
	want: `kestrel.yaml:2:1: error: duplicate key "config_files"
 2 | config_files: [x.yaml]
   | ^`,
}, {
	name: "deprecated rules_file",
	src:  "rules_file: [a.yaml]\n",
	want: `kestrel.yaml:1:1: warning: "rules_file" is deprecated; use "rules_files"
 1 | rules_file: [a.yaml]
   | ^`,
}, {
	name: "rules_file and rules_files",
	src:  "rules_files: [b.yaml]\nrules_file: [a.yaml]\n",
	want: `kestrel.yaml:2:1: error: both "rules_files" and "rules_file" are set; keep only "rules_files"
 2 | rules_file: [a.yaml]
   | ^`,
}, {
	name: "invalid YAML",
	src:  "json_output: true\nrules_files: a: b\n",
	want: `kestrel.yaml:2:1: error: invalid YAML: mapping values are not allowed in this context
 2 | rules_files: a: b
   | ^`,
}, {
	name: "not a mapping",
	src:  "- a\n- b\n",
	want: `kestrel.yaml:1:1: error: the configuration must be a mapping of keys, not a list
 1 | - a
   | ^`,
}, {
	name: "two documents",
	src:  "a: 1\n---\nb: 2\n",
	want: `kestrel.yaml:2:1: error: a configuration file holds one YAML document
 2 | ---
   | ^`,
}, {
	name: "rule selections",
	src:  "rules:\n  - enable: {}\n  - toggle: {rule: x}\n  - disable: {rule: x, tags: y}\n  - enable: {rule: a}\n    disable: {rule: b}\n",
	want: `kestrel.yaml:3:5: error: unknown key "toggle" in rules[1]
 3 |   - toggle: {rule: x}
   |     ^

kestrel.yaml:4:24: error: unknown key "tags" in rules[2].disable (did you mean "tag"?)
 4 |   - disable: {rule: x, tags: y}
   |                        ^

kestrel.yaml:5:5: error: rules[3]: want exactly one of enable or disable
 5 |   - enable: {rule: a}
   |     ^

kestrel.yaml:2:5: error: rules[0]: give a rule name, a tag or both
 2 |   - enable: {}
   |     ^`,
}, {
	name: "drop actions ignore and log",
	src:  "syscall_event_drops:\n  actions: [ignore, log]\n",
	want: `kestrel.yaml:2:12: error: syscall_event_drops.actions: "ignore" cannot be combined with "log"
 2 |   actions: [ignore, log]
   |            ^`,
}, {
	name: "append_output",
	src:  "append_output:\n  - match: {rule: r, tags: [a]}\n    extra_fields: [evt.cpu, {evt.cpu: \"%evt.cpu\"}, [x]]\n",
	want: `kestrel.yaml:3:52: error: append_output[0].extra_fields[2]: want a field name or one name: format pair, got a list
 3 |     extra_fields: [evt.cpu, {evt.cpu: "%evt.cpu"}, [x]]
   |                                                    ^

kestrel.yaml:2:12: warning: append_output[0].match: both a rule and tags are given: output is appended to rule "r" only if it has all of the tags
 2 |   - match: {rule: r, tags: [a]}
   |            ^

kestrel.yaml:3:29: error: append_output[0].extra_fields[1]: field "evt.cpu" is given twice
 3 |     extra_fields: [evt.cpu, {evt.cpu: "%evt.cpu"}, [x]]
   |                             ^`,
}, {
	name: "every error of a file",
	src: `priority: loud
http_output:
  enabled: yes
  urll: http://localhost:2801
  timeout: soon
metrics:
  enabled: true
  interval: 10ms
webserver:
  listen_port: -1
`,
	want: `kestrel.yaml:1:11: error: priority: unknown priority "loud" (want emergency, alert, critical, error, warning, notice, informational or debug)
 1 | priority: loud
   |           ^

kestrel.yaml:4:3: error: unknown key "urll" in http_output (did you mean "url"?)
 4 |   urll: http://localhost:2801
   |   ^

kestrel.yaml:5:12: error: http_output.timeout: invalid duration "soon": want a number and unit, e.g. 30s, 15m or 1h30m
 5 |   timeout: soon
   |            ^

kestrel.yaml:10:16: error: webserver.listen_port: -1 is below the minimum of 0
 10 |   listen_port: -1
    |                ^

kestrel.yaml:3:12: error: http_output: enabled but url is empty
 3 |   enabled: yes
   |            ^

kestrel.yaml:8:13: error: metrics.interval: 10ms is below the minimum of 100ms
 8 |   interval: 10ms
   |             ^`,
}}

func TestDiagnostics(t *testing.T) {
	for _, c := range diagCases {
		t.Run(c.name, func(t *testing.T) {
			_, got := loadText(t, c.src)
			if got != c.want {
				t.Errorf("got:\n%s\n\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestDiagnosticsErr(t *testing.T) {
	dir := t.TempDir()
	_, ds := Load(writeFile(t, dir, "k.yaml", "json_output: 1\nlog_level: x\nfoo: 1\n"))
	err := ds.Err()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Err() = %v, want ErrInvalid", err)
	}
	want := dir + `/k.yaml:1:14: json_output: want true or false, got "1" (and 2 more errors)`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if len(ds.Errors()) != 3 || len(ds.Warnings()) != 0 {
		t.Errorf("errors %d warnings %d", len(ds.Errors()), len(ds.Warnings()))
	}
}

func TestValidateWithoutFile(t *testing.T) {
	c := Default()
	c.HTTPOutput.Enabled = true
	c.LogLevel = "loud"
	c.Priority = 12
	var got []string
	for _, d := range c.Validate() {
		got = append(got, d.Error())
	}
	want := []string{
		`priority: unknown priority "Priority(12)" (want emergency, alert, critical, error, warning, notice, informational or debug)`,
		`log_level: unknown value "loud" (want emergency, alert, critical, error, warning, notice, info or debug)`,
		`http_output: enabled but url is empty`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %q, want %q", got[i], want[i])
		}
	}
}

func FuzzLoad(f *testing.F) {
	for _, c := range diagCases {
		f.Add(c.src)
	}
	for _, p := range []string{examplePath, "testdata/falco.yaml"} {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		path := writeFile(t, dir, "k.yaml", src)
		_, ds := Load(path)
		for _, d := range ds {
			if d.Pos.File != path || d.Message == "" {
				t.Errorf("diagnostic not located in the file: %#v", d)
			}
		}
	})
}
