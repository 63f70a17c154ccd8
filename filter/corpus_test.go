package filter

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// corpusLine is one filter of corpus/filters.txt and whether sysdig
// 0.29.3 accepts it.
type corpusLine struct {
	line   int
	accept bool
	filter string
}

// readCorpus reads corpus/filters.txt: "accept<TAB>filter" or
// "reject<TAB>filter" per line; blank lines and lines starting with "#"
// are skipped.
func readCorpus(t *testing.T) []corpusLine {
	t.Helper()
	f, err := os.Open("corpus/filters.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		verdict, filter, ok := strings.Cut(text, "\t")
		if !ok || (verdict != "accept" && verdict != "reject") {
			t.Fatalf("corpus/filters.txt:%d: want accept or reject, a tab and a filter", n)
		}
		out = append(out, corpusLine{n, verdict == "accept", filter})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusParses checks that every filter of the corpus parses, whether
// or not sysdig 0.29.3 accepts it.
func TestCorpusParses(t *testing.T) {
	t.Parallel()
	lines := readCorpus(t)
	accepted := 0
	for _, l := range lines {
		if l.accept {
			accepted++
		}
		if _, err := Parse(l.filter); err != nil {
			t.Errorf("corpus/filters.txt:%d: %q:\n%s", l.line, l.filter, err.(Errors).String())
		}
	}
	if len(lines) < 200 || accepted < 150 {
		t.Errorf("corpus has %d filters, %d accepted by sysdig; want at least 200 and 150", len(lines), accepted)
	}
}
