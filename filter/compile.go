package filter

import (
	"sort"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
)

// Options configure [Compile].
type Options struct {
	// Fields resolves field names; [field.Default] when nil.
	Fields *field.Registry
	// Macro returns the condition of the macro called name, for rule
	// conditions; nil for command-line filters, which have no macros.
	Macro func(name string) (Expr, bool)
	// List returns the items of the list called name, for rule
	// conditions: "proc.name in shell_binaries", and list names inside a
	// parenthesised list, are replaced by the list's items.
	List func(name string) ([]string, bool)
	// Cache, when set, shares field values with other programs compiled
	// with it (the rules of one engine); otherwise the program has its own.
	Cache *Cache
}

// Program is a compiled filter. [Program.Match] allocates nothing. A
// Program keeps scratch buffers: one goroutine uses it at a time.
type Program struct {
	src   string
	eval  evalFn
	types typeInfo
}

// evalFn is a compiled condition.
type evalFn func(c *field.Context) bool

// Match reports whether the context's current event satisfies the filter.
func (p *Program) Match(c *field.Context) bool { return p.eval(c) }

// String returns the filter's source text.
func (p *Program) String() string { return p.src }

// EventTypes returns the event types the filter can match, derived from
// its evt.type conditions: an event of another type never matches. The
// set is all types when the filter does not restrict them.
func (p *Program) EventTypes() *TypeSet { return &p.types.set }

// Compile parses, checks and compiles a filter. Errors are [Errors]:
// every problem found, each located with a caret under the offending text.
func Compile(src string, o Options) (*Program, error) {
	x, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return CompileExpr(x, src, o)
}

// CompileExpr checks and compiles a parsed filter; src is the text it was
// parsed from, for error messages.
func CompileExpr(x Expr, src string, o Options) (*Program, error) {
	if o.Fields == nil {
		o.Fields = field.Default()
	}
	if o.Cache == nil {
		o.Cache = NewCache()
	}
	cp := &compiler{opts: o, li: newLineIndex(src)}
	eval, ti := cp.expr(x)
	if len(cp.errs) > 0 {
		sort.SliceStable(cp.errs, func(i, j int) bool { return cp.errs[i].Pos.Offset < cp.errs[j].Pos.Offset })
		return nil, cp.errs
	}
	return &Program{src: src, eval: eval, types: ti}, nil
}

// compiler checks a tree and turns it into closures, gathering errors.
type compiler struct {
	opts Options
	li   lineIndex
	errs Errors
	// macros is the stack of macros being expanded, to report cycles;
	// while it is not empty, errors are reported at the outermost
	// reference, since the macro's own text is elsewhere.
	macros []string
	site   Span
}

// errorAt records an error at sp (or at the macro reference being
// expanded).
func (cp *compiler) errorAt(sp Span, msg string) {
	if len(cp.errs) >= maxErrors {
		return
	}
	if len(cp.macros) > 0 {
		msg = "in macro " + cp.macros[len(cp.macros)-1] + ": " + msg
		sp = cp.site
	}
	cp.errs = append(cp.errs, &Error{Pos: sp.Start, Msg: msg, Source: cp.li.lineText(sp.Start.Line)})
}

func never(*field.Context) bool { return false }

func (cp *compiler) expr(x Expr) (evalFn, typeInfo) {
	switch n := x.(type) {
	case *Binary:
		return cp.binary(n)
	case *Not:
		f, ti := cp.expr(n.X)
		return func(c *field.Context) bool { return !f(c) }, ti.not()
	case *Check:
		return cp.check(n)
	case *MacroRef:
		return cp.macro(n)
	}
	return never, allTypes()
}

// binary compiles a chain of "and" or of "or" into one closure over its
// operands, which costs fewer calls than a closure per operator.
func (cp *compiler) binary(n *Binary) (evalFn, typeInfo) {
	var fs []evalFn
	var ti typeInfo
	for i, x := range operands(n, n.Op, nil) {
		f, t := cp.expr(x)
		switch {
		case i == 0:
			ti = t
		case n.Op == Or:
			ti = ti.or(t)
		default:
			ti = ti.and(t)
		}
		fs = append(fs, f)
	}
	if n.Op == Or {
		return anyOf(fs), ti
	}
	return allOf(fs), ti
}

// operands appends the operands of a chain of op to dst, left to right.
func operands(x Expr, op LogicalOp, dst []Expr) []Expr {
	if b, ok := x.(*Binary); ok && b.Op == op {
		dst = operands(b.X, op, dst)
		return operands(b.Y, op, dst)
	}
	return append(dst, x)
}

func allOf(fs []evalFn) evalFn {
	switch len(fs) {
	case 2:
		a, b := fs[0], fs[1]
		return func(c *field.Context) bool { return a(c) && b(c) }
	case 3:
		a, b, d := fs[0], fs[1], fs[2]
		return func(c *field.Context) bool { return a(c) && b(c) && d(c) }
	}
	return func(c *field.Context) bool {
		for _, f := range fs {
			if !f(c) {
				return false
			}
		}
		return true
	}
}

func anyOf(fs []evalFn) evalFn {
	switch len(fs) {
	case 2:
		a, b := fs[0], fs[1]
		return func(c *field.Context) bool { return a(c) || b(c) }
	case 3:
		a, b, d := fs[0], fs[1], fs[2]
		return func(c *field.Context) bool { return a(c) || b(c) || d(c) }
	}
	return func(c *field.Context) bool {
		for _, f := range fs {
			if f(c) {
				return true
			}
		}
		return false
	}
}

func (cp *compiler) macro(n *MacroRef) (evalFn, typeInfo) {
	if cp.opts.Macro == nil {
		cp.errorAt(n.Loc, "unknown macro "+quote(n.Name)+": a condition needs an operator, as in "+n.Name+" = value, or "+n.Name+" exists")
		return never, allTypes()
	}
	body, ok := cp.opts.Macro(n.Name)
	if !ok {
		cp.errorAt(n.Loc, "undefined macro "+quote(n.Name))
		return never, allTypes()
	}
	for _, m := range cp.macros {
		if m == n.Name {
			cp.errorAt(n.Loc, "macro "+quote(n.Name)+" refers to itself: "+strings.Join(append(cp.macros, n.Name), " -> "))
			return never, allTypes()
		}
	}
	if len(cp.macros) == 0 {
		cp.site = n.Loc
	}
	cp.macros = append(cp.macros, n.Name)
	f, ti := cp.expr(body)
	cp.macros = cp.macros[:len(cp.macros)-1]
	return f, ti
}
