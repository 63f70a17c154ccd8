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

// TestUpstreamRulesFilter: falco_rules.yaml filters, alone and with the
// sandbox file: "Directory traversal monitored file read" matches only
// opens whose path argument holds "../", which the kernel always sends,
// so it needs none. With the incubating file, rules that may match any
// open leave nothing to drop.
func TestUpstreamRulesFilter(t *testing.T) {
	for _, name := range []string{"falco_rules", "falco_rules+sandbox"} {
		eng, _ := upstreamEngine(t, upstreamSets[name])
		p, rep := Derive(eng, Options{})
		if p.Open == nil || p.Open.Failed || !p.Open.WriteAll || !strings.Contains(sig(p), "/etc/shadow") {
			t.Errorf("%s: %s\n%s", name, sig(p), rep)
		}
	}
	for _, name := range []string{"falco_rules+incubating", "all"} {
		eng, _ := upstreamEngine(t, upstreamSets[name])
		p, rep := Derive(eng, Options{})
		if p.Open != nil || len(rep.Blockers) != 0 || strings.Contains(rep.Reason, "Directory traversal") || rep.Reason == "" {
			t.Errorf("%s: %s\n%s", name, sig(p), rep)
		}
	}
}

// TestRawNotPlain: checks on fd.nameraw that only paths that are not
// plain pass need no open; others, and negations, keep their opens.
func TestRawNotPlain(t *testing.T) {
	for _, c := range []struct{ cond, want string }{
		{"ok_open and fd.nameraw contains '../'", "dirs"},
		{"evt.type = open and fd.nameraw contains '../' and fd.nameraw glob '*../*../*'", "dirs"},
		{"ok_open and fd.nameraw in ('/a/../b', '//x')", "dirs"},
		{"ok_open and (fd.nameraw contains '../' or fd.name = /a)", "any=/a"},
		{"ok_open and fd.nameraw contains 'id_rsa'", "any=/"},
		{"ok_open and fd.nameraw in ('/a/../b', '/etc/passwd')", "any=/"},
		{"ok_open and not fd.nameraw contains '../'", "any=/"},
	} {
		p, rep := deriveCond(t, c.cond, "")
		if got := sig(p); got != c.want {
			t.Errorf("%s: %s, want %s\n%s", c.cond, got, c.want, rep)
		}
	}
}
