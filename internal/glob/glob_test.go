package glob

import "testing"

// TestMatch checks the patterns fnmatch(3) without flags accepts: '*'
// crosses '/', an unclosed '[' is literal, a backslash escapes.
func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"/proc*", "/proc", true}, {"/proc*", "/proc/sys/kernel", true}, {"/proc*", "/pro", false},
		{"/etc", "/etc", true}, {"/etc", "/etc/x", false}, {"*", "", true}, {"?", "", false},
		{"/a?c", "/abc", true}, {"/[!a]bc", "/xbc", true}, {"/[!a]bc", "/abc", false},
		{"/[a-c]x", "/bx", true}, {"/[a-c]x", "/dx", false}, {`/\*`, "/*", true}, {`/\*`, "/a", false},
		{"/[ab", "/[ab", true}, {"*/kubelet*", "/var/lib/kubelet/pki", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
	} {
		if got := Match(tc.p, tc.s, false); got != tc.ok {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.ok)
		}
		if got := Match(tc.p, []byte(tc.s), false); got != tc.ok {
			t.Errorf("Match(%q, []byte(%q)) = %v, want %v", tc.p, tc.s, got, tc.ok)
		}
	}
}

func TestMatchFold(t *testing.T) {
	if !Match("*.SH", "run.sh", true) || Match("*.SH", "run.sh", false) || !Match("[A-C]x", "bX", true) {
		t.Error("case folding")
	}
}
