package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

const examplePath = "../../examples/kestrel.yaml"

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadText loads content as dir/kestrel.yaml with the overrides and
// returns the configuration and the rendered diagnostics, with dir taken
// out of the file names.
func loadText(t *testing.T, content string, overrides ...string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, ds := LoadWithOverrides(writeFile(t, dir, "kestrel.yaml", content), overrides)
	return cfg, strings.ReplaceAll(ds.String(), dir+string(filepath.Separator), "")
}

func TestDefault(t *testing.T) {
	c := Default()
	if len(c.RulesFiles) != 0 {
		t.Errorf("RulesFiles = %q, want empty (embedded rules)", c.RulesFiles)
	}
	if !c.StdoutOutput.Enabled || c.SyslogOutput.Enabled || c.FileOutput.Enabled || c.HTTPOutput.Enabled || c.ProgramOutput.Enabled {
		t.Errorf("outputs: want stdout only, got %+v", c)
	}
	w := c.Webserver
	if !w.Enabled || w.ListenAddress != "127.0.0.1" || w.ListenPort != 8765 {
		t.Errorf("webserver = %+v, want enabled on 127.0.0.1:8765", w)
	}
	if c.Priority != rules.PriorityDebug || c.RuleMatching != engine.MatchFirst {
		t.Errorf("priority %v matching %v, want debug and first", c.Priority, c.RuleMatching)
	}
	if time.Duration(c.Metrics.Interval) != time.Hour || !slices.Equal(c.SyscallEventDrops.Actions, []string{"log", "alert"}) {
		t.Errorf("metrics interval %v, drop actions %q", c.Metrics.Interval, c.SyscallEventDrops.Actions)
	}
	if ds := c.Validate(); len(ds) != 0 {
		t.Errorf("Default().Validate() = %s", ds)
	}
}

