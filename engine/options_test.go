package engine

import "testing"

// TestNameMatches checks -D patterns: * and ? match whole names, any
// other pattern a part of the name.
func TestNameMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"below", "Write below etc", true},
		{"Below", "Write below etc", false},
		{"Write*", "Write below etc", true},
		{"*etc", "Write below etc", true},
		{"*below", "Write below etc", false},
		{"Write?below*", "Write below etc", true},
		{"W?ite", "Write below etc", false},
		{"*", "", true},
		{"", "anything", true},
		{"é?", "éa", true},
	} {
		if got := NameMatches(c.pattern, c.name); got != c.want {
			t.Errorf("NameMatches(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}
