package engine

import (
	"encoding/json"
	"slices"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/rules"
)

// AppendOutput is one entry of Falco's append_output: text added to the
// output of the rules it matches, and fields added to their output fields
// only. A zero Match matches every rule.
type AppendOutput struct {
	Source string   // the rule's source, "" for any
	Tags   []string // tags the rule must all have
	Rule   string   // the rule's whole name, "" for any
	// ExtraOutput is appended to the output text, after a space; it may
	// name fields (%proc.pid).
	ExtraOutput string
	ExtraFields []ExtraField
}

// ExtraField is a field added to the output fields: a field of the rules
// language by its name (Format empty), or a name whose value is Format
// filled in.
type ExtraField struct {
	Name   string
	Format string
}

func (a *AppendOutput) matches(r *rules.Rule) bool {
	if a.Source != "" && a.Source != r.Source {
		return false
	}
	if a.Rule != "" && a.Rule != r.Name {
		return false
	}
	for _, t := range a.Tags {
		if !slices.Contains(r.Tags, t) {
			return false
		}
	}
	return true
}

// extraText returns the text the entries that match r append to its
// output.
func extraText(r *rules.Rule, entries []AppendOutput) string {
	var s string
	for i := range entries {
		if e := &entries[i]; e.ExtraOutput != "" && e.matches(r) {
			s += " " + e.ExtraOutput
		}
	}
	return s
}

// extraFields renders the fields append_output adds to a rule's output
// fields: the named fields of the rules language through a format that
// holds the output's fields and them (so that every key comes once, typed
// and sorted as in the output fields), the others each as text.
type extraFields struct {
	json  *field.Format // the output's fields and the named extra fields
	texts []textField
	buf   []byte
}

type textField struct {
	name string
	f    *field.Format
}

// compileExtraFields compiles the extra fields of the entries that match
// r, output being the rule's output format text; nil when there are none.
func compileExtraFields(r *rules.Rule, entries []AppendOutput, output string, reg *field.Registry) (*extraFields, error) {
	x := &extraFields{}
	names := ""
	for i := range entries {
		e := &entries[i]
		if !e.matches(r) {
			continue
		}
		for _, f := range e.ExtraFields {
			if f.Format == "" {
				names += " %" + f.Name
				continue
			}
			fm, err := reg.CompileFormat("*" + f.Format)
			if err != nil {
				return nil, err
			}
			x.texts = append(x.texts, textField{name: f.Name, f: fm})
		}
	}
	if names == "" && x.texts == nil {
		return nil, nil
	}
	fm, err := reg.CompileFormat(output + names)
	if err != nil {
		return nil, err
	}
	x.json = fm
	return x, nil
}

// appendJSON appends the output fields with the extra ones.
func (x *extraFields) appendJSON(dst []byte, c *field.Context) []byte {
	start := len(dst)
	dst, _ = x.json.AppendJSON(dst, c)
	if len(x.texts) == 0 {
		return dst
	}
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(dst[start:], &obj); err != nil {
		return dst
	}
	for _, t := range x.texts {
		x.buf, _ = t.f.AppendText(x.buf[:0], c)
		v, _ := json.Marshal(string(x.buf))
		obj[t.name] = v
	}
	b, err := json.Marshal(obj) // keys sorted, as Falco writes them
	if err != nil {
		return dst
	}
	return append(dst[:start], b...)
}
