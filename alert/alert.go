// Package alert is the alert value Kestrel emits when an event matches a
// rule, with its text form and its JSON form, which are Falco's: tools
// built for Falco alerts (falcosidekick and the like) take them unchanged.
package alert

import (
	"encoding/json"
	"sort"
	"strings"
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
// configuration keys do. The zero value is Falco's default form: output,
// output_fields and tags, no message, no static fields.
type JSONOptions struct {
	// OmitOutput leaves out "output" (json_include_output_property: false).
	OmitOutput bool
	// OmitTags leaves out "tags" (json_include_tags_property: false).
	OmitTags bool
	// Message adds "message", the output without its time and priority
	// prefix (json_include_message_property: true). See [Alert.Message].
	Message bool
	// OmitOutputFields leaves out "output_fields"
	// (json_include_output_fields_property: false). falcosidekick refuses
	// an alert without output fields.
	OmitOutputFields bool
	// StaticFields are falco.yaml's static_fields: each name: value is
	// added to output_fields as "static.<name>": "<value>", as Falco does
	// with append_output's suggested_output on (its default). A field the
	// alert already has keeps its value. The output text is the engine's
	// and is not changed here.
	StaticFields map[string]string
}

// AppendJSON appends the alert as one JSON object with Falco's keys, in
// Falco's (sorted) order: hostname, message, output, output_fields,
// priority, rule, source, tags, time. Tags are sorted; time is RFC 3339 in
// UTC with nanoseconds. With static fields, output_fields is rewritten
// with its keys sorted, as Falco writes it.
func (a *Alert) AppendJSON(dst []byte, o JSONOptions) []byte {
	dst = append(dst, `{"hostname":`...)
	dst = appendString(dst, a.Hostname)
	if o.Message {
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, a.Message())
	}
	if !o.OmitOutput {
		dst = append(dst, `,"output":`...)
		dst = appendString(dst, a.Output)
	}
	if !o.OmitOutputFields {
		dst = append(dst, `,"output_fields":`...)
		dst = appendOutputFields(dst, a.OutputFields, o.StaticFields)
	}
	dst = append(dst, `,"priority":`...)
	dst = appendString(dst, a.Priority.String())
	dst = append(dst, `,"rule":`...)
	dst = appendString(dst, a.Rule)
	dst = append(dst, `,"source":`...)
	dst = appendString(dst, a.Source)
	if !o.OmitTags {
		dst = appendTags(dst, a.Tags)
	}
	dst = append(dst, `,"time":"`...)
	dst = AppendTime(dst, a.Time)
	return append(dst, `"}`...)
}

func appendTags(dst []byte, tags []string) []byte {
	dst = append(dst, `,"tags":[`...)
	for i, t := range sortedTags(tags) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, t)
	}
	return append(dst, ']')
}

// Message returns the output without the prefix Falco puts before a
// rule's output, "<time>: <Priority> ": what Falco's "message" key holds.
// An output without that prefix is returned whole.
func (a *Alert) Message() string {
	i := strings.Index(a.Output, ": ")
	if i < 0 {
		return a.Output
	}
	rest := a.Output[i+2:]
	prio := a.Priority.String()
	if !strings.HasPrefix(rest, prio) {
		return a.Output
	}
	rest = rest[len(prio):]
	if rest == "" {
		return ""
	}
	if rest[0] != ' ' {
		return a.Output
	}
	return rest[1:]
}

// StaticFieldPrefix starts the name a static field has among the output
// fields: static_fields' foo is "static.foo".
const StaticFieldPrefix = "static."

// appendOutputFields appends the alert's output fields, with the static
// fields merged in when there are any.
func appendOutputFields(dst []byte, fields json.RawMessage, static map[string]string) []byte {
	if len(static) == 0 {
		if len(fields) == 0 {
			return append(dst, "{}"...)
		}
		return append(dst, fields...)
	}
	m := map[string]json.RawMessage{}
	if len(fields) > 0 {
		if err := json.Unmarshal(fields, &m); err != nil {
			return append(dst, fields...) // not an object: left as it is
		}
	}
	for name, v := range static {
		k := StaticFieldPrefix + name
		if _, ok := m[k]; !ok {
			m[k] = appendString(nil, v)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = append(dst, m[k]...)
	}
	return append(dst, '}')
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