func TestLoadNoFile(t *testing.T) {
	cfg, ds := Load("")
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %s", ds)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("Load(\"\") = %+v, want Default()", cfg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, ds := Load("testdata/nope.yaml")
	want := "testdata/nope.yaml: error: open: no such file or directory"
	if got := ds.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := ds.Err(); err == nil || err.Error() != "testdata/nope.yaml: open: no such file or directory" {
		t.Errorf("Err() = %v", err)
	}
}

// TestFalcoConfig loads the keys of Falco 0.44's falco.yaml: only the keys
// that do not apply to Kestrel warn, once each, and the values arrive.
func TestFalcoConfig(t *testing.T) {
	cfg, ds := Load("testdata/falco.yaml")
	if ds.HasErrors() {
		t.Fatalf("errors:\n%s", ds)
	}
	ignored := func(line, col int, key string) string {
		return "testdata/falco.yaml:" + itoa(line) + ":" + itoa(col) + ": ignoring Falco key \"" + key + "\": " + ignoredKeys[key]
	}
	want := []string{
		ignored(22, 1, "engine"),
		ignored(41, 1, "load_plugins"),
		ignored(42, 1, "plugins"),
		ignored(48, 1, "plugins_hostinfo"),
		ignored(51, 1, "buffer_format_base64"),
		ignored(97, 3, "webserver.threadiness"),
		ignored(108, 1, "libs_logger"),
		ignored(112, 1, "output_timeout"),
		ignored(113, 1, "syscall_event_timeouts"),
		ignored(135, 3, "metrics.plugins_metrics_enabled"),
		ignored(136, 3, "metrics.kernel_iter_event_counters_enabled"),
		ignored(137, 3, "metrics.jemalloc_stats_enabled"),
		ignored(146, 1, "falco_libs"),
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkFalcoValues(t, cfg)
}

func checkFalcoValues(t *testing.T, cfg *Config) {
	t.Helper()
	wantRules := []RuleSelection{
		{Rule: "*"},
		{Enable: true, Rule: "Netcat Remote Code Execution in Container"},
		{Tag: "network"},
	}
	if !reflect.DeepEqual(cfg.Rules, wantRules) {
		t.Errorf("rules = %+v", cfg.Rules)
	}
	if len(cfg.RulesFiles) != 3 || cfg.RulesFiles[2] != "/etc/falco/rules.d" {
		t.Errorf("rules_files = %q", cfg.RulesFiles)
	}
	if !cfg.SyslogOutput.Enabled || cfg.Webserver.ListenAddress != "0.0.0.0" || cfg.HTTPOutput.UserAgent != "falcosecurity/falco" {
		t.Errorf("syslog %v, listen %q, user agent %q", cfg.SyslogOutput.Enabled, cfg.Webserver.ListenAddress, cfg.HTTPOutput.UserAgent)
	}
	if cfg.SyscallEventDrops.Threshold != 0.1 || cfg.SyscallEventDrops.Rate != 0.03333 {
		t.Errorf("drops = %+v", cfg.SyscallEventDrops)
	}
	if !reflect.DeepEqual(cfg.StaticFields, map[string]string{"foo": "bar"}) {
		t.Errorf("static_fields = %v", cfg.StaticFields)
	}
	if c := cfg.Capture; c.Enabled || c.PathPrefix != "/tmp/falco" || c.Mode != CaptureModeRules || c.DefaultDuration != 5000 || c.BeforeDuration != 5000 {
		t.Errorf("capture = %+v", c)
	}
	if !reflect.DeepEqual(cfg.ConfigFiles, []Include{{Path: "/etc/falco/config.d", Strategy: "append"}}) {
		t.Errorf("config_files = %+v", cfg.ConfigFiles)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestExampleFile checks examples/kestrel.yaml: it is what [Example]
// writes, it loads without a diagnostic, its values are the defaults and
// it sets every key. KESTREL_UPDATE_EXAMPLE=1 rewrites it.
func TestExampleFile(t *testing.T) {
	want := Example()
	if os.Getenv("KESTREL_UPDATE_EXAMPLE") != "" {
		if err := os.WriteFile(examplePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run KESTREL_UPDATE_EXAMPLE=1 go test ./internal/config/", examplePath)
	}
	l := newLoader()
	cfg := l.load(examplePath, nil)
	if len(l.diags) != 0 {
		t.Fatalf("diagnostics:\n%s", l.diags)
	}
	cfg.Files = nil
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("example values differ from Default():\n%+v\n%+v", cfg, Default())
	}
	for _, p := range sectionKeys(reflect.TypeFor[Config](), "") {
		if _, ok := l.set[p]; !ok {
			t.Errorf("key %s is missing from the example", p)
		}
	}
}

// sectionKeys lists the key paths of t's fields and of the fields of its
// sections, not those inside list items.
func sectionKeys(t reflect.Type, path string) []string {
	var out []string
	for _, f := range fieldsOf(t) {
		p := join(path, f.name)
		out = append(out, p)
		if f.typ.Kind() == reflect.Struct && !isSpecial(f.typ) {
			out = append(out, sectionKeys(f.typ, p)...)
		}
	}
	return out
}

func TestDescriptionsCoverKeys(t *testing.T) {
	g := newSchemaGen()
	g.object(reflect.ValueOf(Default()).Elem(), "")
	if len(g.missing) > 0 {
		t.Errorf("keys without a description: %q", g.missing)
	}
	for k := range descriptions {
		if !g.used[k] {
			t.Errorf("description of %q matches no key", k)
		}
	}
	for _, p := range keyPaths() {
		if _, ok := descriptions[p]; !ok {
			t.Errorf("key %s has no description", p)
		}
	}
}

func TestIgnoredKeysAreNotFields(t *testing.T) {
	known := map[string]bool{}
	for _, p := range keyPaths() {
		known[p] = true
	}
	for k := range ignoredKeys {
		parent := k[:max(strings.LastIndexByte(k, '.'), 0)]
		if known[k] || parent != "" && !known[parent] {
			t.Errorf("ignored key %q: is a field, or its section is not", k)
		}
	}
}

func TestStructTags(t *testing.T) {
	var walk func(rt reflect.Type)
	walk = func(rt reflect.Type) {
		for _, f := range fieldsOf(rt) {
			for _, k := range []string{"min", "max"} {
				if v, ok := f.tag.Lookup(k); ok {
					mustFloat(v) // panics on a bad tag
				}
			}
			if f.tag.Get("enum") != "" && f.typ.Kind() != reflect.String && f.typ.Elem().Kind() != reflect.String {
				t.Errorf("%s: enum on a field that is not a string", f.name)
			}
			ft := f.typ
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !isSpecial(ft) {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
}

func TestSchema(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	for _, k := range []string{"http_output", "rules_files", "rules_file", "engine", "falco_libs"} {
		if props[k] == nil {
			t.Errorf("schema has no property %q", k)
		}
	}
	ws := props["webserver"].(map[string]any)["properties"].(map[string]any)
	if ws["listen_address"].(map[string]any)["default"] != "127.0.0.1" || ws["threadiness"] == nil {
		t.Errorf("webserver schema: %v", ws)
	}
	for _, doc := range []string{examplePath, "testdata/falco.yaml"} {
		if errs := schemaErrors(t, s, doc); len(errs) > 0 {
			t.Errorf("%s does not match the schema:\n%s", doc, strings.Join(errs, "\n"))
		}
	}
	bad := map[string]any{"webserver": map[string]any{"listen_port": 70000.0, "nope": true}}
	if errs := checkSchema(s, bad, ""); len(errs) != 2 {
		t.Errorf("bad document: %q, want 2 errors", errs)
	}
}

// schemaErrors checks a YAML file against the schema s.
func schemaErrors(t *testing.T, s map[string]any, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc) // numbers become float64, as JSON has them
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return checkSchema(s, v, "")
}

// checkSchema is a small JSON Schema checker for the keywords Schema uses.
func checkSchema(s map[string]any, v any, at string) []string {
	var errs []string
	fail := func(msg string) { errs = append(errs, at+": "+msg) }
	if alts, ok := s["anyOf"].([]any); ok {
		for _, alt := range alts {
			if len(checkSchema(alt.(map[string]any), v, at)) == 0 {
				return nil
			}
		}
		fail("matches no alternative")
		return errs
	}
	switch s["type"] {
	case "object":
		return checkObject(s, v, at)
	case "array":
		items, ok := v.([]any)
		if !ok {
			fail("not an array")
			return errs
		}
		for i, it := range items {
			errs = append(errs, checkSchema(s["items"].(map[string]any), it, at+"["+itoa(i)+"]")...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			fail("not a string")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("not a boolean")
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok {
			fail("not a number")
		} else if hi, ok := s["maximum"].(float64); ok && f > hi {
			fail("above maximum")
		}
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, v) {
		fail("not in enum")
	}
	return errs
}

func checkObject(s map[string]any, v any, at string) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{at + ": not an object"}
	}
	var errs []string
	props, _ := s["properties"].(map[string]any)
	for k, x := range m {
		p, ok := props[k].(map[string]any)
		switch {
		case ok:
			errs = append(errs, checkSchema(p, x, join(at, k))...)
		case s["additionalProperties"] == false:
			errs = append(errs, join(at, k)+": not allowed")
		default:
			if ap, ok := s["additionalProperties"].(map[string]any); ok {
				errs = append(errs, checkSchema(ap, x, join(at, k))...)
			}
		}
	}
	return errs
}
