package filter

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/field"
)

// Options configure [Compile].
type Options struct {
	// Fields resolves field names; [field.Default] when nil.
	Fields *field.Registry
	// Macro returns the condition of the macro called name, for rule
	// conditions; nil for command-line filters, which have no macros.
	// Each macro is compiled once per [Cache] and shared by every
	// condition that names it.
	Macro func(name string) (Expr, bool)
	// List returns the values of the list called name, for rule
	// conditions: an unquoted item of a parenthesised list that names a
	// list stands for its values ("proc.name in (shells, sh)"), as does a
	// list named alone after in. Nil for command-line filters.
	List func(name string) (*ListValues, bool)
	// Cache, when set, shares field values, compiled macros and the sets
	// built from lists with other programs compiled with it (the rules of
	// one engine); otherwise the program has its own.
	Cache *Cache
}

// MaxChecks bounds the comparisons a condition may hold once its macros
// are expanded: a macro named several times is compiled once, but each
// use is evaluated, so a condition past the bound would cost too much per
// event.
const MaxChecks = 100000

// Program is a compiled filter. [Program.Match] allocates nothing. A
// Program keeps scratch buffers: one goroutine uses it at a time.
type Program struct {
	src   string
	eval  evalFn
	types typeInfo
	warns Errors
}

// evalFn is a compiled condition.
type evalFn func(c *field.Context) bool

// Match reports whether the context's current event satisfies the filter.
func (p *Program) Match(c *field.Context) bool { return p.eval(c) }

// String returns the filter's source text.
func (p *Program) String() string { return p.src }

// Warnings returns what compiling found suspicious but accepted, located
// like errors: a glob pattern that can never match, a name after in that
// names no list. Warnings inside macros are the macros' own (see
// [CompileMacro]).
func (p *Program) Warnings() Errors { return p.warns }

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
	o = o.withDefaults()
	cp := &compiler{opts: o, li: newLineIndex(src)}
	eval, ti := cp.expr(x)
	cp.checkSize(x.Span())
	if len(cp.errs) > 0 {
		return nil, sortErrors(cp.errs)
	}
	return &Program{src: src, eval: eval, types: ti, warns: sortErrors(cp.warns)}, nil
}

// CompileMacro compiles the macro called name on its own, if no program
// compiled with o.Cache has, and returns its errors and warnings, located
// in the macro's text (Source is empty: the compiler has only the tree).
// An error of a macro it names is one error at the name, whose message
// starts "in macro NAME: ", NAME being the macro the error is in.
func CompileMacro(name string, o Options) (errs, warns Errors) {
	o = o.withDefaults()
	if o.Macro == nil {
		return Errors{{Msg: "undefined macro " + quote(name)}}, nil
	}
	e := o.Cache.macro(name)
	if e.state == macroNew {
		body, ok := o.Macro(name)
		if !ok {
			return Errors{{Msg: "undefined macro " + quote(name)}}, nil
		}
		cp := &compiler{opts: o}
		cp.compileMacro(name, e, body, Span{})
	}
	return e.errs, e.warns
}

func (o Options) withDefaults() Options {
	if o.Fields == nil {
		o.Fields = field.Default()
	}
	if o.Cache == nil {
		o.Cache = NewCache()
	}
	return o
}

func sortErrors(es Errors) Errors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Pos.Offset < es[j].Pos.Offset })
	return es
}

// compiler checks a tree and turns it into closures, gathering errors.
type compiler struct {
	opts  Options
	li    lineIndex
	errs  Errors
	warns Errors
	// stack holds the macros being compiled, outermost first, to find
	// reference loops; the last is the one this compiler compiles.
	stack []*frame
	// size counts the checks of the condition, its macros expanded.
	size   int
	tooBig bool
}

// frame is a macro being compiled and where its parent names it.
type frame struct {
	name string
	cp   *compiler
	site Span
}

// errorAt records an error at sp.
func (cp *compiler) errorAt(sp Span, msg string) {
	if len(cp.errs) >= maxErrors {
		return
	}
	cp.errs = append(cp.errs, &Error{Pos: sp.Start, Msg: msg, Source: cp.li.lineOf(sp.Start.Line)})
}

