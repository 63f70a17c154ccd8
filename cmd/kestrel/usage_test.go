package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// emptyConfig writes an empty configuration file, so that 'kestrel run'
// does not read the host's.
func emptyConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kestrel.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// usageCases are mistakes in how each command is called; every one is a
// usage error. None of them gets as far as loading the probe.
func usageCases(t *testing.T) [][]string {
	ex, cfg := example(), emptyConfig(t)
	return [][]string{
		{"nosuch"},
		{"--nosuch"},
		{"help", "nosuch"},
		{"run", "extra"},
		{"run", "--nosuch"},
		{"run", "-c", cfg, "-M", "-1"},
		{"run", "-c", cfg, "--ring-size", "3"},
		{"run", "-c", cfg, "-o", "priority=bogus"},
		{"run", "-c", cfg, "-o", "nosuch.key=1"},
		{"run", "-c", cfg, "-D", "x", "-t", "y", "--dry-run"},
		{"run", "-c", cfg, "-t", "nosuchtag", "--dry-run"},
		{"run", "-c", cfg, "-D", "*", "--dry-run"},
		{"replay"},
		{"replay", ex, "extra"},
		{"replay", ex, "--nosuch"},
		{"replay", ex, "-o", "priority=bogus"},
		{"replay", ex, "-o", "novalue"},
		{"replay", ex, "-t", "nosuchtag"},
		{"replay", ex, "-D", "x", "-t", "y"},
		{"replay", ex, "-D", "*"},
		{"rules", "nosuch"},
		{"rules", "validate"},
		{"rules", "list", "extra"},
		{"rules", "list", "--format", "yaml"},
		{"rules", "list", "--json", "--markdown"},
		{"config", "nosuch"},
		{"config", "validate"},
		{"config", "validate", cfg, "-o", "priority=bogus"},
		{"config", "schema", "extra"},
		{"config", "example", "--nosuch"},
		{"capture", "a", "b"},
		{"capture", "-z"},
		{"capture", "--snaplen", "9000"},
		{"capture", "-W", "3"},
		{"capture", "-n", "-1"},
		{"capture", "proc.nope = 1"},
		{"read"},
		{"read", ex, "filter", "extra"},
		{"read", "-n", "abc", ex},
		{"read", ex, "-p", "%nope"},
		{"read", ex, "proc.name ="},
		{"fields", "extra"},
		{"fields", "--format", "yaml"},
		{"fields", "--json", "--format", "json"},
		{"events", "extra"},
		{"events", "--format", "csv"},
		{"completion", "nosuch"},
	}
}

// TestUsageErrors checks that every mistake in how a command is called
// is a usage error, whichever command, so that Kestrel exits with 2.
func TestUsageErrors(t *testing.T) {
	for _, args := range usageCases(t) {
		out, err := run(t, args...)
		if !errors.Is(err, app.ErrUsage) {
			t.Errorf("%q: got %v, want a usage error\n%.300s", args, err, out)
		}
	}
	// A group alone shows its help; that is no mistake.
	if out, err := run(t, "rules"); err != nil || !strings.Contains(out, "validate") {
		t.Errorf("kestrel rules: %v\n%s", err, out)
	}
}

// TestNotUsageErrors checks errors that are not in how Kestrel was called:
// they exit with 1.
func TestNotUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badRules := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badRules, []byte("- rule: Bad\n  desc: d\n  condition: evt.type = open and proc.nme = cat\n  output: x\n  priority: WARNING\n"), 0o600)
	badConfig := filepath.Join(dir, "bad-config.yaml")
	os.WriteFile(badConfig, []byte("priority: bogus\n"), 0o600)
	for _, args := range [][]string{
		{"read", filepath.Join(dir, "missing.scap")},
		{"replay", filepath.Join(dir, "missing.scap")},
		{"replay", example(), "-r", badRules},
		{"rules", "validate", badRules},
		{"config", "validate", badConfig},
		{"run", "-c", badConfig, "--dry-run"},
	} {
		_, err := run(t, args...)
		if err == nil || errors.Is(err, app.ErrUsage) {
			t.Errorf("%q: got %v, want an error that is not a usage error", args, err)
		}
	}
}

// TestUsageExitStatus runs the command: status 2 for usage errors, 1 for
// other errors.
func TestUsageExitStatus(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	cfg := emptyConfig(t)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"nosuch"}, 2},
		{[]string{"replay"}, 2},
		{[]string{"replay", example(), "-t", "nosuchtag"}, 2},
		{[]string{"read", "-n", "abc", example()}, 2},
		{[]string{"rules", "validate"}, 2},
		{[]string{"fields", "--format", "yaml"}, 2},
		{[]string{"run", "-c", cfg, "-o", "priority=bogus"}, 2},
		{[]string{"read", filepath.Join(t.TempDir(), "missing.scap")}, 1},
	} {
		cmd := exec.Command(bin, c.args...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != c.code {
			t.Errorf("%q: %v, want exit status %d\n%s", c.args, err, c.code, out)
		}
	}
}

