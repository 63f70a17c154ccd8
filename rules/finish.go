package rules

import (
	"slices"
	"strings"
)

// Finish resolves lists inside lists, records which macros and lists each
// item mentions, warns about lists and macros nothing mentions, and
// returns the spec and every diagnostic. The loader must not be used
// afterwards.
func (l *Loader) Finish() (*Spec, Diagnostics) {
	if l.done {
		return l.spec, l.diags
	}
	l.done = true
	s := l.spec
	usedList := map[string]bool{}
	usedMacro := map[string]bool{}

	// Lists inside lists: an item naming a list defined before this list
	// was last changed is replaced by that list's items as written (one
	// level, as Falco expands them).
	for _, li := range s.Lists {
		l.expandList(li, usedList)
	}
	// Macros see macros defined before them were last changed; lists have
	// no such order in conditions.
	for _, m := range s.Macros {
		m.UsesMacros, m.UsesLists = nil, nil
		for _, tok := range Tokens(m.Condition.Value) {
			if ref := s.macros[tok]; ref != nil && ref.Index < m.Visibility && ref != m {
				m.UsesMacros = addTag(m.UsesMacros, tok)
				usedMacro[tok] = true
			}
			if s.lists[tok] != nil {
				m.UsesLists = addTag(m.UsesLists, tok)
				usedList[tok] = true
			}
		}
	}
	for _, r := range s.Rules {
		r.UsesMacros, r.UsesLists = nil, nil
		toks := Tokens(r.Condition.Value)
		for _, ex := range r.Exceptions {
			for _, v := range ex.Values {
				for _, it := range v.Items {
					toks = append(toks, it.Value)
					toks = append(toks, it.List...)
				}
			}
		}
		for _, tok := range toks {
			if s.macros[tok] != nil {
				r.UsesMacros = addTag(r.UsesMacros, tok)
				usedMacro[tok] = true
			}
			if s.lists[tok] != nil {
				r.UsesLists = addTag(r.UsesLists, tok)
				usedList[tok] = true
			}
		}
	}
	for _, m := range s.Macros {
		if !usedMacro[m.Name] {
			l.warnAt(m.Pos, "macro "+quote(m.Name), "macro not referred to by any rule or other macro")
		}
	}
	for _, li := range s.Lists {
		if !usedList[li.Name] {
			l.warnAt(li.Pos, "list "+quote(li.Name), "list not referred to by any rule, macro or other list")
		}
	}
	return s, l.diags
}

// expandList sets li.Expanded: an item naming a list defined before li
// was last changed is replaced by that list's items as written (one
// level, as Falco expands them). A list that ends up naming itself keeps
// its name as a value, as in Falco; Kestrel warns.
func (l *Loader) expandList(li *List, usedList map[string]bool) {
	li.UsesLists = nil
	if !l.refersToList(li) {
		li.Expanded = l.valueTexts(li.Items)
		return
	}
	li.Expanded = []string{}
	warned := false
	self := func(v Value, chain string) {
		if !warned {
			warned = true
			l.warnAt(v.Pos, "list "+quote(li.Name), "list refers to itself ("+chain+"); the name stays a plain value, as in Falco")
		}
	}
	for _, v := range li.Items {
		ref := l.spec.lists[v.Value]
		if ref == nil || ref.Index >= li.Visibility {
			if ref == li {
				self(v, li.Name+" -> "+li.Name)
			}
			li.Expanded = append(li.Expanded, v.Value)
			continue
		}
		usedList[ref.Name] = true
		li.UsesLists = addTag(li.UsesLists, ref.Name)
		for _, x := range ref.Items {
			if x.Value == li.Name {
				chain := li.Name + " -> " + ref.Name + " -> " + li.Name
				if ref == li {
					chain = li.Name + " -> " + li.Name
				}
				self(v, chain)
			}
			li.Expanded = append(li.Expanded, x.Value)
		}
	}
}

// refersToList reports whether an item of li names a list, looking once
// at items that lists share.
func (l *Loader) refersToList(li *List) bool {
	if len(li.Items) == 0 {
		return false
	}
	key := itemsKey{&li.Items[0], len(li.Items)}
	if r, ok := l.refs[key]; ok {
		return r
	}
	r := false
	for _, v := range li.Items {
		if l.spec.lists[v.Value] != nil {
			r = true
			break
		}
	}
	l.refs[key] = r
	return r
}

// itemsKey identifies a slice of values.
type itemsKey struct {
	first *Value
	n     int
}

// valueTexts returns the texts of the values, shared by lists whose items
// are the same values (an anchored sequence and its aliases).
func (l *Loader) valueTexts(vs []Value) []string {
	if len(vs) == 0 {
		return []string{}
	}
	key := &vs[0]
	if out, ok := l.texts[key]; ok && len(out) == len(vs) {
		return out
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Value
	}
	out = slices.Clip(out)
	l.texts[key] = out
	return out
}

func (l *Loader) warnAt(p Pos, item, msg string) {
	src := ""
	if f := l.files[p.File]; f != nil {
		src = f.line(p.Line)
	}
	l.diags = append(l.diags, Diagnostic{Severity: SeverityWarning, Pos: p, Item: item, Message: msg, Source: src})
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// Tokens splits a condition into the bare words that can name a macro or a
// list: runs of characters other than blanks, parentheses, commas, '=' and
// quotes. Quoted strings are skipped.
func Tokens(cond string) []string {
	var out []string
	start := -1
	flush := func(i int) {
		if start >= 0 {
			out = append(out, cond[start:i])
			start = -1
		}
	}
	for i := 0; i < len(cond); i++ {
		c := cond[i]
		switch c {
		case ' ', '\t', '\n', '\r', '(', ')', ',', '=':
			flush(i)
		case '"', '\'':
			flush(i)
			for i++; i < len(cond) && cond[i] != c; i++ {
				if cond[i] == '\\' {
					i++
				}
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(cond))
	return out
}
