package config

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

const overrideBase = `rules_files:
  - /etc/kestrel/rules.yaml
http_output:
  enabled: false
  user_agent: me
`

func TestOverrides(t *testing.T) {
	cfg, diags := loadText(t, overrideBase,
		"http_output.enabled=true",
		"http_output.url=http://localhost:2801/",
		"http_output.headers.Authorization=Bearer x",
		"http_output.timeout=1m30s",
		"json_output=true",
		"priority=WARNING",
		"rule_matching=all",
		"rules_files[]=/etc/kestrel/more.yaml",
		"syscall_event_drops.actions=[exit]",
		"base_syscalls.custom_set=[clone, \"!mprotect\"]",
		`static_fields.k8s\.cluster=prod`,
		"rules[]={disable: {tag: network}}",
		"append_output[0].extra_output=on %evt.cpu",
	)
	if diags != "" {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	h := cfg.HTTPOutput
	if !h.Enabled || h.URL != "http://localhost:2801/" || h.UserAgent != "me" || h.Timeout != Duration(90*time.Second) {
		t.Errorf("http_output = %+v", h)
	}
	if !reflect.DeepEqual(h.Headers, map[string]string{"Authorization": "Bearer x"}) {
		t.Errorf("headers = %v", h.Headers)
	}
	if !cfg.JSONOutput || cfg.Priority != rules.PriorityWarning || cfg.RuleMatching != engine.MatchAll {
		t.Errorf("json %v priority %v matching %v", cfg.JSONOutput, cfg.Priority, cfg.RuleMatching)
	}
	checkLists(t, cfg)
}

func checkLists(t *testing.T, cfg *Config) {
	t.Helper()
	if want := []string{"/etc/kestrel/rules.yaml", "/etc/kestrel/more.yaml"}; !slices.Equal(cfg.RulesFiles, want) {
		t.Errorf("rules_files = %q, want %q", cfg.RulesFiles, want)
	}
	if !slices.Equal(cfg.SyscallEventDrops.Actions, []string{"exit"}) {
		t.Errorf("actions = %q", cfg.SyscallEventDrops.Actions)
	}
	if !slices.Equal(cfg.BaseSyscalls.CustomSet, []string{"clone", "!mprotect"}) {
		t.Errorf("custom_set = %q", cfg.BaseSyscalls.CustomSet)
	}
	if !reflect.DeepEqual(cfg.StaticFields, map[string]string{"k8s.cluster": "prod"}) {
		t.Errorf("static_fields = %v", cfg.StaticFields)
	}
	if !reflect.DeepEqual(cfg.Rules, []RuleSelection{{Tag: "network"}}) {
		t.Errorf("rules = %+v", cfg.Rules)
	}
	if want := []AppendOutput{{SuggestedOutput: true, ExtraOutput: "on %evt.cpu"}}; !reflect.DeepEqual(cfg.AppendOutput, want) {
		t.Errorf("append_output = %+v", cfg.AppendOutput)
	}
}

func TestOverrideListItemsAndScalars(t *testing.T) {
	cfg, diags := loadText(t, overrideBase, "rules_files[0]=/a.yaml", "rules_files[]=/b.yaml")
	if diags != "" || !slices.Equal(cfg.RulesFiles, []string{"/a.yaml", "/b.yaml"}) {
		t.Errorf("rules_files = %q\n%s", cfg.RulesFiles, diags)
	}
	// A lone value where a list is expected is a list of one, as in Falco.
	cfg, diags = loadText(t, overrideBase, "rules_files=/c.yaml")
	if diags != "" || !slices.Equal(cfg.RulesFiles, []string{"/c.yaml"}) {
		t.Errorf("rules_files = %q\n%s", cfg.RulesFiles, diags)
	}
}

func TestOverridesWithoutFile(t *testing.T) {
	cfg, ds := LoadWithOverrides("", []string{"webserver.listen_port=9000", "webserver.enabled=false"})
	if len(ds) != 0 {
		t.Fatalf("diagnostics:\n%s", ds)
	}
	want := Default()
	want.Webserver.ListenPort, want.Webserver.Enabled = 9000, false
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got %+v", cfg)
	}
}

func TestOverrideDiagnostics(t *testing.T) {
	cases := []struct{ opt, want string }{
		{"http_output.urll=x", `-o http_output.urll: error: unknown key "urll" in http_output (did you mean "url"?)`},
		{"json_output=maybe", `-o json_output: error: want true or false, got "maybe"`},
		{"http_output={enabled: maybe}", `-o http_output: error: http_output.enabled: want true or false, got "maybe"`},
		{"priority=HIGH", `-o priority: error: unknown priority "HIGH" (want emergency, alert, critical, error, warning, notice, informational or debug)`},
		{"log_level=loud", `-o log_level: error: unknown value "loud" (want emergency, alert, critical, error, warning, notice, info or debug)`},
		{"metrics.interval=5", `-o metrics.interval: error: invalid duration "5": want a number and unit, e.g. 30s, 15m or 1h30m`},
		{"http_output.enabled=true", `-o http_output.enabled: error: http_output: enabled but url is empty`},
		{"foo", `-o foo: error: want key=value`},
		{"a..b=1", `-o a..b: error: invalid key: empty name at position 3`},
		{"a[0]x=1", `-o a[0]x: error: invalid key: want '.' or '[' at position 5`},
		{`a\x=1`, `-o a\x: error: invalid key: bad escape at position 2`},
		{"rules_files[x]=1", `-o rules_files[x]: error: invalid key: want a list index, got "x"`},
		{"rules_files[5]=x", `-o rules_files[5]: error: rules_files: index 5 is out of range: the list has 1 items`},
		{"http_output[0]=x", `-o http_output[0]: error: http_output: not a list`},
		{"webserver.listen_port[0]=1", `-o webserver.listen_port[0]: error: webserver.listen_port: not a list`},
		{"x={a: [}", `-o x: error: invalid YAML value: did not find expected node content`},
		{"engine.kind=kmod", `-o engine.kind: warning: ignoring Falco key "engine": ` + ignoredKeys["engine"]},
		{"metrics.jemalloc_stats_enabled=true", `-o metrics.jemalloc_stats_enabled: warning: ignoring Falco key "metrics.jemalloc_stats_enabled": Kestrel does not use jemalloc`},
		{"rules_file=[a.yaml]", `-o rules_file: error: both "rules_files" and "rules_file" are set; keep only "rules_files"`},
	}
	for _, c := range cases {
		_, got := loadText(t, overrideBase, c.opt)
		if got != c.want {
			t.Errorf("-o %s:\ngot:  %s\nwant: %s", c.opt, got, c.want)
		}
	}
}

func TestOverrideFailureChangesNothing(t *testing.T) {
	cfg, _ := loadText(t, overrideBase, "base_syscalls.custom_set[2]=x")
	if len(cfg.BaseSyscalls.CustomSet) != 0 {
		t.Errorf("custom_set = %q", cfg.BaseSyscalls.CustomSet)
	}
}

func TestParseKeyPath(t *testing.T) {
	segs, err := parseKeyPath(`a.b\.c[1][].d\\e`)
	if err != nil {
		t.Fatal(err)
	}
	want := []segment{{name: "a"}, {name: "b.c"}, {isList: true, index: 1}, {isList: true, index: -1}, {name: `d\e`}}
	if !reflect.DeepEqual(segs, want) {
		t.Errorf("got %+v", segs)
	}
	if got := pathText(segs); got != `a.b.c[1][].d\e` {
		t.Errorf("pathText = %q", got)
	}
}
