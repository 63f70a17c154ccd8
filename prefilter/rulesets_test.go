package prefilter

import (
	"strings"
	"testing"
)

// TestDefaultRulesFilter pins the filter of the embedded default rules:
// writes below /etc, the binary directories and /var/log, shell start-up
// files, and reads of the credential files; no failed open.
func TestDefaultRulesFilter(t *testing.T) {
	p, rep := Derive(defaultEngine(t), Options{})
	want := "write=/bin/,/etc/,/sbin/,/usr/bin/,/usr/local/bin/,/usr/local/sbin/,/usr/sbin/,/var/log/ " +
		"writenames=.bash_login,.bash_profile,.bashrc,.profile,.zshrc"
	any := "any=/etc/gshadow,/etc/security/opasswd,/etc/shadow,/etc/sudoers,/root/.ssh/authorized_keys"
	if got := sig(p); got != any+" "+want {
		t.Fatalf("default rules: %s\n%s", got, rep)
	}
	if len(rep.Rules) != 5 || len(rep.Blockers) != 0 || !strings.Contains(rep.String(), "Write below etc: succeeded opens for writing of (/etc/*)") {
		t.Fatalf("report:\n%s", rep)
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
