package app

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The filter differential: for every filter of filter/corpus/filters.txt
// that sysdig 0.29.3 accepts, Kestrel selects the same events of every
// shared capture and the example capture. Golden selections are recorded
// by scripts/record-filters.sh; TestFiltersAgainstSysdig runs sysdig.

// filterDiffs are the deliberate differences from sysdig 0.29.3, by
// filter, with the reason. Every other difference fails the test.
var filterDiffs = map[string]string{
	"not not proc.name = cat": "sysdig 0.29.3's parser reads a doubled \"not\" as a single one; " +
		"Kestrel, like current Falco, negates twice",
}

// corpusFilters returns the filters sysdig 0.29.3 accepts.
func corpusFilters(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "filter", "corpus", "filters.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if verdict, filter, ok := strings.Cut(sc.Text(), "\t"); ok && verdict == "accept" {
			out = append(out, filter)
		}
	}
	if len(out) < 200 {
		t.Fatalf("the corpus has %d accepted filters; the differential wants at least 200", len(out))
	}
	return out
}

// goldenSelections reads a capture's recorded selections: filter -> event numbers.
func goldenSelections(t *testing.T, name string) map[string]string {
	t.Helper()
	b := readGz(t, filepath.Join(testenv.RepoRoot(), "testdata", "golden", "filters", name+".txt.gz"))
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		filter, nums, _ := strings.Cut(l, "\t")
		out[filter] = nums
	}
	return out
}

// kestrelSelection returns the numbers of the events Kestrel's filter selects.
func kestrelSelection(path, filter string) (string, error) {
	var out, errb bytes.Buffer
	o := ReadOptions{Path: path, Filter: filter, Format: "%evt.num"}
	if err := Read(context.Background(), o, &out, &errb); err != nil {
		return "", err
	}
	return strings.Join(strings.Fields(out.String()), " "), nil
}

// compareSelections reports the filters whose selections differ.
func compareSelections(t *testing.T, what string, filters []string, got, want func(string) string) {
	t.Helper()
	bad := 0
	for _, f := range filters {
		g, w := got(f), want(f)
		if g == w {
			continue
		}
		if reason, ok := filterDiffs[f]; ok {
			t.Logf("%s: filter %q differs, as documented: %s", what, f, reason)
			continue
		}
		if bad++; bad <= 10 {
			t.Errorf("%s: filter %q:\n kestrel: %s\n  sysdig: %s", what, f, clip(g), clip(w))
		}
	}
	if bad > 10 {
		t.Errorf("%s: %d of %d filters select different events", what, bad, len(filters))
	}
}

func kestrelSelections(t *testing.T, path string, filters []string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(filters))
	for _, f := range filters {
		sel, err := kestrelSelection(path, f)
		if err != nil {
			sel = "error: " + err.Error()
		}
		out[f] = sel
	}
	return out
}

func TestFiltersGolden(t *testing.T) {
	filters := corpusFilters(t)
	for _, path := range fieldCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := goldenSelections(t, goldenName(path))
			got := kestrelSelections(t, path, filters)
			compareSelections(t, filepath.Base(path), filters,
				func(f string) string { return got[f] },
				func(f string) string {
					w, ok := want[f]
					if !ok {
						return "(not recorded: run scripts/record-filters.sh)"
					}
					return w
				})
		})
	}
}

// TestFiltersAgainstSysdig runs sysdig with every corpus filter: the
// recorded selections must still be sysdig's, and Kestrel's must equal them.
func TestFiltersAgainstSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	filters := corpusFilters(t)
	for _, path := range fieldCaptures(t) {
		name := goldenName(path)
		if name != strings.TrimSuffix(filepath.Base(path), ".scap") {
			continue // sysdig cannot open it
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := sysdigSelections(t, sysdig, path, filters)
			golden := goldenSelections(t, name)
			compareSelections(t, "golden vs sysdig", filters,
				func(f string) string { return golden[f] }, func(f string) string { return want[f] })
			got := kestrelSelections(t, path, filters)
			compareSelections(t, filepath.Base(path), filters,
				func(f string) string { return got[f] }, func(f string) string { return want[f] })
		})
	}
}

// sysdigSelections runs sysdig once per filter, two at a time.
func sysdigSelections(t *testing.T, sysdig, path string, filters []string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(filters))
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				cmd := exec.Command(sysdig, "-r", path, "-p", "%evt.num", f)
				cmd.Env = append(os.Environ(), "TZ=UTC")
				b, err := cmd.Output()
				sel := strings.Join(strings.Fields(string(b)), " ")
				if err != nil {
					sel = "error: " + err.Error()
				}
				mu.Lock()
				out[f] = sel
				mu.Unlock()
			}
		}()
	}
	for _, f := range filters {
		work <- f
	}
	close(work)
	wg.Wait()
	return out
}

// filteredCaptureCases are filters whose -w output TestFilteredCapture checks.
var filteredCaptureCases = []string{
	"evt.type = read and proc.name = curl",
	"evt.type in (connect, sendto, recvfrom) or evt.type = close",
	"evt.dir = < and evt.type = open",
}

// dropNumbers removes the event number that starts each line: a filtered
// capture numbers its events afresh.
func dropNumbers(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		_, rest, _ := strings.Cut(l, " ")
		out[i] = rest
	}
	return out
}

// TestFilteredCapture writes filtered captures with -w and reads them
// back: they show the matching events, with the process and file names
// that the events they left out (kept as state-only events) established.
// With sysdig installed, sysdig must read them the same way.
func TestFilteredCapture(t *testing.T) {
	t.Setenv("TZ", "UTC")
	var sysdig string
	if _, err := exec.LookPath("sysdig"); err == nil || testenv.InCI() {
		sysdig = testenv.Tool(t, "sysdig")
	}
	src := filepath.Join(testenv.SharedDir(t), "testdata", "scap", "curl_google.scap")
	for i, f := range filteredCaptureCases {
		out := filepath.Join(t.TempDir(), "filtered.scap")
		var errb bytes.Buffer
		if err := Read(context.Background(), ReadOptions{Path: src, Filter: f, Write: out}, io.Discard, &errb); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := dropNumbers(kestrelLines(t, src, ReadOptions{Filter: f}))
		if len(want) == 0 {
			t.Fatalf("case %d: %q selects nothing", i, f)
		}
		compareLines(t, f+" (kestrel reads the filtered capture)", dropNumbers(kestrelLines(t, out, ReadOptions{})), want)
		if sysdig != "" {
			compareLines(t, f+" (sysdig reads the filtered capture)", dropNumbers(runSysdig(t, sysdig, "-r", out)), want)
		}
	}
}
