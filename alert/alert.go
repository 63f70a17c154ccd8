// Package alert is the alert value Kestrel emits when an event matches a
// rule, with its text form and its JSON form, which are Falco's: tools
// built for Falco alerts (falcosidekick and the like) take them unchanged.
package alert

import (
	"encoding/json"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/kestrel-sec/kestrel/rules"
)

// Alert is one rule match.
type Alert struct {
	Time     time.Time // the event's time
	Rule     string
	Priority rules.Priority
	Source   string // event source, "syscall" for system calls
	Hostname string
	// Output is the rule's output filled in for the event, starting with
	// the event time and the priority as Falco prints it:
	// "12:34:56.123456789: Warning Shell spawned (user=root ...)".
	Output string
	Tags   []string
	// OutputFields is a JSON object holding each field the output names,
	// typed as Falco types them: numbers as JSON numbers, missing values
	// as null, other values as strings.
	OutputFields json.RawMessage
}

// AppendText appends the alert as Falco prints it without JSON output: the
// output line.
func (a *Alert) AppendText(dst []byte) []byte { return append(dst, a.Output...) }

// JSONOptions select the optional keys of the JSON form, as Falco's
// json_include_output_property and json_include_tags_property do.
type JSONOptions struct {
	OmitOutput bool
	OmitTags   bool
}

// AppendJSON appends the alert as one JSON object with Falco's keys, in
// Falco's (sorted) order: hostname, output, output_fields, priority, rule,
// source, tags, time. Tags are sorted; time is RFC 3339 in UTC with
// nanoseconds.
func (a *Alert) AppendJSON(dst []byte, o JSONOptions) []byte {
	dst = append(dst, `{"hostname":`...)
	dst = appendString(dst, a.Hostname)
	if !o.OmitOutput {
		dst = append(dst, `,"output":`...)
		dst = appendString(dst, a.Output)
	}
	dst = append(dst, `,"output_fields":`...)
	if len(a.OutputFields) == 0 {
		dst = append(dst, "{}"...)
	} else {
		dst = append(dst, a.OutputFields...)
	}
	dst = append(dst, `,"priority":`...)
	dst = appendString(dst, a.Priority.String())
	dst = append(dst, `,"rule":`...)
	dst = appendString(dst, a.Rule)
	dst = append(dst, `,"source":`...)
	dst = appendString(dst, a.Source)
	if !o.OmitTags {
		dst = append(dst, `,"tags":[`...)
		for i, t := range sortedTags(a.Tags) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, t)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"time":"`...)
	dst = AppendTime(dst, a.Time)
	return append(dst, `"}`...)
}

// MarshalJSON returns the JSON form with every key.
func (a *Alert) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil, JSONOptions{}), nil }

// AppendTime appends t in UTC as Falco writes alert times:
// 2006-01-02T15:04:05.000000000Z, always nine digits of nanoseconds.
func AppendTime(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
}

func sortedTags(tags []string) []string {
	if sort.StringsAreSorted(tags) {
		return tags
	}
	out := append([]string(nil), tags...)
	sort.Strings(out)
	return out
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like Falco's JSON writer it
// leaves <, > and & as they are; bytes that are not UTF-8 become U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}
