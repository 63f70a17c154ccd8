package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// includeCase writes main.yaml and the other files, with "DIR" in their
// text standing for the directory, then loads main.yaml. The directory is
// taken out of the diagnostics.
func includeCase(t *testing.T, main string, files map[string]string, overrides ...string) (*Config, string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		writeFile(t, dir, name, strings.ReplaceAll(text, "DIR", dir))
	}
	path := writeFile(t, dir, "main.yaml", strings.ReplaceAll(main, "DIR", dir))
	for i, o := range overrides {
		overrides[i] = strings.ReplaceAll(o, "DIR", dir)
	}
	cfg, ds := LoadWithOverrides(path, overrides)
	return cfg, strings.ReplaceAll(ds.String(), dir+string(filepath.Separator), ""), dir
}

func TestIncludeAppend(t *testing.T) {
	main := `config_files:
  - DIR/a.yaml
  - DIR/missing.yaml
rules_files: [/r1.yaml]
webserver:
  enabled: false
  listen_port: 9000
`
	cfg, diags, dir := includeCase(t, main, map[string]string{
		"a.yaml": "rules_files: [/r2.yaml]\njson_output: true\nwebserver:\n  listen_port: 9100\n",
	})
	if diags != "" {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	if !slices.Equal(cfg.RulesFiles, []string{"/r1.yaml", "/r2.yaml"}) || !cfg.JSONOutput {
		t.Errorf("rules_files %q json_output %v", cfg.RulesFiles, cfg.JSONOutput)
	}
	// As in Falco, a mapping replaces the whole key: enabled is back to
	// its default.
	if w := cfg.Webserver; !w.Enabled || w.ListenPort != 9100 {
		t.Errorf("webserver = %+v", w)
	}
	want := []string{filepath.Join(dir, "main.yaml"), filepath.Join(dir, "a.yaml")}
	if !slices.Equal(cfg.Files, want) {
		t.Errorf("Files = %q, want %q", cfg.Files, want)
	}
	wantIncs := []Include{{Path: dir + "/a.yaml", Strategy: "append"}, {Path: dir + "/missing.yaml", Strategy: "append"}}
	if !reflect.DeepEqual(cfg.ConfigFiles, wantIncs) {
		t.Errorf("ConfigFiles = %+v", cfg.ConfigFiles)
	}
}

func TestIncludeStrategies(t *testing.T) {
	main := `config_files:
  - path: DIR/over.yaml
    strategy: override
  - {path: DIR/add.yaml, strategy: add-only}
rules_files: [/r1.yaml]
priority: error
`
	cfg, diags, _ := includeCase(t, main, map[string]string{
		"over.yaml": "rules_files: [/r2.yaml]\n",
		"add.yaml":  "priority: debug\nlog_level: debug\nrules_files: [/r3.yaml]\n",
	})
	if diags != "" {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	if !slices.Equal(cfg.RulesFiles, []string{"/r2.yaml"}) {
		t.Errorf("rules_files = %q, want the override's", cfg.RulesFiles)
	}
	if cfg.Priority.String() != "Error" || cfg.LogLevel != "debug" {
		t.Errorf("priority %v log_level %q: add-only must keep priority and add log_level", cfg.Priority, cfg.LogLevel)
	}
}

func TestIncludeDirectory(t *testing.T) {
	cfg, diags, _ := includeCase(t, "config_files: DIR/conf.d\n", map[string]string{
		"conf.d/20-b.yaml":     "rules_files: [/b.yaml]\nlog_level: warning\n",
		"conf.d/10-a.yaml":     "rules_files: [/a.yaml]\nlog_level: error\n",
		"conf.d/sub/c.yaml":    "rules_files: [/c.yaml]\n",
		"conf.d/30-empty.yaml": "",
	})
	if diags != "" {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	if !slices.Equal(cfg.RulesFiles, []string{"/a.yaml", "/b.yaml"}) || cfg.LogLevel != "warning" {
		t.Errorf("rules_files %q log_level %q: want name order, subdirectories skipped", cfg.RulesFiles, cfg.LogLevel)
	}
}

func TestIncludeFromOverride(t *testing.T) {
	cfg, diags, _ := includeCase(t, "log_level: error\n", map[string]string{"b.yaml": "log_level: debug\njson_output: true\n"},
		"config_files=DIR/b.yaml", "json_output=false")
	if diags != "" {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	// The included file is merged before the other -o options apply.
	if cfg.LogLevel != "debug" || cfg.JSONOutput {
		t.Errorf("log_level %q json_output %v", cfg.LogLevel, cfg.JSONOutput)
	}
}

func TestIncludeDiagnostics(t *testing.T) {
	cases := []struct {
		name, main string
		files      map[string]string
		want       string
	}{{
		name: "main includes itself",
		main: "config_files:\n  - DIR/main.yaml\n",
		want: `main.yaml:2:5: error: config_files[0]: including "main.yaml" would loop: it is the main configuration file
 2 |   - main.yaml
   |     ^`,
	}, {
		name: "main includes its own directory",
		main: "config_files: [DIR/.]\n",
		want: `main.yaml:1:16: error: config_files[0]: including "main.yaml" would loop: it is the main configuration file
 1 | config_files: [.]
   |                ^`,
	}, {
		name:  "nested include",
		main:  "config_files: [DIR/a.yaml]\n",
		files: map[string]string{"a.yaml": "json_output: true\nconfig_files: [DIR/b.yaml]\n"},
		want: `a.yaml:2:1: error: config_files in an included file: included files cannot include others
 2 | config_files: [b.yaml]
   | ^`,
	}, {
		name:  "error in an included file",
		main:  "config_files: [DIR/a.yaml]\njson_output: true\n",
		files: map[string]string{"a.yaml": "webserver:\n  listen_port: x\n"},
		want: `a.yaml:2:16: error: webserver.listen_port: want an integer, got "x"
 2 |   listen_port: x
   |                ^`,
	}, {
		name: "bad strategy",
		main: "config_files:\n  - path: DIR/x.yaml\n    strategy: merge\n",
		want: `main.yaml:3:15: error: config_files[0].strategy: unknown value "merge" (want append, override or add-only)
 3 |     strategy: merge
   |               ^`,
	}, {
		name: "no path",
		main: "config_files:\n  - strategy: override\n",
		want: `main.yaml:2:5: error: config_files[0]: the path is empty
 2 |   - strategy: override
   |     ^`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, got, _ := includeCase(t, c.main, c.files)
			if got != c.want {
				t.Errorf("got:\n%s\n\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestIncludeUnreadableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	_, ds := Load(writeFile(t, dir, "main.yaml", "config_files: ["+locked+"]\n"))
	if got := ds.Errors(); len(got) != 1 || !strings.HasSuffix(got[0].Message, "permission denied") {
		t.Errorf("got %s", ds)
	}
}
