package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	for _, tc := range validCases {
		x, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := x.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		y, err := Parse(tc.want)
		if err != nil {
			t.Errorf("Parse(%q) of the canonical form: %v", tc.want, err)
			continue
		}
		if got := y.String(); got != tc.want {
			t.Errorf("canonical form %q prints as %q", tc.want, got)
		}
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	x, err := Parse("not a and b or c and d")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := x.(*Binary)
	if !ok || or.Op != Or {
		t.Fatalf("root = %#v, want or", x)
	}
	left, ok := or.X.(*Binary)
	if !ok || left.Op != And {
		t.Fatalf("left = %#v, want and", or.X)
	}
	if _, ok := left.X.(*Not); !ok {
		t.Fatalf("left.X = %#v, want not", left.X)
	}
	x, _ = Parse("a and b and c")
	if b := x.(*Binary); b.Y.(*MacroRef).Name != "c" || b.X.(*Binary).X.(*MacroRef).Name != "a" {
		t.Errorf("and is not left-associative: %#v", x)
	}
}

// span returns the source text of n.
func spanText(src string, n Node) string {
	s := n.Span()
	return src[s.Start.Offset:s.End.Offset]
}

func TestSpans(t *testing.T) {
	t.Parallel()
	src := "evt.type = open and\n  not proc.aname[2] in (bash, \"s h\") or tolower(fd.name) exists"
	x, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Inspect(x, func(n Node) bool {
		if n != nil {
			s := n.Span()
			got = append(got, s.Start.String()+"-"+s.End.String()+" "+spanText(src, n))
		}
		return true
	})
	want := []string{
		`1:1-2:64 evt.type = open and` + "\n" + `  not proc.aname[2] in (bash, "s h") or tolower(fd.name) exists`,
		`1:1-2:37 evt.type = open and` + "\n" + `  not proc.aname[2] in (bash, "s h")`,
		`1:1-1:16 evt.type = open`,
		`1:1-1:9 evt.type`,
		`1:12-1:16 open`,
		`2:3-2:37 not proc.aname[2] in (bash, "s h")`,
		`2:7-2:37 proc.aname[2] in (bash, "s h")`,
		`2:7-2:20 proc.aname[2]`,
		`2:24-2:37 (bash, "s h")`,
		`2:25-2:29 bash`,
		`2:31-2:36 "s h"`,
		`2:41-2:64 tolower(fd.name) exists`,
		`2:41-2:57 tolower(fd.name)`,
		`2:49-2:56 fd.name`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFieldParts(t *testing.T) {
	t.Parallel()
	src := `proc.env["A B"] = x`
	x, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	f := x.(*Check).Left.(*Field)
	if f.Name != "proc.env" || f.Arg != "A B" || !f.HasArg || !f.ArgQuoted {
		t.Errorf("field = %+v", f)
	}
	if got := src[f.ArgSpan.Start.Offset:f.ArgSpan.End.Offset]; got != `"A B"` {
		t.Errorf("arg span text = %q", got)
	}
	c := x.(*Check)
	if c.Op != OpEq || src[c.OpSpan.Start.Offset:c.OpSpan.End.Offset] != "=" {
		t.Errorf("op = %v %+v", c.Op, c.OpSpan)
	}
}

// refCollector gathers the names a checker would resolve.
type refCollector struct{ macros, lists, fields []string }

func (r *refCollector) Visit(n Node) Visitor {
	switch n := n.(type) {
	case *MacroRef:
		r.macros = append(r.macros, n.Name)
	case *ListRef:
		r.lists = append(r.lists, n.Name)
	case *List:
		for _, it := range n.Items {
			if !it.Quoted {
				r.lists = append(r.lists, it.Text)
			}
		}
	case *Field:
		r.fields = append(r.fields, n.String())
	}
	return r
}

func TestWalkHooks(t *testing.T) {
	t.Parallel()
	x, err := Parse(`open_write and not proc.name in (shell_binaries, "x") and fd.name pmatch dirs and fd.name = val(proc.aname[1])`)
	if err != nil {
		t.Fatal(err)
	}
	var r refCollector
	Walk(&r, x)
	if got := strings.Join(r.macros, ","); got != "open_write" {
		t.Errorf("macros = %s", got)
	}
	if got := strings.Join(r.lists, ","); got != "shell_binaries,dirs" {
		t.Errorf("lists = %s", got)
	}
	if got := strings.Join(r.fields, ","); got != "proc.name,fd.name,fd.name,proc.aname[1]" {
		t.Errorf("fields = %s", got)
	}
}

func TestOperatorTable(t *testing.T) {
	t.Parallel()
	for op := OpEq; op <= OpExists; op++ {
		got, ok := lookupOperator(op.String())
		if !ok || got != op {
			t.Errorf("lookupOperator(%q) = %v, %v", op.String(), got, ok)
		}
	}
	if OpExists.Operand() != OperandNone || OpLt.Operand() != OperandNumber ||
		OpIn.Operand() != OperandList || OpGlob.Operand() != OperandString {
		t.Error("operand kinds")
	}
}

func TestErrSyntax(t *testing.T) {
	t.Parallel()
	_, err := Parse("a and")
	if !errors.Is(err, ErrSyntax) {
		t.Fatalf("error %v does not match ErrSyntax", err)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("errors = %v", err)
	}
	if got := err.Error(); got != "1:6: expected a condition, found end of filter" {
		t.Errorf("Error() = %q", got)
	}
	_, err = Parse("proc.name = 'a\\q' and fd.name =")
	if got := err.Error(); got != `1:15: unsupported escape sequence \q (and 1 more error)` {
		t.Errorf("Error() = %q", got)
	}
}

func TestDeepNesting(t *testing.T) {
	t.Parallel()
	src := strings.Repeat("(", 300) + "a" + strings.Repeat(")", 300)
	_, err := Parse(src)
	if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("err = %v", err)
	}
	src = strings.Repeat("not ", 150) + "a"
	if _, err := Parse(src); err != nil {
		t.Fatalf("150 nots: %v", err)
	}
}

func BenchmarkParseRule(b *testing.B) {
	const cond = `evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = f and fd.num >= 0 ` +
		`and (fd.directory in (/etc, /etc/sudoers.d, /etc/pam.d) or fd.name startswith /etc/ or fd.name pmatch (/usr/lib, /lib)) ` +
		`and not proc.name in (shell_binaries, dpkg, rpm, yum, apt, apt-get, "sshd", "systemd-logind") ` +
		`and not proc.pname in (package_mgmt_binaries) and not tolower(proc.aname[2]) startswith "docker" ` +
		`and not (container.image.repository = "quay.io/falco" and fd.name = val(proc.cwd)) and not user_known_write_etc_conditions`
	b.ReportAllocs()
	b.SetBytes(int64(len(cond)))
	for b.Loop() {
		if _, err := Parse(cond); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCallSpans checks the spans of calls with several arguments, their
// argument lists and constants, and of a modifier check.
func TestCallSpans(t *testing.T) {
	t.Parallel()
	src := `getopt((proc.args[0], "-t"), ':t:')[t] = x and proc.name startswith  oneof (a, b)`
	x, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Inspect(x, func(n Node) bool {
		if n != nil {
			if _, isBinary := n.(*Binary); !isBinary {
				got = append(got, spanText(src, n))
			}
		}
		return true
	})
	want := []string{
		`getopt((proc.args[0], "-t"), ':t:')[t] = x`, `getopt((proc.args[0], "-t"), ':t:')[t]`, `(proc.args[0], "-t")`,
		`proc.args[0]`, `"-t"`, `':t:'`, `x`,
		`proc.name startswith  oneof (a, b)`, `proc.name`, `(a, b)`, `a`, `b`,
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("spans:\n got %q\nwant %q", got, want)
	}
	c := x.(*Binary).Y.(*Check)
	if c.Op != OpStartsWith.With(ModOneOf) || c.Op.Base() != OpStartsWith || c.Op.Modifier() != ModOneOf ||
		c.Op.String() != "startswith oneof" || c.Op.Operand() != OperandList || spanText(src, &Check{Loc: c.OpSpan}) != "startswith" {
		t.Errorf("operator %v (%q)", c.Op, c.Op.String())
	}
	tr := x.(*Binary).X.(*Check).Left.(*Transform)
	if !tr.HasArg || tr.Arg != "t" || tr.ArgQuoted || spanText(src, &Value{Loc: tr.ArgSpan}) != "t" || len(tr.Args) != 2 {
		t.Errorf("transform %+v", tr)
	}
}
