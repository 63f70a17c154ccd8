package field

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The field conformance table: every field of current Falco's syscall
// source (libsinsp 0.25 and the container plugin 0.7, whose field tables
// are kept in testdata/), with whether Kestrel has it, whether sysdig
// 0.29.3 has it and compares equal to Kestrel, and why a field is missing.
// TestConformance checks the registry against the tables and that
// testdata/conformance.md is up to date; -update rewrites it.

var update = flag.Bool("update", false, "rewrite testdata/conformance.md")

// refField is a field of a reference field table.
type refField struct {
	name, typ, arg string // arg: none, optional or required
	source         string // the table it comes from
	filterOnly     bool
}

// conformanceNotes are what the table says of single fields: documented
// differences from sysdig 0.29.3 or libs 0.25, and why a field sysdig
// 0.29.3 has is not compared.
var conformanceNotes = map[string]string{
	"evt.rawarg":            "raw unsigned and 8-32-bit arguments (evt.rawarg.size) differ from sysdig 0.29.3, which prints no value for them; Kestrel prints the number, as Falco 0.44",
	"evt.latency.human":     "differs from sysdig 0.29.3 on the first event of a thread created in a pid namespace (sysdig prints the previous event's latency); libs 0.25 deprecated it and prints 0ns",
	"evt.latency":           "libs 0.25 deprecated it and prints 0; Kestrel prints the latency, as sysdig 0.29.3",
	"evt.latency.s":         "libs 0.25 deprecated it and prints 0; Kestrel prints the latency, as sysdig 0.29.3",
	"evt.latency.ns":        "libs 0.25 deprecated it and prints 0; Kestrel prints the latency, as sysdig 0.29.3",
	"evt.wait_latency":      "libs 0.25 deprecated it and prints 0; Kestrel prints the latency, as sysdig 0.29.3",
	"evt.latency.quantized": "libs 0.25 deprecated it and prints 0; Kestrel prints what sysdig 0.29.3 prints (1 below 100 s)",
	"evt.count.procinfo":    "libs 0.25 prints 0 on other events than procinfo; Kestrel prints no value there, as sysdig 0.29.3",
	"evt.count.threadinfo":  "libs 0.25 prints 0 on other events than procinfo; Kestrel prints no value there, as sysdig 0.29.3",
	"evt.type.is":           "not compared: sysdig 0.29.3 cannot print it (its -p parser hands the rest of the format to the argument); unit tests",
	"evt.abspath":           "libs 0.25 requires an argument (.src, .dst); Kestrel and sysdig 0.29.3 also take none",
	"group.gid":             "differs from sysdig 0.29.3, which reads the 32-bit gid as a 64-bit value (type UINT64 there); Kestrel prints the gid",
	"proc.cwd":              "differs for a process whose creation the stream did not show: Kestrel takes the execve's working directory, sysdig 0.29.3 and libs 0.25 leave it empty in a capture",
	"proc.aname":            "without an index: every ancestor's name, as Falco 0.44 (libs 0.24 and later); sysdig 0.29.3 prints the process's own",
	"proc.aexe":             "without an index: every ancestor's, as Falco 0.44",
	"proc.aexepath":         "without an index: every ancestor's, as Falco 0.44",
	"proc.pgid":             "Kestrel follows setpgid and keeps the group across an execve that does not report it; libs 0.25 does neither (it sets -1)",
	"proc.tty":              "typed UINT32 as in libs 0.25 (INT32 in sysdig 0.29.3)",
	"proc.nthreads":         "typed UINT64 as in libs 0.25 (UINT32 in sysdig 0.29.3)",
	"proc.nchilds":          "typed UINT64 as in libs 0.25 (UINT32 in sysdig 0.29.3)",
	"user.loginuid":         "typed INT64 as in libs 0.25 (INT32 in sysdig 0.29.3)",
	"thread.vmsize.b":       "sysdig 0.29.3 multiplies in 32 bits and wraps at 4 GiB; Kestrel does not, as libs 0.25",
	"thread.vmrss.b":        "sysdig 0.29.3 multiplies in 32 bits and wraps at 4 GiB; Kestrel does not, as libs 0.25",
	"fd.name":               "datagram sockets with no local address take it from the host's interfaces (fd_infer_test.go); on a socket bound to 0.0.0.0 that receives, sysdig and libs 0.25 read a listening socket's port as the address",
	"fd.dev":                "not compared: sysdig 0.29.3 prints uninitialised memory for fds not opened by an open call; unit tests",
	"fd.dev.major":          "not compared: as fd.dev",
	"fd.dev.minor":          "not compared: as fd.dev",
	"container.labels":      "no value rather than an empty one when the container has no labels, as Kestrel's other container fields",
}

