package field

import "sort"

// MissingField is a field of current Falco's syscall event source that
// Kestrel does not have, with the reason.
type MissingField struct {
	Name   string
	Reason string
}

// missing lists the fields of libsinsp 0.25 and of the container plugin
// 0.7 (the syscall source of Falco 0.44) that Kestrel lacks. The field
// conformance test (conformance_test.go) checks it against their field
// tables, kept in testdata/.
var missing = []MissingField{
	{"util.cnt", "a counter of its own extractions, kept by each use of the field in a format or filter " +
		"(a table helper of sysdig's chisels); Kestrel's extractors keep no state per use"},
}

// Missing returns the fields of current Falco's syscall source (libsinsp
// 0.25 and the container plugin) that Kestrel lacks, with the reason,
// sorted by name: what 'kestrel fields --missing' prints.
func Missing() []MissingField {
	out := append([]MissingField(nil), missing...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
