package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{
		"ENV_VAR":          "envVarValue",
		"ENV_VAR_EMBEDDED": "${ENV_VAR}",
		"SELF":             "a${SELF}",
		"EMPTY":            "",
	}
	getenv := func(k string) string { return env[k] }
	cases := []struct{ in, want string }{
		{"${ENV_VAR}", "envVarValue"},
		{"$ENV_VAR", "$ENV_VAR"},
		{"$${ENV_VAR}", "${ENV_VAR}"},
		{"$$ENV_VAR", "$$ENV_VAR"},
		{"$${ENV_VAR}$${ENV_VAR}", "${ENV_VAR}${ENV_VAR}"},
		{"$${${ENV_VAR}}", "${envVarValue}"},
		{"$${ENV_VAR}${ENV_VAR}", "${ENV_VAR}envVarValue"},
		{" ${ENV_VAR}", " envVarValue"},
		{"/${ENV_VAR}/${ENV_VAR}${ENV_VAR}/foo", "/envVarValue/envVarValueenvVarValue/foo"},
		{"${ENV_VAR_EMBEDDED}/foo", "envVarValue/foo"},
		{"${UNSET_VAR}", ""},
		{"${EMPTY}x", "x"},
		{"a$b${ENV_VAR}", "a$benvVarValue"},
		{"${ENV_VAR", "${ENV_VAR"},
		{"$${ENV_VAR", "$${ENV_VAR"},
		{"cost: 5$", "cost: 5$"},
	}
	for _, c := range cases {
		got, ok := expandEnv(c.in, getenv)
		if !ok || got != c.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := expandEnv("${SELF}", getenv); ok {
		t.Error("a variable that names itself must not expand forever")
	}
}

func TestLoadExpandsEnv(t *testing.T) {
	t.Setenv("KESTREL_TEST_URL", "http://sidekick:2801")
	t.Setenv("KESTREL_TEST_ON", "true")
	t.Setenv("KESTREL_TEST_PORT", "9100")
	t.Setenv("KESTREL_TEST_LOOP", "${KESTREL_TEST_LOOP}")
	src := `http_output:
  enabled: ${KESTREL_TEST_ON}
  url: "${KESTREL_TEST_URL}/"
  headers:
    ${KESTREL_TEST_ON}: keys are not expanded
webserver:
  listen_port: ${KESTREL_TEST_PORT}
  enabled: ${KESTREL_TEST_UNSET}
rules_files:
  - ${KESTREL_TEST_UNSET}/rules.yaml
  - $${HOME}/rules.yaml
program_output:
  program: ${KESTREL_TEST_LOOP}
`
	cfg, diags := loadText(t, src)
	want := `kestrel.yaml:13:12: error: expanding "${KESTREL_TEST_LOOP}" does not end: an environment variable names itself
 13 |   program: ${KESTREL_TEST_LOOP}
    |            ^`
	if diags != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", diags, want)
	}
	h := cfg.HTTPOutput
	if !h.Enabled || h.URL != "http://sidekick:2801/" || h.Headers["${KESTREL_TEST_ON}"] == "" {
		t.Errorf("http_output = %+v", h)
	}
	// An unset variable leaves a boolean at its default, as in Falco.
	if w := cfg.Webserver; w.ListenPort != 9100 || !w.Enabled {
		t.Errorf("webserver = %+v", w)
	}
	if !slices.Equal(cfg.RulesFiles, []string{"/rules.yaml", "${HOME}/rules.yaml"}) {
		t.Errorf("rules_files = %q", cfg.RulesFiles)
	}
}

func TestDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		text string
	}{
		{"1h", time.Hour, "1h"},
		{"300ms", 300 * time.Millisecond, "300ms"},
		{"1h3m2s1ms", time.Hour + 3*time.Minute + 2*time.Second + time.Millisecond, "1h3m2s1ms"},
		{"2h 5m", 2*time.Hour + 5*time.Minute, "2h5m"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"1y1w1d", (365 + 7 + 1) * 24 * time.Hour, "1y1w1d"},
		{"0s", 0, "0s"},
	}
	for _, c := range cases {
		d, err := ParseDuration(c.in)
		if err != nil || time.Duration(d) != c.want || d.String() != c.text {
			t.Errorf("ParseDuration(%q) = %v (%s), %v; want %v (%s)", c.in, time.Duration(d), d, err, c.want, c.text)
		}
	}
	for _, bad := range []string{"", "200", "1ms1y", "1t", "h", "1.5h", "-1s", "99999999999999999999y", "300000y"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, d)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1h", "1h3m2s1ms", "2h 5m", "1ms1y", "200"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("%q -> %v -> %q -> %v, %v", s, time.Duration(d), d.String(), time.Duration(back), err)
		}
	})
}

func FuzzLoadOverride(f *testing.F) {
	for _, s := range []string{"http_output.url=x", "rules_files[]=a", `a\.b[0][]=1`, "x={a: [1]}", "a..b=", "[=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opt string) {
		_, ds := LoadWithOverrides("", []string{opt})
		for _, d := range ds {
			if !strings.HasPrefix(d.String(), "-o ") {
				t.Errorf("-o %q: diagnostic not located at the option: %s", opt, d)
			}
		}
	})
}
