package app

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// goldenCase is one way of reading a capture, as Kestrel options and as
// the sysdig flags that print the same thing. Keep the list in sync with
// scripts/record-golden.sh, which records sysdig's output for each.
type goldenCase struct {
	name  string
	opts  ReadOptions
	flags []string
}

const (
	rawFormat   = "%evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type"
	argsFormat  = "%evt.num %evt.args"
	timesFormat = "%evt.num %evt.time %evt.datetime %evt.datetime.s %evt.time.s %evt.time.iso8601 %evt.reltime %evt.reltime.s %evt.reltime.ns %evt.rawtime.s %evt.rawtime.ns %evt.deltatime %evt.deltatime.s %evt.deltatime.ns %evt.outputtime"
	metaFormat  = "%evt.num %proc.name %evt.dir %evt.type"
	jsonFormat  = "%evt.num %evt.type %evt.rawtime %evt.cpu %thread.tid %evt.dir %proc.name %evt.args %evt.time %evt.reltime.s"
)

var goldenCases = []goldenCase{
	{name: "raw", opts: ReadOptions{Internal: true, Format: rawFormat}, flags: []string{"-D", "-p", rawFormat}},
	{name: "args", opts: ReadOptions{Internal: true, Format: argsFormat}, flags: []string{"-D", "-p", argsFormat}},
	{name: "default"},
	{name: "times", opts: ReadOptions{Format: timesFormat}, flags: []string{"-p", timesFormat}},
	{name: "meta", opts: ReadOptions{Internal: true, Format: metaFormat}, flags: []string{"-D", "-p", metaFormat}},
	{name: "json", opts: ReadOptions{JSON: true}, flags: []string{"-j"}},
	{name: "jsonfmt", opts: ReadOptions{Internal: true, JSON: true, Format: jsonFormat}, flags: []string{"-D", "-j", "-p", jsonFormat}},
	{name: "limit", opts: ReadOptions{Limit: 300}, flags: []string{"-n", "300"}},
}

// goldenName returns the capture whose golden output applies to path:
// sysdig 0.29.3 cannot open curl_google_comments.scap (options in its
// section header), whose events are those of curl_google.scap.
func goldenName(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), ".scap")
	if name == "curl_google_comments" {
		return "curl_google"
	}
	return name
}

func kestrelLines(t *testing.T, path string, o ReadOptions) []string {
	t.Helper()
	o.Path = path
	var out, errb bytes.Buffer
	if err := Read(context.Background(), o, &out, &errb); err != nil {
		t.Fatalf("read %s: %v (stderr: %s)", path, err, errb.String())
	}
	return splitLines(out.Bytes())
}

func splitLines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func readGolden(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "testdata", "golden", name+".txt.gz"))
	if err != nil {
		t.Fatalf("golden output: %v (record it with scripts/record-golden.sh)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// compareLines checks that Kestrel's lines are exactly sysdig's, state-
// resolved text included, and reports the first differences.
func compareLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d lines, sysdig printed %d", what, len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		if got[i] == want[i] {
			continue
		}
		if bad++; bad <= 5 {
			t.Errorf("%s line %d:\n kestrel: %s\n  sysdig: %s", what, i+1, clip(got[i]), clip(want[i]))
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d differing lines in all", what, bad)
	}
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

func TestGoldenSysdigOutput(t *testing.T) {
	t.Setenv("TZ", "UTC")
	for _, path := range testenv.Captures(t) {
		for _, c := range goldenCases {
			t.Run(filepath.Base(path)+"/"+c.name, func(t *testing.T) {
				want := readGolden(t, goldenName(path)+"."+c.name)
				got := kestrelLines(t, path, c.opts)
				compareLines(t, c.name, got, want)
			})
		}
	}
}

// TestAgainstSysdig runs the real sysdig on the shared captures and checks
// that Kestrel prints the same, and that the recorded golden output is
// still what sysdig prints.
func TestAgainstSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	t.Setenv("TZ", "UTC")
	for _, path := range testenv.Captures(t) {
		if goldenName(path) != strings.TrimSuffix(filepath.Base(path), ".scap") {
			continue // sysdig cannot open it; covered by the golden test
		}
		for _, c := range goldenCases {
			t.Run(filepath.Base(path)+"/"+c.name, func(t *testing.T) {
				want := runSysdig(t, sysdig, append([]string{"-r", path}, c.flags...)...)
				compareLines(t, c.name+" (golden vs sysdig)", readGolden(t, goldenName(path)+"."+c.name), want)
				compareLines(t, c.name, kestrelLines(t, path, c.opts), want)
			})
		}
	}
}

func runSysdig(t *testing.T, sysdig string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(sysdig, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sysdig %s: %v", strings.Join(args, " "), err)
	}
	return splitLines(out.Bytes())
}

// TestExampleAgainstSysdig checks the shipped example capture, which
// Kestrel wrote, the same way: sysdig reads it, and Kestrel prints what
// sysdig prints.
func TestExampleAgainstSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	t.Setenv("TZ", "UTC")
	path := filepath.Join(testenv.RepoRoot(), "examples", "session.scap")
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			want := runSysdig(t, sysdig, append([]string{"-r", path}, c.flags...)...)
			if len(want) == 0 {
				t.Fatal("sysdig printed nothing")
			}
			compareLines(t, c.name, kestrelLines(t, path, c.opts), want)
		})
	}
}
