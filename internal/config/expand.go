package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxExpansions bounds the ${VAR} replacements in one value, so that a
// variable whose value names itself is an error rather than a hang.
const maxExpansions = 64

// expandTree expands ${VAR} in every scalar value under n (not in keys),
// as Falco does when it reads a configuration file.
func (l *loader) expandTree(n *yaml.Node, o *origin) {
	switch n.Kind {
	case yaml.ScalarNode:
		v, ok := expandEnv(n.Value, l.getenv)
		if !ok {
			l.add(SeverityError, at{n: n, src: o}, "",
				"expanding "+strconv.Quote(n.Value)+" does not end: an environment variable names itself")
			return
		}
		n.Value = v
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			l.expandTree(n.Content[i], o)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			l.expandTree(c, o)
		}
	}
}

// expandEnv replaces each ${NAME} in s by the value of the environment
// variable NAME, or by nothing when it is unset, and each $${ by a
// literal ${. As in Falco, the replacement text is scanned again, so a
// variable may hold another ${NAME}; an unclosed ${ ends the scan and
// keeps the rest as it is. ok is false when the replacements do not end.
func expandEnv(s string, getenv func(string) string) (_ string, ok bool) {
	n := 0
	i := strings.IndexByte(s, '$')
	for i >= 0 {
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "${"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return s, true
			}
			if n++; n > maxExpansions {
				return s, false
			}
			s = s[:i] + getenv(rest[2:end]) + rest[end+1:]
		case strings.HasPrefix(rest, "$${"):
			if !strings.Contains(rest, "}") {
				return s, true
			}
			s = s[:i] + rest[1:]
			i++
		default:
			i++
		}
		i = nextDollar(s, i)
	}
	return s, true
}

// nextDollar returns the index of the first '$' of s at or after from,
// or -1.
func nextDollar(s string, from int) int {
	if from >= len(s) {
		return -1
	}
	j := strings.IndexByte(s[from:], '$')
	if j < 0 {
		return -1
	}
	return from + j
}
