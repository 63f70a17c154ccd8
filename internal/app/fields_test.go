package app

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The field differential: for every event of the shared captures and the
// example capture, the value Kestrel gives each field expression listed in
// testdata/fields/CLASS.txt is the value sysdig 0.29.3 prints. Golden
// output is recorded by scripts/record-fields.sh; TestFieldsAgainstSysdig
// runs sysdig itself.

// fieldDiffs are the deliberate differences from sysdig 0.29.3, by field
// expression, with the reason. Every other difference fails the test.
var fieldDiffs = map[string]string{
	"evt.rawarg.size":   "sysdig 0.29.3 prints no value for raw unsigned and 8-32-bit arguments (it formats them with the field's print format, which has none); Kestrel prints the number, as current Falco does",
	"proc.cwd":          "for a process known only from its execve, Kestrel keeps the working directory the execve exit reports; sysdig 0.29.3 and libs 0.25 ignore that parameter and leave it empty in a capture (live, they read it from /proc)",
	"proc.aname":        "without an index, sysdig 0.29.3 prints the process's own name (proc.aname[0]); Falco 0.44 (libs 0.24 and later) prints every ancestor's name, parent first, and Kestrel does the same",
	"evt.latency.human": "on the first event of a thread created in a pid namespace, sysdig 0.29.3 prints the latency of the event before (1.66us) while its evt.latency says 0; Kestrel prints the thread's own latency, as evt.latency does",
	"group.gid":         "sysdig 0.29.3 reads the 32-bit gid as a 64-bit value, whose upper half is the neighbouring thread count (8589934591 while curl has one child thread); Kestrel prints the gid",
}

// notCompared lists sysdig 0.29.3 fields that Kestrel also has but that no
// class file compares, with the reason.
var notCompared = map[string]string{
	"evt.type.is":  "sysdig 0.29.3 cannot print it: its -p parser hands the whole rest of the format to the argument parser, so the field prints <NA>; unit tests check it",
	"evt.around":   "filter-only in sysdig (it cannot be printed); Kestrel's filters do not support it yet",
	"fd.ip":        "filter-only in sysdig (it cannot be printed); field unit tests check its values",
	"fd.port":      "filter-only in sysdig (it cannot be printed); field unit tests check its values",
	"fd.proto":     "filter-only in sysdig (it cannot be printed); field unit tests check its values",
	"fd.net":       "filter-only in sysdig (it cannot be printed); field unit tests check its values",
	"fd.cnet":      "filter-only in sysdig (it cannot be printed); its address is fd.cip's, which the fd class compares",
	"fd.snet":      "filter-only in sysdig (it cannot be printed); its address is fd.sip's, which the fd class compares",
	"fd.lnet":      "filter-only in sysdig (it cannot be printed); its address is fd.lip's, which the fd class compares",
	"fd.rnet":      "filter-only in sysdig (it cannot be printed); its address is fd.rip's, which the fd class compares",
	"fd.dev":       "sysdig 0.29.3 prints uninitialised memory (different at every run) for fds not opened by an open syscall; field unit tests check it",
	"fd.dev.major": "as fd.dev: uninitialised memory in sysdig 0.29.3 for most fds; field unit tests check it",
	"fd.dev.minor": "as fd.dev: uninitialised memory in sysdig 0.29.3 for most fds; field unit tests check it",
}

type fieldClass struct {
	name  string
	exprs []string
}

func fieldsDir() string { return filepath.Join(testenv.RepoRoot(), "testdata", "fields") }

func loadFieldClasses(t *testing.T) []fieldClass {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fieldsDir(), "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no field classes in %s: %v", fieldsDir(), err)
	}
	var out []fieldClass
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := fieldClass{name: strings.TrimSuffix(filepath.Base(p), ".txt")}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				c.exprs = append(c.exprs, l)
			}
		}
		out = append(out, c)
	}
	return out
}

// fieldFormat prints one record per event: RS, the event number, then US
// and each field, so that values holding newlines or spaces split right.
func fieldFormat(exprs []string) string {
	var b strings.Builder
	b.WriteString("*\x1e%evt.num")
	for _, e := range exprs {
		b.WriteString("\x1f%" + e)
	}
	return b.String()
}

// fieldRecords splits field output into records of n+1 values.
func fieldRecords(t *testing.T, what string, out []byte, n int) [][]string {
	t.Helper()
	parts := strings.Split(string(out), "\x1e")
	if len(parts) == 0 || parts[0] != "" {
		t.Fatalf("%s: output does not start with a record: %.100q", what, out)
	}
	recs := make([][]string, 0, len(parts)-1)
	for _, p := range parts[1:] {
		v := strings.Split(strings.TrimSuffix(p, "\n"), "\x1f")
		if len(v) != n+1 {
			t.Fatalf("%s: record %.60q has %d values, want %d", what, p, len(v), n+1)
		}
		recs = append(recs, v)
	}
	return recs
}

