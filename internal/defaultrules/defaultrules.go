// Package defaultrules holds the rules Kestrel runs when it is given no
// rules file: a small set written for Kestrel in Falco's rules format.
package defaultrules

import _ "embed"

// Name is the name the embedded file is reported under.
const Name = "kestrel_rules.yaml"

//go:embed kestrel_rules.yaml
var yaml []byte

// YAML returns a copy of the embedded rules file.
func YAML() []byte { return append([]byte(nil), yaml...) }
