package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// minMetricsInterval is the shortest metrics.interval, as in Falco.
const minMetricsInterval = 100 * time.Millisecond

// Validate checks c: the enumerations and ranges of the struct tags and
// the combinations Kestrel refuses, e.g. http_output enabled without a
// url. [Load] reports the same problems at the place each value was set;
// Validate, which has no file, gives no positions.
func (c *Config) Validate() Diagnostics {
	return c.validate(nil, nil)
}

// locator returns where the value at a key path was set.
type locator func(path string) (Pos, string, bool)

type validator struct {
	loc locator
	// bad holds the key paths whose value could not be decoded; they
	// are not reported again.
	bad   map[string]bool
	diags Diagnostics
}

func (c *Config) validate(loc locator, bad map[string]bool) Diagnostics {
	v := &validator{loc: loc, bad: bad}
	v.walk(reflect.ValueOf(c).Elem(), "")
	v.includes(c.ConfigFiles)
	v.ruleSelections(c.Rules)
	v.appendOutputs(c.AppendOutput)
	v.outputs(c)
	v.webserver(c)
	v.drops(&c.SyscallEventDrops)
	v.metrics(&c.Metrics)
	v.sources(&c.Sources)
	return v.diags
}

// sources checks that an enabled source has what it cannot run without.
func (v *validator) sources(s *Sources) {
	if g := s.GitHub; g.Enabled && g.WebhookSecret == "" && g.WebhookSecretFile == "" {
		v.report(SeverityError, "sources.github.webhook_secret",
			"the GitHub source needs the webhook's secret (webhook_secret or webhook_secret_file): deliveries without a valid signature are refused",
			"sources.github.enabled")
	}
	if c := s.CloudTrail; c.Enabled && len(c.Inputs) == 0 {
		v.report(SeverityError, "sources.aws_cloudtrail.inputs", "the CloudTrail source needs inputs: files or directories, s3://bucket/prefix or sqs://queue-name", "sources.aws_cloudtrail.enabled")
	}
	if o := s.Okta; o.Enabled {
		if o.Organization == "" {
			v.report(SeverityError, "sources.okta.organization", "the Okta source needs the organization whose System Log it reads", "sources.okta.enabled")
		}
		if o.APIToken == "" {
			v.report(SeverityError, "sources.okta.api_token", "the Okta source needs an API token", "sources.okta.enabled")
		}
	}
}

// report records a problem with the value at key, located at the first of
// paths that was set (key itself when none is given).
func (v *validator) report(sev Severity, key, msg string, paths ...string) {
	if v.bad[key] {
		return
	}
	d := Diagnostic{Severity: sev, Key: key, Message: msg}
	if v.loc != nil {
		for _, p := range append(paths, key) {
			if pos, src, ok := v.loc(p); ok {
				d.Pos, d.Source = pos, src
				break
			}
		}
	}
	v.diags = append(v.diags, d)
}

func (v *validator) errorf(key, format string, args ...any) {
	v.report(SeverityError, key, fmt.Sprintf(format, args...))
}

// walk checks the enum, min and max tags and the special types of every
// field under val.
func (v *validator) walk(val reflect.Value, path string) {
	switch val.Kind() {
	case reflect.Struct:
		for _, f := range fieldsOf(val.Type()) {
			fv, p := val.Field(f.index), join(path, f.name)
			v.tags(fv, p, f.tag)
			v.walk(fv, p)
		}
	case reflect.Slice:
		for i := range val.Len() {
			v.walk(val.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	}
	switch x := val.Interface().(type) {
	case rules.Priority:
		if x < rules.PriorityEmergency || x > rules.PriorityDebug {
			v.errorf(path, "%s", badPriority(x.String()))
		}
	case engine.Matching:
		if x != engine.MatchFirst && x != engine.MatchAll {
			v.errorf(path, "%s", badMatching(x.String()))
		}
	}
}

// tags checks one field against its enum, min and max tags.
func (v *validator) tags(fv reflect.Value, path string, tag reflect.StructTag) {
	if enum := tag.Get("enum"); enum != "" {
		v.enum(fv, path, strings.Split(enum, ","))
	}
	num, isNum := number(fv)
	if !isNum {
		return
	}
	if lo, ok := tag.Lookup("min"); ok && num < mustFloat(lo) {
		v.errorf(path, "%s is below the minimum of %s", formatNumber(fv), lo)
	}
	if hi, ok := tag.Lookup("max"); ok && num > mustFloat(hi) {
		v.errorf(path, "%s is above the maximum of %s", formatNumber(fv), hi)
	}
}

func (v *validator) enum(fv reflect.Value, path string, words []string) {
	check := func(s, p string) {
		if !slices.Contains(words, s) {
			v.errorf(p, "unknown value %q (want %s)", s, orList(words))
		}
	}
	if fv.Kind() == reflect.Slice {
		for i := range fv.Len() {
			check(fv.Index(i).String(), path+"["+strconv.Itoa(i)+"]")
		}
		return
	}
	check(fv.String(), path)
}

func number(fv reflect.Value) (float64, bool) {
	switch fv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(fv.Int()), true
	case reflect.Float32, reflect.Float64:
		return fv.Float(), true
	}
	return 0, false
}

func formatNumber(fv reflect.Value) string {
	if fv.Kind() == reflect.Float32 || fv.Kind() == reflect.Float64 {
		return strconv.FormatFloat(fv.Float(), 'g', -1, 64)
	}
	return strconv.FormatInt(fv.Int(), 10)
}

// mustFloat parses a number of a struct tag, which the tests check.
func mustFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic("config: bad number in struct tag: " + s)
	}
	return f
}

