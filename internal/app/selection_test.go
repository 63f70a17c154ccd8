package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/config"
)

// replaySession replays the example capture with the replay rules and o's
// selection, and returns the error and what went to stderr.
func replaySession(t *testing.T, o ReplayOptions) (string, error) {
	t.Helper()
	o.Path = replayCaptures(t)[2]
	o.Rules, o.Hostname = []string{replayRulesFile()}, "h"
	var out, errb bytes.Buffer
	err := Replay(context.Background(), o, &out, &errb)
	return errb.String(), err
}

// TestSelectionSelectsNothing checks that a rule selection that selects
// nothing is an error before any event is read: a -t tag no rule has, or
// no rule left to run; and that a -D or -T that matches no rule is a
// warning.
func TestSelectionSelectsNothing(t *testing.T) {
	for _, c := range []struct {
		name  string
		o     ReplayOptions
		usage bool
		want  string
	}{
		{"unknown -t", ReplayOptions{EnableTags: []string{"test", "nosuchtag"}}, true,
			"-t nosuchtag: no rule has this tag (the rules loaded have filesystem, io, network, process, test)"},
		{"-D everything", ReplayOptions{Disable: []string{"*"}}, true,
			"no rule to run: the rules files' enabled flags and -D leave none of the 6 rules loaded"},
		{"-T every tag", ReplayOptions{DisableTags: []string{"filesystem", "io", "network", "process"}}, true,
			"no rule to run: the rules files' enabled flags and -T leave none of the 6 rules loaded"},
		{"priority", ReplayOptions{Settings: []string{"priority=emergency"}}, false,
			"no rule to run: the rules files' enabled flags and priority emergency leave none of the 6 rules loaded"},
	} {
		stderr, err := replaySession(t, c.o)
		if !errors.Is(err, ErrNoRules) || errors.Is(err, ErrUsage) != c.usage || err.Error() != c.want {
			t.Errorf("%s: got %v (usage %t)\nwant %q (usage %t)", c.name, err, errors.Is(err, ErrUsage), c.want, c.usage)
		}
		if strings.Contains(stderr, "Events read") {
			t.Errorf("%s: the capture was read:\n%s", c.name, stderr)
		}
	}
	stderr, err := replaySession(t, ReplayOptions{Disable: []string{"nosuchrule", "Open below*"}, DisableTags: []string{"nosuchtag"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"kestrel: warning: -D nosuchrule: no rule name matches, so it disables nothing\n",
		"kestrel: warning: -T nosuchtag: no rule has this tag, so it disables nothing\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "Open below") {
		t.Errorf("-D 'Open below*' matches a rule, yet:\n%s", stderr)
	}
}

// TestConfigValidateNoRules checks that a configuration whose priority
// leaves no rule to run does not validate.
func TestConfigValidateNoRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte("rules_files: ["+replayRulesFile()+"]\npriority: emergency\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := ValidateConfig(ConfigValidateOptions{Paths: []string{path}}, &out)
	if !errors.Is(err, ErrNoRules) || errors.Is(err, ErrUsage) || !strings.Contains(out.String(), path+": error: no rule to run: ") {
		t.Errorf("got %v\n%s", err, out.String())
	}
}

// TestIOEventsSkippedLiveOnly checks that the high-volume I/O events are
// left out by default on a live source only: a replay judges every event,
// -A or not, as Falco judges a capture file.
func TestIOEventsSkippedLiveOnly(t *testing.T) {
	for _, all := range []bool{false, true} {
		cfg, err := replaySettings(ReplayOptions{AllEvents: all}, &bytes.Buffer{})
		if err != nil || !cfg.engine.AllEvents {
			t.Errorf("replay with -A %t: the I/O events are skipped (%v)", all, err)
		}
	}
	cfg, ds := readRunConfig(RunOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.String())
	}
	if eo, err := engineOptions(cfg, RunOptions{}); err != nil || eo.AllEvents {
		t.Errorf("run: the I/O events are judged by default (%v)", err)
	}
	cfg, _ = readRunConfig(RunOptions{ReplayOptions: ReplayOptions{AllEvents: true}})
	if eo, _ := engineOptions(cfg, RunOptions{}); !eo.AllEvents {
		t.Error("run -A: the I/O events are skipped")
	}
}

// TestUnbuffered checks -U: run's buffered_outputs is false whatever the
// configuration says, and a replay writes each alert as it is found.
func TestUnbuffered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte("buffered_outputs: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, ds := readRunConfig(RunOptions{ConfigFile: path})
	if ds.HasErrors() || !cfg.BufferedOutputs {
		t.Fatalf("the file's buffered_outputs: %v %s", cfg.BufferedOutputs, ds.String())
	}
	cfg, _ = readRunConfig(RunOptions{ConfigFile: path, ReplayOptions: ReplayOptions{Unbuffered: true}})
	if cfg.BufferedOutputs {
		t.Error("-U left buffered_outputs true")
	}
	for _, unbuffered := range []bool{false, true} {
		var w countingWriter
		o := ReplayOptions{Path: replayCaptures(t)[2], Rules: []string{replayRulesFile()}, Hostname: "h",
			Settings: []string{"rule_matching=all"}, Unbuffered: unbuffered}
		if err := Replay(context.Background(), o, &w, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(w.data, []byte("\n"))
		if want := map[bool]int{false: 1, true: lines}[unbuffered]; w.writes != want || lines < 2 {
			t.Errorf("-U %t: %d alerts in %d writes, want %d writes", unbuffered, lines, w.writes, want)
		}
	}
}

type countingWriter struct {
	writes int
	data   []byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.data = append(w.data, p...)
	return len(p), nil
}

// TestRunDryRunStartsNothing checks that a dry run loads the configuration
// and the rules and starts nothing: no web server, probe or snapshot.
func TestRunDryRunStartsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte("rules_files: ["+replayRulesFile()+"]\nstatic_fields:\n  env: prod\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	o := RunOptions{ConfigFile: path, DryRun: true, ProcRoot: "/nonexistent", EtcRoot: "/nonexistent",
		Starting: func(string) { t.Error("the web server was started") },
		Ready:    func(string) { t.Error("the probe was started") }}
	o.Settings = []string{`static_fields.a\.b=c`, "webserver.listen_port=1"}
	if err := Run(context.Background(), o, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, want := range []string{
		"configuration:    " + path + "\n",
		"  -o:             static_fields.a\\.b=c\n",
		"rules files:      " + replayRulesFile() + "\n",
		"rules:            6 of 6 selected (priority debug and above, rule_matching first)\n",
		"  Warning       Open below etc  [filesystem, test]\n",
		"web server:       http://127.0.0.1:1 (/healthz, /versions)\n",
		"syscalls:         ",
		" connect ", " execve ", " read ", " socket ",
		"I/O events:       read write send recv pread pwrite readv writev preadv pwritev sendfile skipped",
		"static_fields:    2\n  \"a.b\" = \"c\"\n  \"env\" = \"prod\"\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
	// A configuration error stops the dry run as it stops a start.
	o.Settings = []string{"static_fields=notamap"}
	if err := Run(context.Background(), o, &out, &errb); !errors.Is(err, config.ErrInvalid) || !errors.Is(err, ErrUsage) {
		t.Errorf("a bad -o: %v", err)
	}
}
