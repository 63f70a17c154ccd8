package engine

import (
	"strings"

	"github.com/kestrel-sec/kestrel/rules"
)

// exceptionSpan is where one exception's clause is in a rule's full
// condition text.
type exceptionSpan struct {
	start, end int
	ex         *rules.Exception
}

// fullCondition returns the condition Falco compiles for a rule: with
// exceptions, "(condition)" followed by " and not CLAUSE" for each
// exception that has values; the spans say where each clause is.
func fullCondition(r *rules.Rule) (string, []exceptionSpan) {
	if len(r.Exceptions) == 0 {
		return r.Condition.Value, nil
	}
	var b strings.Builder
	b.WriteString("(" + r.Condition.Value + ")")
	var spans []exceptionSpan
	for i := range r.Exceptions {
		ex := &r.Exceptions[i]
		clause := exceptionClause(ex)
		if clause == "" {
			continue
		}
		b.WriteString(" and not ")
		start := b.Len()
		b.WriteString(clause)
		spans = append(spans, exceptionSpan{start: start, end: b.Len(), ex: ex})
	}
	return b.String(), spans
}

// exceptionClause builds the condition an exception stands for, as Falco
// writes it: "(field comp (v1, v2))" for the single-field form, and
// "(( f1 c1 v1 and f2 c2 v2) or ( ...))" for the tuple form, with a
// value quoted when it holds a blank. An exception with no values adds
// nothing.
func exceptionClause(ex *rules.Exception) string {
	if len(ex.Values) == 0 {
		return ""
	}
	var b strings.Builder
	if ex.Single {
		b.WriteString("(" + ex.Fields[0] + " " + ex.Comps[0] + " (")
		for i, v := range ex.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteItem(v.Items[0].Value))
		}
		b.WriteString("))")
		return b.String()
	}
	b.WriteString("(")
	for i, v := range ex.Values {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString("(")
		for k, f := range ex.Fields {
			if k > 0 {
				b.WriteString(" and ")
			}
			b.WriteString(" " + f + " " + ex.Comps[k] + " " + tupleItem(v.Items[k], ex.Comps[k]))
		}
		b.WriteString(")")
	}
	b.WriteString(")")
	return b.String()
}

// tupleItem writes one item of a tuple value: a list as "(a, b)", a
// scalar compared with a list operator or an operator with a modifier
// ("startswith oneof") in parentheses (so that it may name a list), any
// other scalar quoted when it holds a blank.
func tupleItem(it rules.ExceptionItem, comp string) string {
	if it.IsList {
		parts := make([]string, len(it.List))
		for i, v := range it.List {
			parts[i] = quoteItem(v)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	if isListOp(comp) {
		if strings.HasPrefix(it.Value, "(") {
			return it.Value
		}
		return "(" + it.Value + ")"
	}
	return quoteItem(it.Value)
}

// isListOp reports whether Falco gives op a parenthesised list: in,
// intersects, pmatch, and an operator taking one value followed by one
// blank and a modifier, as libsinsp's str_to_cmpop_with_modifier reads
// it ("startswith oneof", "= allof"; not "startswith  oneof").
func isListOp(op string) bool {
	switch op {
	case "in", "intersects", "pmatch":
		return true
	}
	base, mod, ok := strings.Cut(op, " ")
	if !ok {
		return false
	}
	switch mod {
	case "oneof", "anyof", "allof":
	default:
		return false
	}
	switch base {
	case "=", "==", "!=", "contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith", "glob", "iglob", "regex":
		return true
	}
	return false
}
