package prefilter

import (
	"slices"
	"sort"
	"strings"

	"github.com/kestrel-sec/kestrel/driver"
)

// Normalize returns p in canonical form (see [NormalizeOpen]), so that
// two filters that send the same opens compare [Equal] when their
// parts are written differently.
func Normalize(p driver.Prefilter) driver.Prefilter {
	if p.Open != nil {
		p.Open = NormalizeOpen(p.Open)
	}
	return p
}

// NormalizeOpen returns a copy of f with its path sets sorted and
// deduplicated, prefixes covered by shorter ones dropped, and the write
// set stripped of what the any set holds (or emptied under WriteAll). A
// nil filter stays nil.
func NormalizeOpen(f *driver.OpenFilter) *driver.OpenFilter {
	if f == nil {
		return nil
	}
	out := &driver.OpenFilter{Failed: f.Failed, WriteAll: f.WriteAll}
	out.Any = normalizeSet(f.Any)
	if !f.WriteAll {
		w := normalizeSet(f.Write)
		out.Write = driver.PathSet{
			Prefixes: withoutCovered(w.Prefixes, out.Any.Prefixes),
			Names:    withoutNames(w.Names, out.Any.Names),
		}
	}
	return out
}

func normalizeSet(s driver.PathSet) driver.PathSet {
	ps := slices.Clone(s.Prefixes)
	sort.Strings(ps)
	var kept []string
	for _, p := range ps {
		if len(kept) > 0 && strings.HasPrefix(p, kept[len(kept)-1]) {
			continue // sorted: a covering prefix sorts just before
		}
		kept = append(kept, p)
	}
	ns := slices.Clone(s.Names)
	sort.Strings(ns)
	return driver.PathSet{Prefixes: kept, Names: slices.Compact(ns)}
}

// withoutCovered drops the prefixes that one of cover starts.
func withoutCovered(ps, cover []string) []string {
	var out []string
	for _, p := range ps {
		if !covered(p, cover) {
			out = append(out, p)
		}
	}
	return out
}

func covered(p string, cover []string) bool {
	for _, c := range cover {
		if strings.HasPrefix(p, c) {
			return true
		}
	}
	return false
}

func withoutNames(ns, cover []string) []string {
	var out []string
	for _, n := range ns {
		if !slices.Contains(cover, n) {
			out = append(out, n)
		}
	}
	return out
}

// Equal reports whether two pre-filters are the same once normalised.
func Equal(a, b driver.Prefilter) bool {
	a, b = Normalize(a), Normalize(b)
	if (a.Open == nil) != (b.Open == nil) {
		return false
	}
	if a.Open == nil {
		return true
	}
	x, y := a.Open, b.Open
	return x.Failed == y.Failed && x.WriteAll == y.WriteAll &&
		setEqual(x.Any, y.Any) && setEqual(x.Write, y.Write)
}

func setEqual(a, b driver.PathSet) bool {
	return slices.Equal(a.Prefixes, b.Prefixes) && slices.Equal(a.Names, b.Names)
}