func readRefFields(t *testing.T) []refField {
	t.Helper()
	var out []refField
	for _, l := range readLines(t, filepath.Join("testdata", "libsinsp-0.25.4.fields")) {
		w := strings.Split(l, "\t")
		if len(w) != 4 {
			t.Fatalf("libsinsp-0.25.4.fields: %q", l)
		}
		arg := "none"
		switch {
		case strings.Contains(w[2], "EPF_ARG_REQUIRED"):
			arg = "required"
		case strings.Contains(w[2], "EPF_ARG_ALLOWED"):
			arg = "optional"
		}
		src := "libsinsp " + strings.TrimSuffix(strings.TrimPrefix(w[3], "sinsp_filtercheck_"), ".cpp")
		out = append(out, refField{name: w[0], typ: w[1], arg: arg, source: src, filterOnly: strings.Contains(w[2], "EPF_FILTER_ONLY")})
	}
	for _, l := range readLines(t, filepath.Join("testdata", "container-plugin-0.7.1.fields")) {
		w := strings.Split(l, "\t")
		if len(w) != 3 {
			t.Fatalf("container-plugin-0.7.1.fields: %q", l)
		}
		arg := "required"
		if w[2] == "none" {
			arg = "none"
		}
		out = append(out, refField{name: w[0], typ: w[1], arg: arg, source: "container plugin"})
	}
	return out
}

// readLines returns the lines of a file that are neither empty nor comments.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, sc.Text())
		}
	}
	return out
}

// sysdigFields returns the fields sysdig 0.29.3 has: its field list, and
// those it takes without listing them.
func sysdigFields(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, n := range readLines(t, filepath.Join(testenv.RepoRoot(), "testdata", "fields", "sysdig-0.29.3.fields")) {
		out[n] = "yes"
	}
	for _, n := range readLines(t, filepath.Join("testdata", "sysdig-0.29.3-table-only.fields")) {
		out[n] = "yes, unlisted"
	}
	return out
}

// comparedFields returns the fields the differential against sysdig
// 0.29.3 compares: those of the field classes (every event of the
// captures, internal/app/fields_test.go) and of the fd scenarios.
func comparedFields(t *testing.T, reg *Registry) map[string]string {
	out := map[string]string{}
	paths, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "testdata", "fields", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no field classes: %v", err)
	}
	for _, p := range paths {
		for _, x := range readLines(t, p) {
			if d, _, _, err := reg.Match(strings.TrimSpace(x)); err == nil {
				out[d.Name] = "verified"
			}
		}
	}
	for _, x := range append(append([]string(nil), fdScenarioFields...), inferFields...) {
		if d, _, _, err := reg.Match(x); err == nil && out[d.Name] == "" {
			out[d.Name] = "verified (fd scenario)"
		}
	}
	return out
}

func argModeName(m ArgMode) string {
	switch m {
	case ArgRequired:
		return "required"
	case ArgOptional:
		return "optional"
	}
	return "none"
}

// argExceptions are the fields whose argument mode differs from the
// reference on purpose.
var argExceptions = map[string]bool{"evt.abspath": true}

