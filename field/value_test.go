package field

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
)

// TestValues checks value expressions against libsinsp's transformer
// tests (sinsp_filter_transformers, the multivalue transformers).
func TestValues(t *testing.T) {
	reg := Default()
	c := testContext(t)
	for _, tc := range []struct{ expr, want string }{
		{`tolower("AbC")`, "abc"},
		{`toupper(evt.arg.name)`, "/ETC/PASSWD"},
		{`basename("/a/b/")`, ""},
		{`basename("c")`, "c"},
		{`len(evt.arg.name)`, "11"},
		{`len((evt.type, "a", 1))`, "3"},
		{`len(())`, "0"},
		{`tolower(("A", evt.type))`, "(a,open)"},
		{`b64("aGVsbG8=")`, "hello"},
		{`b64("aGVsbG8")`, "hello"},
		{`b64("YWFh")`, "aaa"},
		{`b64(concat("YWFh", "YmJi"))`, "aaabbb"},
		{`b64("")`, ""},
		{`concat("aaa", "bbb")`, "aaabbb"},
		{`concat(evt.type, 42, 0x1F, -1)`, "open420x1F-1"},
		{`join("-", ("aaa", "bbb"))`, "aaa-bbb"},
		{`join("-", (evt.arg.name))`, "/etc/passwd"},
		{`join(evt.type, ("a", "b", "c"))`, "aopenbopenc"},
		{`join("-", ())`, ""},
		{`join(",", (evt.num, 123))`, "7,123"},
		{`join("->", (toupper(evt.type), tolower(evt.arg.name)))`, "OPEN->/etc/passwd"},
		{`join(",", tolower(("A", "B")))`, "a,b"},
		// getopt, as libsinsp's multivalue_transformer_getopt test
		{`getopt(("-n", ""), "n")`, "(n)"},
		{`getopt(("-t", "hello"), "t:")`, "(t,hello)"},
		{`getopt(("-nt", "hello"), "nt:")`, "(n,t,hello)"},
		{`getopt(("-thello"), "t:")`, "(t,hello)"},
		{`getopt(("-n", "--", "-t"), "nt:")`, "(n)"},
		{`getopt(("-x", "-n"), "n")`, "(?,n)"},
		{`getopt(("-lpe", "/bin/sh"), "lp:e:")`, "(l,p,e)"},
		{`getopt(("-lpe", "/bin/sh"), "lpe:")`, "(l,p,e,/bin/sh)"},
		{`getopt(("-n", "-t"), "")`, "(?,?)"},
		{`getopt((""), "n")`, "()"},
		{`getopt(("arg1", "-n"), "n")`, "()"},
		{`getopt(("-", "-n"), "n")`, "()"},
		{`getopt(("-t"), "t:")`, "()"},
		{`getopt(("-t"), ":t:")`, "()"},
		{`getopt(("--exec", "-n"), "n")`, "(n)"},
		{`getopt(("--", "-n"), "n")`, "()"},
		{`getopt(("-n", "file", "-t"), "nt")`, "(n)"},
		{`getopt(("-t", "v1", "-t", "v2"), "t:")`, "(t,v1,t,v2)"},
		{`getopt(("-@", "-+"), "@+")`, "(@,+)"},
		{`getopt(("-nx"), "n")`, "(n,?)"},
		{`getopt(("-a:b"), "ab")`, "(a,?,b)"},
		{`getopt(("-a", "x"), "a::")`, "(a,x)"},
		{`getopt(("-n", "-t", "hello"), "nt:")[t]`, "hello"},
		{`getopt(("-n", "-t", "hello"), "nt:")[n]`, "n"},
		{`getopt(("-t", "v1", "-t", "v2"), "t:")[t]`, "v2"},
		{`getopt(("-t?"), "t:")[t]`, "?"},
		{`getopt(("-t:"), ":t:")[t]`, ":"},
		{`getopt(("-t"), "t:")[t]`, ""},
		{`getopt(("-t", "v1", "-t"), "t:")["t"]`, ""},
		{`getopt((evt.type, "-t", evt.arg.name), concat("t", ":"))`, "()"},
		{`getopt(("-t", evt.arg.name), concat("t", ":"))`, "(t,/etc/passwd)"},
	} {
		v, err := reg.CompileValue(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got, ok := v.AppendText(nil, c); !ok || string(got) != tc.want {
			t.Errorf("%s: got %q (ok=%v), want %q", tc.expr, got, ok, tc.want)
		}
	}
	// No value: invalid base64, a selected option that is not there.
	for _, expr := range []string{`b64("aGVsbG9")`, `b64("a")`, `b64("=")`, `b64("aGVs\nbG8=")`, `getopt(("-n"), "nt:")[t]`,
		`concat(b64("!"), "x")`, `join(",", (evt.type, b64("!")))`, `tolower(b64("!"))`} {
		v, err := reg.CompileValue(expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if got, ok := v.AppendText(nil, c); ok {
			t.Errorf("%s: got %q, want no value", expr, got)
		}
	}
	v, _ := reg.CompileValue(`len(evt.arg.name)`)
	if n, ok := v.Num(c); !ok || n != 11 || v.Type() != event.PTUint64 || v.IsList() {
		t.Errorf("len: %d %v %v %v", n, ok, v.Type(), v.IsList())
	}
	v, _ = reg.CompileValue(`getopt(("-a", "-b"), "ab")`)
	var vs Values
	if !v.AppendValues(&vs, c) || vs.Len() != 2 || string(vs.At(0)) != "a" || string(vs.At(1)) != "b" || !v.IsList() {
		t.Errorf("getopt values: %d", vs.Len())
	}
}

// TestValueErrors checks the mistakes libsinsp refuses, with its words
// where it has them.
func TestValueErrors(t *testing.T) {
	reg := Default()
	for _, tc := range []struct{ expr, want string }{
		{`tolower(evt.num)`, "tolower() applies to text, and evt.num is numeric"},
		{`b64(evt.num)`, "b64() applies to text and byte buffers, and evt.num is numeric"},
		{`len(evt.num)`, "len() applies to text, byte buffers and lists, and evt.num is numeric"},
		{`tolower(evt.buffer)`, "tolower() applies to text, and evt.buffer is a byte buffer"},
		{`tolower(proc.aname)`, "tolower() applies to a single value, and proc.aname stands for several"},
		{`tolower(evt.type, evt.type)`, "tolower() takes one argument, not 2"},
		{`tolower(evt.type)[x]`, "transformer tolower takes no argument"},
		{`join(evt.type)`, "join() requires exactly 2 arguments: separator and list"},
		{`join(",", ("a"), ("b"))`, "join() requires exactly 2 arguments: separator and list"},
		{`join(("a"), ("b"))`, "join() first argument (separator) must be a single value, not a list"},
		{`join(",", evt.type)`, "join() second argument must be a list"},
		{`join(",", getopt(("-a"), "a"))`, "join() second argument must be a list"},
		{`join(",", ("a"))[x]`, "transformer join takes no argument"},
		{`join(("a"))[x]`, "transformer join takes no argument"},
		{`concat("a")`, "concat() requires at least 2 arguments"},
		{`concat(evt.num, "a")`, "concat() arguments must be strings"},
		{`concat("a", ("b"))`, "concat() arguments must be strings"},
		{`getopt(("a"))`, "getopt() requires exactly 2 arguments: args list and optstring"},
		{`getopt(("a"), "n", "extra")`, "getopt() requires exactly 2 arguments: args list and optstring"},
		{`getopt("not_a_list", "n")`, "getopt() first argument must be a list"},
		{`getopt(("-n"), ("n"))`, "getopt() second argument (optstring) must be a single value"},
		{`getopt(("-n"), evt.num)`, "getopt() arguments must be strings"},
		{`getopt(("-n"), "n")[""]`, "getopt() field argument must be a single option character"},
		{`getopt(("-n"), "n")[nt]`, "getopt() field argument must be a single option character"},
		{`tolower()`, "expected a field, a transformer, a quoted string, a number or a list inside tolower(), found \")\""},
		{`join(",", ("a",))`, "expected a field, a transformer, a quoted string or a number in the list, found \")\""},
		{`join(",", (("a")))`, "expected a field, a transformer, a quoted string or a number in the list, found \"(\""},
		{`len(123abc)`, "expected \",\" or \")\" after an argument of len(, found \"abc\""},
		{`tolower("\q")`, `unsupported escape sequence \q`},
		{`tolower(evt.type) x`, `unexpected " x" after tolower(evt.type)`},
		{`evt`, `expected a field or a transformer, found "evt"`},
	} {
		_, err := reg.CompileValue(tc.expr)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.expr, err, tc.want)
		}
	}
}

// TestValuesAllocate checks that evaluating transformers allocates
// nothing once warm.
func TestValuesAllocate(t *testing.T) {
	reg := Default()
	c := testContext(t)
	f, err := reg.CompileFormat(`%toupper(evt.type) %concat(evt.type, ":", evt.arg.name) %join(",", (evt.type, evt.num)) ` +
		`%getopt(("-a", evt.arg.name, "-b"), "a:b") %getopt(("-a", evt.arg.name), "a:")[a] %b64("aGVsbG8") %len(fd.types)`)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	buf, _ = f.AppendText(buf[:0], c)
	if n := testing.AllocsPerRun(100, func() { buf, _ = f.AppendText(buf[:0], c) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
}