// warnAt records a warning at sp.
func (cp *compiler) warnAt(sp Span, msg string) {
	if len(cp.warns) >= maxErrors {
		return
	}
	cp.warns = append(cp.warns, &Error{Pos: sp.Start, Msg: msg, Source: cp.li.lineOf(sp.Start.Line)})
}

// checkSize reports a condition whose expanded size passes MaxChecks and
// that no macro reference has reported.
func (cp *compiler) checkSize(sp Span) {
	if cp.size > MaxChecks && !cp.tooBig {
		cp.tooBig = true
		cp.errorAt(sp, "condition too large: it holds "+strconv.Itoa(cp.size)+" checks, more than the "+strconv.Itoa(MaxChecks)+" a condition may hold")
	}
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

// macro compiles a macro reference: the macro is compiled once per cache
// and its closure shared, so that nested macros cost their size, not the
// size of their expansion.
func (cp *compiler) macro(n *MacroRef) (evalFn, typeInfo) {
	if cp.opts.Macro == nil {
		cp.errorAt(n.Loc, "unknown macro "+quote(n.Name)+": a condition needs an operator, as in "+n.Name+" = value, or "+n.Name+" exists")
		return never, allTypes()
	}
	e := cp.opts.Cache.macro(n.Name)
	switch e.state {
	case macroCompiling:
		cp.loop(n)
		return never, allTypes()
	case macroNew:
		body, ok := cp.opts.Macro(n.Name)
		if !ok {
			cp.errorAt(n.Loc, "undefined macro "+quote(n.Name))
			return never, allTypes()
		}
		cp.compileMacro(n.Name, e, body, n.Loc)
	}
	if len(e.errs) > 0 {
		msg := e.errs[0].Msg
		if !strings.HasPrefix(msg, "in macro ") {
			msg = "in macro " + n.Name + ": " + msg
		}
		// An error of the macro being compiled, come back through a loop,
		// is already its own.
		if k := len(cp.stack); k == 0 || !strings.HasPrefix(msg, "in macro "+cp.stack[k-1].name+": ") {
			cp.errorAt(n.Loc, msg)
		} else if len(cp.errs) == 0 {
			cp.errorAt(n.Loc, strings.TrimPrefix(msg, "in macro "+cp.stack[k-1].name+": "))
		}
		return never, allTypes()
	}
	cp.size = min(cp.size+e.size, math.MaxInt32)
	if cp.size > MaxChecks && !cp.tooBig {
		cp.tooBig = true
		cp.errorAt(n.Loc, "condition too large: with macro "+quote(n.Name)+" expanded here ("+strconv.Itoa(e.size)+
			" checks) it holds "+strconv.Itoa(cp.size)+" checks, more than the "+strconv.Itoa(MaxChecks)+" a condition may hold")
	}
	return e.eval, e.ti
}

// compileMacro compiles the body of macro name into e, named at site by
// the condition cp compiles.
func (cp *compiler) compileMacro(name string, e *macroEntry, body Expr, site Span) {
	e.state = macroCompiling
	sub := &compiler{opts: cp.opts}
	sub.stack = append(cp.stack[:len(cp.stack):len(cp.stack)], &frame{name: name, cp: sub, site: site})
	e.eval, e.ti = sub.expr(body)
	sub.checkSize(body.Span())
	e.size = sub.size
	e.errs, e.warns = sortErrors(sub.errs), sortErrors(sub.warns)
	e.state = macroDone
}

// loop reports a reference to a macro being compiled: a loop, reported
// once, in the macro the loop starts from, at the name that leads into
// it; the macros between fail with it.
func (cp *compiler) loop(n *MacroRef) {
	k := len(cp.stack) - 1
	for k >= 0 && cp.stack[k].name != n.Name {
		k--
	}
	if k < 0 {
		cp.errorAt(n.Loc, "undefined macro "+quote(n.Name))
		return
	}
	chain := make([]string, 0, len(cp.stack)-k+1)
	for _, f := range cp.stack[k:] {
		chain = append(chain, f.name)
	}
	chain = append(chain, n.Name)
	msg := "macro " + quote(n.Name) + " refers to itself: " + strings.Join(chain, " -> ")
	start := cp.stack[k].cp
	site := n.Loc
	if k+1 < len(cp.stack) {
		site = cp.stack[k+1].site
	}
	start.errorAt(site, msg)
	if start != cp {
		cp.errorAt(n.Loc, "in macro "+n.Name+": "+msg)
	}
}