func TestConformance(t *testing.T) {
	reg := Default()
	refs := readRefFields(t)
	sysdig := sysdigFields(t)
	compared := comparedFields(t, reg)
	miss := map[string]string{}
	for _, m := range Missing() {
		if _, dup := miss[m.Name]; dup {
			t.Errorf("Missing lists %s twice", m.Name)
		}
		miss[m.Name] = m.Reason
	}
	known := map[string]bool{}
	for _, r := range refs {
		known[r.name] = true
		d, ok := reg.Lookup(r.name)
		_, missingOK := miss[r.name]
		switch {
		case ok && missingOK:
			t.Errorf("%s is in the registry and in Missing", r.name)
		case !ok && !missingOK:
			t.Errorf("%s (%s) is neither in the registry nor in Missing", r.name, r.source)
		case ok && event.TypeName(d.Type) != r.typ:
			t.Errorf("%s: type %s, %s has %s", r.name, event.TypeName(d.Type), r.source, r.typ)
		case ok && argModeName(d.Arg) != r.arg && !argExceptions[r.name]:
			t.Errorf("%s: argument %s, %s has %s", r.name, argModeName(d.Arg), r.source, r.arg)
		}
	}
	for name := range miss {
		if !known[name] {
			t.Errorf("Missing lists %s, which no reference table has", name)
		}
	}
	for _, d := range reg.All() {
		if !known[d.Name] {
			t.Errorf("%s is in the registry but in no reference table: add it to the table it comes from", d.Name)
		}
	}
	for name := range conformanceNotes {
		if !known[name] {
			t.Errorf("a note for %s, which no reference table has", name)
		}
	}
	got := conformanceTable(refs, reg, sysdig, compared, miss)
	path := filepath.Join("testdata", "conformance.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: go test ./field/ -run TestConformance -update (%v)", path, err)
	}
}

// conformanceTable renders the table, with its totals first.
func conformanceTable(refs []refField, reg *Registry, sysdig, compared, miss map[string]string) []byte {
	type totals struct{ all, impl, verified, notCompared, kestrelOnly, missing int }
	tot := map[string]*totals{}
	var rows []string
	for _, r := range refs {
		group := "libsinsp 0.25.4"
		if r.source == "container plugin" {
			group = "container plugin 0.7.1"
		}
		if tot[group] == nil {
			tot[group] = &totals{}
		}
		tt := tot[group]
		tt.all++
		sd := sysdig[r.name]
		if sd == "" {
			sd = "no"
		}
		var status string
		note := conformanceNotes[r.name]
		_, has := reg.Lookup(r.name)
		switch {
		case !has:
			status, note = "missing", miss[r.name]
			tt.missing++
		case compared[r.name] != "":
			status = compared[r.name]
			tt.impl++
			tt.verified++
		case sd != "no":
			status = "implemented, not compared"
			if note == "" && r.filterOnly {
				note = "not compared: filters only, sysdig 0.29.3 cannot print it; unit tests"
			}
			tt.impl++
			tt.notCompared++
		default:
			status = "implemented"
			if note == "" {
				note = "not in sysdig 0.29.3; unit tests on its meaning in " + strings.TrimPrefix(r.source, "libsinsp ") + " (" + group + ")"
			}
			tt.impl++
			tt.kestrelOnly++
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s | %s | %s |", r.name, r.typ, r.source, sd, status, note))
	}
	var b strings.Builder
	b.WriteString("# Field conformance\n\n")
	b.WriteString("The fields of the syscall event source of Falco 0.44 (libsinsp 0.25.4 and the container\n")
	b.WriteString("plugin 0.7.1; their field tables are in this directory) and what Kestrel has of each.\n")
	b.WriteString("\"verified\": the same value as sysdig 0.29.3 on every event of the differential's captures\n")
	b.WriteString("(internal/app/fields_test.go), but for the documented differences; \"verified (fd scenario)\":\n")
	b.WriteString("the same as sysdig on the fd scenarios of field/fd_test.go and fd_infer_test.go.\n")
	b.WriteString("Generated by TestConformance: go test ./field/ -run TestConformance -update\n\n")
	b.WriteString("| Fields of | Total | Implemented | Verified against sysdig 0.29.3 | In sysdig, not comparable | Not in sysdig 0.29.3 | Missing |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	groups := make([]string, 0, len(tot))
	for g := range tot {
		groups = append(groups, g)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(groups)))
	for _, g := range groups {
		tt := tot[g]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d |\n", g, tt.all, tt.impl, tt.verified, tt.notCompared, tt.kestrelOnly, tt.missing)
	}
	b.WriteString("\n| Field | Type | Defined in | sysdig 0.29.3 | Kestrel | Notes |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return []byte(b.String())
}
