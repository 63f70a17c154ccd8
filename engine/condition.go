package engine

import (
	"github.com/kestrel-sec/kestrel/filter"
)

// condition is the text of a rule's or macro's condition prepared as
// Falco compiles it: lists substituted, then parsed.
type condition struct {
	sub  *subst
	expr filter.Expr   // nil when the text does not parse
	errs filter.Errors // parse errors, at offsets of sub.text
}

// prepare substitutes the lists into src and parses the result.
func (ls *lists) prepare(src string) *condition {
	c := &condition{sub: ls.substitute(src)}
	x, err := filter.Parse(c.sub.text)
	if err != nil {
		c.errs = asErrors(err)
		return c
	}
	ls.mark(x, c.sub)
	c.expr = x
	return c
}

// mark fixes which names the compiler takes for lists: those left in
// place in a list of values. Any other list name in a list of values, or
// after in, came from pasted items and is a plain value, as in Falco,
// where a list's items are substituted once.
func (ls *lists) mark(x filter.Expr, s *subst) {
	filter.Inspect(x, func(n filter.Node) bool {
		c, ok := n.(*filter.Check)
		if !ok {
			return true
		}
		switch r := c.Right.(type) {
		case *filter.List:
			for _, v := range r.Items {
				if !v.Quoted && ls.byName[v.Text] != nil && !s.kept(v.Loc.Start.Offset) {
					v.Quoted = true
				}
			}
		case *filter.ListRef:
			if ls.byName[r.Name] != nil && !s.kept(r.Loc.Start.Offset) {
				c.Right = &filter.List{Loc: r.Loc, Items: []*filter.Value{{Loc: r.Loc, Text: r.Name, Quoted: true}}}
			}
		}
		return true
	})
}

// locate maps an offset of the prepared text to the original, and adds
// to msg the list whose pasted items hold the problem.
func (c *condition) locate(off int, msg string) (int, string) {
	orig, list := c.sub.origin(off)
	if list != "" {
		msg = "in the items of list " + quote(list) + ", pasted here as text: " + msg
	}
	return orig, msg
}