// compareFields compares Kestrel's records with sysdig's, field by field.
func compareFields(t *testing.T, what string, exprs []string, got, want []byte) {
	t.Helper()
	g := fieldRecords(t, what+" (kestrel)", got, len(exprs))
	w := fieldRecords(t, what+" (sysdig)", want, len(exprs))
	if len(g) != len(w) {
		t.Fatalf("%s: %d events, sysdig printed %d", what, len(g), len(w))
	}
	for i := range g {
		if g[i][0] != w[i][0] {
			t.Fatalf("%s: record %d is event %s, sysdig's is %s", what, i, g[i][0], w[i][0])
		}
	}
	for j, x := range exprs {
		bad := 0
		var ex []string
		for i := range g {
			if g[i][j+1] != w[i][j+1] {
				if bad++; bad <= 3 {
					ex = append(ex, "evt "+g[i][0]+": kestrel "+clipQ(g[i][j+1])+", sysdig "+clipQ(w[i][j+1]))
				}
			}
		}
		if bad == 0 {
			continue
		}
		if reason, ok := fieldDiffs[x]; ok {
			t.Logf("%s: %s differs on %d of %d events, as documented: %s", what, x, bad, len(g), reason)
			continue
		}
		t.Errorf("%s: %s differs on %d of %d events:\n  %s", what, x, bad, len(g), strings.Join(ex, "\n  "))
	}
}

func clipQ(s string) string {
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return "\"" + s + "\""
}

func readGz(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden output: %v (record it with scripts/record-fields.sh)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fieldCaptures returns the captures of the differential.
func fieldCaptures(t *testing.T) []string {
	return append(testenv.Captures(t), filepath.Join(testenv.RepoRoot(), "examples", "session.scap"),
		filepath.Join(testenv.RepoRoot(), "testdata", "captures", "containers.scap"))
}

func kestrelFields(t *testing.T, path string, exprs []string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	o := ReadOptions{Path: path, Format: fieldFormat(exprs)}
	if err := Read(context.Background(), o, &out, &errb); err != nil {
		t.Fatalf("read %s: %v (stderr: %s)", path, err, errb.String())
	}
	return out.Bytes()
}

func TestFieldsGolden(t *testing.T) {
	t.Setenv("TZ", "UTC")
	for _, c := range loadFieldClasses(t) {
		for _, path := range fieldCaptures(t) {
			name := goldenName(path)
			t.Run(c.name+"/"+filepath.Base(path), func(t *testing.T) {
				want := readGz(t, filepath.Join(testenv.RepoRoot(), "testdata", "golden", "fields", name+"."+c.name+".txt.gz"))
				compareFields(t, c.name, c.exprs, kestrelFields(t, path, c.exprs), want)
			})
		}
	}
}

// TestFieldsAgainstSysdig runs sysdig for every class and capture: the
// golden output must still be what it prints, and Kestrel must print it.
func TestFieldsAgainstSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	for _, c := range loadFieldClasses(t) {
		for _, path := range fieldCaptures(t) {
			name := goldenName(path)
			if name != strings.TrimSuffix(filepath.Base(path), ".scap") {
				continue // sysdig cannot open it
			}
			t.Run(c.name+"/"+filepath.Base(path), func(t *testing.T) {
				cmd := exec.Command(sysdig, "-r", path, "-p", fieldFormat(c.exprs))
				cmd.Env = append(os.Environ(), "TZ=UTC")
				want, err := cmd.Output()
				if err != nil {
					t.Fatalf("sysdig: %v", err)
				}
				golden := readGz(t, filepath.Join(testenv.RepoRoot(), "testdata", "golden", "fields", name+"."+c.name+".txt.gz"))
				if !bytes.Equal(golden, want) {
					t.Errorf("golden output of %s is not what sysdig prints: re-record it with scripts/record-fields.sh %s", c.name, c.name)
				}
				t.Setenv("TZ", "UTC")
				compareFields(t, c.name, c.exprs, kestrelFields(t, path, c.exprs), want)
			})
		}
	}
}

// TestFieldsCoverage checks that every field Kestrel shares with sysdig
// 0.29.3 is compared by some class, and that every expression names a
// field Kestrel has.
func TestFieldsCoverage(t *testing.T) {
	reg := field.Default()
	compared := map[string]bool{}
	for _, c := range loadFieldClasses(t) {
		for _, x := range c.exprs {
			d, _, n, err := reg.Match(x)
			if err != nil || n != len(x) {
				t.Errorf("%s.txt: %q is not a field expression Kestrel knows (%v)", c.name, x, err)
				continue
			}
			compared[d.Name] = true
		}
	}
	f, err := os.Open(filepath.Join(fieldsDir(), "sysdig-0.29.3.fields"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var missing []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := sc.Text()
		if _, ok := reg.Lookup(name); !ok || compared[name] {
			continue
		}
		if _, ok := notCompared[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fields shared with sysdig but compared by no class in testdata/fields: %s", strings.Join(missing, " "))
	}
}

// TestListFieldsOfSources lists the fields of each source other than
// syscall: its own, the generic evt.* and the JSON plugin's.
func TestListFieldsOfSources(t *testing.T) {
	own := map[string]string{"k8s_audit": "ka.user.name", "aws_cloudtrail": "ct.name", "okta": "okta.evt.type", "github": "github.type"}
	for src, name := range own {
		var b bytes.Buffer
		if err := ListFields(ListText, src, &b); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{name + " ", "evt.time ", "json.value[ARG]", "jevt.obj "} {
			if !strings.Contains(b.String(), "\n"+want) {
				t.Errorf("%s: no %q in\n%s", src, want, b.String())
			}
		}
		if strings.Contains(b.String(), "proc.name") {
			t.Errorf("%s: lists syscall fields", src)
		}
	}
	if err := ListFields(ListText, "nosuch", io.Discard); err == nil {
		t.Error("an unknown source was listed")
	}
}
