package prefilter

import (
	"strings"
	"testing"
)

// TestDefaultRulesFilter checks the filter of the embedded default rules
// (internal/defaultrules tests what it keeps and drops): it filters, no
// rule blocks it, failed opens and writes in general are dropped, and the
// credential files are kept.
func TestDefaultRulesFilter(t *testing.T) {
	p, rep := Derive(defaultEngine(t), Options{})
	if p.Open == nil || len(rep.Blockers) != 0 || p.Open.Failed || p.Open.WriteAll {
		t.Fatalf("default rules: %s\n%s", sig(p), rep)
	}
	got := sig(p)
	for _, want := range []string{"/etc/shadow", "/etc/sudoers", "id_rsa", "/etc/", "/usr/bin/", ".bashrc"} {
		if !strings.Contains(got, want) {
			t.Errorf("the default rules' filter does not keep %s: %s", want, got)
		}
	}
}

// TestUpstreamRulesFilter: with the upstream files nothing can be
// dropped: "Directory traversal monitored file read" may match a failed
// open, and a succeeded one whose name contains id_rsa anywhere.
func TestUpstreamRulesFilter(t *testing.T) {
	for _, name := range []string{"falco_rules", "falco_rules+incubating", "falco_rules+sandbox", "all"} {
		eng, _ := upstreamEngine(t, upstreamSets[name])
		p, rep := Derive(eng, Options{})
		if p.Open != nil || len(rep.Blockers) != 0 || !strings.Contains(rep.Reason, "Directory traversal monitored file read") {
			t.Errorf("%s: %s\n%s", name, sig(p), rep)
		}
	}
}
