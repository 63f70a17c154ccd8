package rules

import "strings"

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
		li.Expanded = []string{}
		li.UsesLists = nil
		for _, v := range li.Items {
			ref := s.lists[v.Value]
			if ref == nil || ref.Index >= li.Visibility {
				li.Expanded = append(li.Expanded, v.Value)
				continue
			}
			usedList[ref.Name] = true
			li.UsesLists = addTag(li.UsesLists, ref.Name)
			for _, x := range ref.Items {
				li.Expanded = append(li.Expanded, x.Value)
			}
		}
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
