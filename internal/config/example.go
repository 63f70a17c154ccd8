package config

import (
	"bytes"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// exampleHeader opens the example configuration file.
const exampleHeader = `Kestrel configuration: every key, with its default value.

The keys are those of Falco's falco.yaml where the meaning is the same, so
a Falco configuration file loads too; the Falco keys that do not apply to
Kestrel are accepted with a warning each. A value may name an environment
variable as ${VAR} (an unset one is empty; $${ writes a literal ${), and
any key may be set on the command line with -o key.path=value, e.g.
-o http_output.url=http://localhost:2801 or -o rules_files[]=/etc/my.yaml.

This file is written from the code of internal/config, whose tests check
that they agree; rewrite it with
KESTREL_UPDATE_EXAMPLE=1 go test ./internal/config/`

// commentWidth is the width comments are wrapped to, indentation included.
const commentWidth = 80

// Example returns a configuration file that sets every key to its default
// value, each with a comment saying what it does.
func Example() []byte {
	e := &encoder{comment: exampleComment}
	root := e.node(reflect.ValueOf(Default()).Elem(), "", false)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}, HeadComment: comment(exampleHeader, 0)}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		panic("config: example does not encode: " + err.Error())
	}
	return spaceSections(b.Bytes())
}

// exampleComment returns the comment of the key at path.
func exampleComment(path string) string {
	indent := 2 * strings.Count(path, ".")
	return comment(descriptions[metaPath(path)], indent)
}

// comment turns text into "# " lines that fit in commentWidth at the
// given indentation; blank lines of text stay blank comment lines.
func comment(text string, indent int) string {
	var lines []string
	for _, para := range strings.Split(text, "\n\n") {
		if len(lines) > 0 {
			lines = append(lines, "#")
		}
		lines = append(lines, wrap(strings.Fields(para), commentWidth-indent-2)...)
	}
	return strings.Join(lines, "\n")
}

// wrap fills words into "# " lines of at most width characters after
// the "# ".
func wrap(words []string, width int) []string {
	var lines []string
	line := ""
	for _, w := range words {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, "# "+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, "# "+line)
}

// spaceSections puts a blank line before each top-level key's comment.
func spaceSections(src []byte) []byte {
	lines := strings.Split(string(src), "\n")
	var out []string
	for i, line := range lines {
		if i > 0 && strings.HasPrefix(line, "# ") && !strings.HasPrefix(lines[i-1], "#") && lines[i-1] != "" {
			out = append(out, "")
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}