// orList writes "a, b or c".
func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func (v *validator) includes(incs []Include) {
	for i, in := range incs {
		if in.Path == "" {
			v.errorf("config_files["+strconv.Itoa(i)+"]", "the path is empty")
		}
	}
}

func (v *validator) ruleSelections(sels []RuleSelection) {
	for i, s := range sels {
		if s.Rule == "" && s.Tag == "" {
			v.errorf("rules["+strconv.Itoa(i)+"]", "give a rule name, a tag or both")
		}
	}
}

func (v *validator) appendOutputs(aos []AppendOutput) {
	for i, ao := range aos {
		p := "append_output[" + strconv.Itoa(i) + "]"
		if ao.Match.Rule != "" && len(ao.Match.Tags) > 0 {
			v.report(SeverityWarning, p+".match", fmt.Sprintf(
				"both a rule and tags are given: output is appended to rule %q only if it has all of the tags", ao.Match.Rule))
		}
		v.extraFields(ao.ExtraFields, p+".extra_fields")
	}
}

func (v *validator) extraFields(fs []ExtraField, path string) {
	seen := map[string]bool{}
	for i, f := range fs {
		p := path + "[" + strconv.Itoa(i) + "]"
		switch {
		case f.Name == "":
			v.errorf(p, "the field name is empty")
		case seen[f.Name]:
			v.errorf(p, "field %q is given twice", f.Name)
		}
		seen[f.Name] = true
	}
}

func (v *validator) outputs(c *Config) {
	if c.FileOutput.Enabled && c.FileOutput.Filename == "" {
		v.report(SeverityError, "file_output", "enabled but filename is empty", "file_output.filename", "file_output.enabled")
	}
	if c.ProgramOutput.Enabled && c.ProgramOutput.Program == "" {
		v.report(SeverityError, "program_output", "enabled but program is empty", "program_output.program", "program_output.enabled")
	}
	v.http(&c.HTTPOutput)
}

func (v *validator) http(h *HTTPOutput) {
	switch {
	case h.Enabled && h.URL == "":
		v.report(SeverityError, "http_output", "enabled but url is empty", "http_output.url", "http_output.enabled")
	case h.URL != "":
		u, err := url.Parse(h.URL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			v.errorf("http_output.url", "%q is not an http or https URL", h.URL)
		}
	}
	if h.Enabled && h.MTLS && (h.ClientCert == "" || h.ClientKey == "") {
		v.report(SeverityError, "http_output", "mtls needs client_cert and client_key", "http_output.mtls")
	}
}

func (v *validator) webserver(c *Config) {
	w := &c.Webserver
	if !isIP(w.ListenAddress) {
		v.errorf("webserver.listen_address", "%q is not an IP address", w.ListenAddress)
	}
	if w.Enabled && w.SSLEnabled && w.SSLCertificate == "" {
		v.report(SeverityError, "webserver", "ssl_enabled but ssl_certificate is empty", "webserver.ssl_certificate", "webserver.ssl_enabled")
	}
	if w.Enabled && w.PrometheusMetricsEnabled && !c.Metrics.Enabled {
		v.report(SeverityWarning, "webserver.prometheus_metrics_enabled", "has no effect unless metrics.enabled is true")
	}
}

// isIP reports whether s is an IPv4 or IPv6 address, the latter possibly
// with a zone.
func isIP(s string) bool {
	host, _, _ := strings.Cut(s, "%")
	return net.ParseIP(host) != nil
}

func (v *validator) drops(d *SyscallEventDrops) {
	if slices.Contains(d.Actions, "ignore") {
		for _, a := range d.Actions {
			if a == "log" || a == "alert" {
				v.errorf("syscall_event_drops.actions", "%q cannot be combined with %q", "ignore", a)
				return
			}
		}
	}
}

func (v *validator) metrics(m *Metrics) {
	if m.Enabled && time.Duration(m.Interval) < minMetricsInterval {
		v.errorf("metrics.interval", "%s is below the minimum of %s", m.Interval, Duration(minMetricsInterval))
	}
}
