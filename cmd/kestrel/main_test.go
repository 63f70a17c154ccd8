package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/app"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func example() string { return filepath.Join(testenv.RepoRoot(), "examples", "session.scap") }

func TestReadExample(t *testing.T) {
	t.Setenv("TZ", "UTC")
	out, err := run(t, "read", example())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 44 {
		t.Fatalf("%d lines, want the example's 44 events", len(lines))
	}
	want := "7 09:00:00.000019306 1 cat (2001) < open fd=3(<f>/etc/passwd) name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 "
	if lines[6] != want {
		t.Errorf("line 7:\n got %q\nwant %q", lines[6], want)
	}
}

func TestReadSynonymsAndLimit(t *testing.T) {
	a, err := run(t, "read", "-r", example(), "-n", "5", "-p", "%evt.num %evt.type")
	if err != nil {
		t.Fatal(err)
	}
	if a != "1 clone\n2 clone\n3 clone\n4 execve\n5 execve\n" {
		t.Errorf("got %q", a)
	}
}

func TestReadWriteRoundTrip(t *testing.T) {
	out := filepath.Join(t.TempDir(), "copy.scap")
	if _, err := run(t, "read", example(), "-w", out, "-z"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatal("-z did not write a gzip stream")
	}
	orig, _ := run(t, "read", example(), "-p", "%evt.num %evt.rawtime %thread.tid %evt.args")
	copied, err := run(t, "read", out, "-p", "%evt.num %evt.rawtime %thread.tid %evt.args")
	if err != nil || orig != copied {
		t.Fatalf("copy differs (err %v)", err)
	}
}

func TestReadFilter(t *testing.T) {
	out, err := run(t, "read", example(), "-p", "%evt.num %proc.name", "proc.name = cat and evt.dir = <")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		t.Fatalf("the filter selected %d events of the example: %q", len(lines), out)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, " cat") {
			t.Errorf("line %q is not from cat", l)
		}
	}
	_, err = run(t, "read", example(), "proc.nope = cat")
	if err == nil || !strings.Contains(err.Error(), "filter:1:1: unknown field \"proc.nope\"\n 1 | proc.nope = cat\n   | ^") {
		t.Errorf("bad field: got %v", err)
	}
}

func TestReadUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"read"},
		{"read", example(), "proc.name=cat and"},
		{"read", example(), "proc.nope = cat"},
		{"read", example(), "-z"},
		{"read", "-r", example(), "a", "b"},
		{"read", example(), "-p", "%nope"},
	} {
		_, err := run(t, args...)
		if !errors.Is(err, app.ErrUsage) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

func TestReadCorruptCapture(t *testing.T) {
	b, err := os.ReadFile(example())
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(t.TempDir(), "trunc.scap")
	os.WriteFile(trunc, b[:len(b)-50], 0o644)
	_, err = run(t, "read", trunc)
	if err == nil || !strings.Contains(err.Error(), "offset ") || errors.Is(err, app.ErrUsage) {
		t.Fatalf("truncated capture: %v", err)
	}
	notScap := filepath.Join(t.TempDir(), "x.scap")
	os.WriteFile(notScap, []byte("hello, this is not a capture file at all"), 0o644)
	if _, err := run(t, "read", notScap); err == nil || !strings.Contains(err.Error(), "not a capture") {
		t.Fatalf("non-capture: %v", err)
	}
}

func TestFieldsList(t *testing.T) {
	out, err := run(t, "fields")
	if err != nil || !strings.Contains(out, "evt.num") || !strings.Contains(out, "proc.name") {
		t.Fatalf("%v\n%s", err, out)
	}
	js, err := run(t, "fields", "--json")
	if err != nil || !strings.HasPrefix(js, "[") || !strings.Contains(js, `"name": "evt.type"`) {
		t.Fatalf("%v\n%s", err, js)
	}
}

// TestReadRefusesOwnOutput checks that a capture is never written over
// the capture being read, by its name or through a link, and that the
// input is left whole.
func TestReadRefusesOwnOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.scap")
	data, err := os.ReadFile(example())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.scap")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{in, link} {
		_, err := run(t, "read", in, "-w", out)
		if !errors.Is(err, app.ErrUsage) || !strings.Contains(err.Error(), "the capture to write is the capture being read") {
			t.Errorf("-w %s: %v", out, err)
		}
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, data) {
		t.Error("the input capture changed")
	}
}

// TestConfigValidate checks 'kestrel config validate': a located error
// with a caret for an unknown key, and a clean bill for the example.
func TestConfigValidate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte("stdout_output:\n  enabled: true\n  colour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "config", "validate", path)
	if err == nil {
		t.Fatal("an unknown key validated")
	}
	want := path + `:3:3: error: unknown key "colour" in stdout_output`
	if !strings.Contains(out, want) || !strings.Contains(out, " 3 |   colour: red\n   |   ^") {
		t.Errorf("output:\n%s\nwant %q and a caret under the key", out, want)
	}
	out, err = run(t, "config", "validate", filepath.Join(testenv.RepoRoot(), "examples", "kestrel.yaml"))
	if err != nil || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Errorf("the example: %v\n%s", err, out)
	}
	out, err = run(t, "config", "schema")
	if err != nil || !strings.Contains(out, `"http_output"`) {
		t.Errorf("schema: %v\n%.200s", err, out)
	}
}