// TestRunDryRun checks 'kestrel run --dry-run': the configuration with the
// -o settings (a key with an escaped dot among them), the rules selected,
// -U over buffered_outputs, and nothing started.
func TestRunDryRun(t *testing.T) {
	out, err := run(t, "run", "-c", emptyConfig(t), "--dry-run", "-t", "container",
		"-o", `static_fields.my\.key=v`, "-o", "static_fields.plain=w",
		"-o", "buffered_outputs=true", "-U", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		`"my.key" = "v"`,
		`"plain" = "w"`,
		"buffered_outputs: false",
		"Shell started in container",
		"outputs:          stdout (JSON)",
		"dry run: the configuration and the rules are valid; the probe was not loaded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Systemd unit or init script written") {
		t.Errorf("-t container selected a rule without the tag:\n%s", out)
	}
	// The same key path in a configuration check.
	if _, err := run(t, "config", "validate", emptyConfig(t), "-o", `static_fields.my\.key=v`); err != nil {
		t.Errorf("config validate: %v", err)
	}
}

// TestRunDryRunSources shows the other sources a run starts: with only
// their rules, no syscall is traced for rules.
func TestRunDryRunSources(t *testing.T) {
	rules, err := filepath.Abs("../../../shared/testdata/rules/plugins/okta_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "run", "-c", emptyConfig(t), "--dry-run", "-r", rules, "-o", "sources.okta.enabled=true",
		"-o", "sources.okta.organization=example", "-o", "sources.okta.api_token=t",
		"-o", "sources.k8s_audit.enabled=true", "-o", "sources.k8s_audit.listen_port=9999")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"source:           k8s_audit, webhook 0.0.0.0:9999/k8s-audit; 0 rules selected",
		"source:           okta, the System Log of example; 12 rules selected",
		"syscalls:         none for the rules; only those the host model needs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// TestRunDryRunErrors checks that the dry run reports what a start would.
func TestRunDryRunErrors(t *testing.T) {
	_, err := run(t, "run", "-c", emptyConfig(t), "--dry-run", "-o", "priority=bogus")
	if !errors.Is(err, app.ErrUsage) || !errors.Is(err, config.ErrInvalid) {
		t.Errorf("-o priority=bogus: %v, want a usage error and an invalid configuration", err)
	}
	_, err = run(t, "run", "-c", emptyConfig(t), "--dry-run", "-t", "nosuchtag")
	if !errors.Is(err, app.ErrNoRules) || !strings.Contains(err.Error(), "-t nosuchtag: no rule has this tag") {
		t.Errorf("-t nosuchtag: %v", err)
	}
}

// TestCaptureSnaplenDefault checks that live captures keep sysdig's 80
// bytes of I/O data unless told otherwise, and say so.
func TestCaptureSnaplenDefault(t *testing.T) {
	cmd := newCaptureCmd()
	f := cmd.Flags().Lookup("snaplen")
	if f == nil || f.DefValue != "80" || f.Shorthand != "s" {
		t.Fatalf("--snaplen: %+v, want -s with 80 by default", f)
	}
	if !strings.Contains(cmd.Long, "80 by default") {
		t.Error("capture's help does not give the default snaplen")
	}
}

// TestListFormats checks the text, Markdown and JSON forms of the listing
// commands.
func TestListFormats(t *testing.T) {
	md, err := run(t, "rules", "list", "--markdown")
	if err != nil || !strings.HasPrefix(md, "Rule | Priority | Source | Enabled | Tags | Description\n:----|") ||
		!strings.Contains(md, "\nCredential file read by unexpected program | Warning | syscall | yes | `host`, `container`, `filesystem`, `mitre_credential_access`, `T1003.008` | A program ") {
		t.Errorf("rules list --markdown: %v\n%s", err, md)
	}
	js, err := run(t, "rules", "list", "--format", "json")
	var rows []app.RuleInfo
	if err != nil || json.Unmarshal([]byte(js), &rows) != nil || len(rows) == 0 || rows[0].Desc == "" {
		t.Errorf("rules list --format json: %v\n%.300s", err, js)
	}
	md, err = run(t, "fields", "--format", "markdown")
	if err != nil || !strings.HasPrefix(md, "## Field Class: container\n\nEvent Sources: syscall\n\nName | Type | Description\n:----|:-----|:-----------\n") ||
		!strings.Contains(md, "\n## Field Class: evt\n") || !strings.Contains(md, "\n`evt.num` | UINT64 | ") {
		t.Errorf("fields --format markdown: %v\n%.400s", err, md)
	}
	a, _ := run(t, "fields", "--json")
	b, _ := run(t, "fields", "--format", "JSON")
	if a != b || !strings.HasPrefix(a, "[") {
		t.Errorf("fields --json and --format json differ")
	}
	text, err := run(t, "events")
	if err != nil || !strings.Contains(text, "## Syscall events\n") || !strings.Contains(text, "\n< openat(FD **fd**, FD **dirfd**, FSRELPATH **name**, FLAGS32 **flags**: O_LARGEFILE, ") ||
		!strings.Contains(text, "## Metaevents\n") || !strings.Contains(text, "\n> procinfo(") {
		t.Errorf("events: %v\n%.600s", err, text)
	}
	md, err = run(t, "events", "--format", "markdown")
	if err != nil || !strings.Contains(md, "\nNo | `<` | `read` | ERRNO **res**, BYTEBUF **data**") || !strings.Contains(md, "\nYes | `<` | `execve` | ") {
		t.Errorf("events --format markdown: %v\n%.600s", err, md)
	}
	js, err = run(t, "events", "--json")
	var evs map[string]json.RawMessage
	if err != nil || json.Unmarshal([]byte(js), &evs) != nil || evs["Syscall events"] == nil || evs["Tracepoint events"] == nil {
		t.Errorf("events --json: %v\n%.300s", err, js)
	}
}

// TestExamplesUseRealFlags checks that every kestrel command line in the
// commands' examples and in the README names commands and flags that
// exist, so that the help teaches what works.
func TestExamplesUseRealFlags(t *testing.T) {
	root := newRootCmd()
	var lines []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" {
			return // cobra's own, with other programs' command lines
		}
		lines = append(lines, strings.Split(c.Example, "\n")...)
		lines = append(lines, strings.Split(c.Long, "\n")...)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	lines = append(lines, readmeCommands(t)...)
	checked := 0
	for _, l := range lines {
		for _, seg := range strings.Split(l, "|") {
			if checkCommandLine(t, root, seg) {
				checked++
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d command lines checked", checked)
	}
}

// readmeCommands returns the lines of the README's shell blocks, with
// continued lines joined.
func readmeCommands(t *testing.T) []string {
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	in, cont := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
		case strings.HasPrefix(l, "```"):
			in = false
		case in:
			if strings.HasSuffix(l, `\`) {
				cont += strings.TrimSuffix(l, `\`) + " "
				continue
			}
			out = append(out, cont+l)
			cont = ""
		}
	}
	return out
}

// checkCommandLine checks the kestrel command in one shell command: its
// subcommand and every flag it gives. It reports whether there was one.
func checkCommandLine(t *testing.T, root *cobra.Command, line string) bool {
	t.Helper()
	line, _, _ = strings.Cut(line, "#")
	words := shellWords(line)
	i := 0
	for i < len(words) && !strings.HasSuffix(words[i], "kestrel") {
		i++
	}
	if i == len(words) || i > 0 && words[i-1] != "sudo" && words[i-1] != "&&" {
		return false
	}
	args := words[i+1:]
	cmd, _, err := root.Find(args)
	if err != nil || cmd == root && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		t.Errorf("%q: no such command", line)
		return true
	}
	for _, w := range args {
		if len(w) < 2 || w[0] != '-' || w == "--" || !isLetter(w[1]) && w[1] != '-' {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		var ok bool
		switch {
		case w == "--help" || w == "-h":
			ok = true
		case strings.HasPrefix(w, "--"):
			ok = cmd.Flags().Lookup(name) != nil
		default:
			ok = cmd.Flags().ShorthandLookup(name[:1]) != nil
		}
		if !ok {
			t.Errorf("%q: kestrel %s has no flag %s", strings.TrimSpace(line), cmd.Name(), w)
		}
	}
	return true
}

// shellWords splits a command line into words, keeping quoted text whole.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quote, in := rune(0), false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '>' || r == ';' || r == '(' || r == ')':
			if in || cur.Len() > 0 {
				words = append(words, cur.String())
			}
			cur.Reset()
			in = false
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in || cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// TestReplayExamplesRun runs replay's examples that need no file beyond
// the capture (no -r) on the example capture: each must work as shown.
func TestReplayExamplesRun(t *testing.T) {
	ran := 0
	for _, l := range strings.Split(newReplayCmd().Example, "\n") {
		words := shellWords(strings.TrimSpace(l))
		if len(words) < 3 || words[0] != "kestrel" || strings.Contains(l, " -r ") {
			continue
		}
		args := words[1:]
		for i, w := range args {
			if w == "incident.scap" {
				args[i] = example()
			}
		}
		if out, err := run(t, args...); err != nil {
			t.Errorf("%s: %v\n%.300s", l, err, out)
		}
		ran++
	}
	if ran < 3 {
		t.Errorf("%d examples ran", ran)
	}
}
