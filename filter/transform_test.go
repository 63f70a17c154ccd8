package filter

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/evtest"
)

// TestTransformers checks join, concat and getopt in conditions, lists
// with in, intersects and exists, and transformers on the right of a
// check.
func TestTransformers(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "Hello World", path: "/etc/ssh/sshd_config", n: 42, u: 7, m: []string{"bash", "sshd"}}
	for _, c := range []struct {
		filter string
		want   bool
	}{
		{`concat(t.s, "-", t.s) = "Hello World-Hello World"`, true},
		{`concat("aaa", "bbb") = aaabbb`, true},
		{`toupper(concat("aaa", "bbb")) = AAABBB`, true},
		{`len(concat(t.s, t.s)) = 22`, true},
		{`b64(concat("YWFh", "YmJi")) = "aaabbb"`, true},
		{`join(",", (t.s, t.n)) = "Hello World,42"`, true},
		{`join("-", ("aaa", 'bbb')) = aaa-bbb`, true},
		{`join("-", (t.path, "literal")) endswith -literal`, true},
		{`len(join("-", (t.s, t.path))) >= 32`, true},
		{`toupper(join("-", (t.s, t.s))) contains "WORLD-HELLO"`, true},
		{`join(",", (tolower(t.s), basename(t.path))) = "hello world,sshd_config"`, true},
		{`getopt(("-n", "-t", "x"), "nt:") intersects (t)`, true},
		{`getopt(("-n", "-t", "x"), "nt:") in (n, t, x)`, true},
		{`getopt(("-n", "-t", "x"), "nt:") in (n, t)`, false},
		{`getopt(("-x", "-n"), "n") intersects ("?")`, true},
		{`getopt(("-t"), "t:") intersects ("")`, true},
		{`getopt(("-t"), "t:") intersects (t)`, false},
		{`getopt((""), "n") in (a)`, true},
		{`getopt((""), "n") intersects (a)`, false},
		{`getopt((""), "n") exists`, true},
		{`len(getopt(("-a", "-b", "x"), "ab")) = 2`, true},
		{`toupper(getopt(("-a", "-b"), "ab")) intersects (B)`, true},
		{`getopt(("-n", "-t", "hello"), "nt:")[t] = hello`, true},
		{`getopt(("-n", "-t", "hello"), "nt:")[t] = n`, false},
		{`getopt(("-n", "-t", "hello"), "nt:")["n"] = n`, true},
		{`getopt(("-t", "v1", "-t", "v2"), "t:")[t] = v2`, true},
		{`getopt(("-t"), "t:")[t] = ""`, true},
		{`getopt(("-t"), "t:")[t] != ""`, false},
		{`getopt(("-n"), "nt:")[t] != ""`, false},
		{`getopt(("-n"), "nt:")[t] exists`, false},
		{`getopt(("-p", t.n), "p:")[p] = 42`, true},
		{`tolower((t.s, "X")) intersects (x)`, true},
		// Transformers on the right of a check, as val() is.
		{`t.s = concat("Hello", " World")`, true},
		{`t.path endswith basename(t.path)`, true},
		{`tolower(t.s) = tolower(toupper(t.s))`, true},
		{`t.s icontains toupper(t.s)`, true},
		{`t.s in concat("Hello", " World")`, true},
		{`t.s < concat("Hello", " X")`, true},
		{`t.n > len(t.s)`, true},
		{`getopt(("-a"), "a") in getopt(("-a", "-b"), "ab")`, true},
		{`getopt(("-a", "-c"), "ac") in getopt(("-a"), "a")`, false},
		{`getopt(("-a", "-c"), "ac") intersects getopt(("-a"), "a")`, true},
	} {
		p, err := Compile(c.filter, Options{Fields: reg})
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if got := p.Match(nil); got != c.want {
			t.Errorf("%s: got %v, want %v", c.filter, got, c.want)
		}
	}
	cur = &sample{missing: map[string]bool{"t.s": true}}
	for _, f := range []string{`concat(t.s, "x") exists`, `join(",", (t.s, "x")) exists`, `getopt(("-a", t.s), "a:") exists`,
		`getopt(("-a"), t.s) exists`, `t.path = concat(t.s, "x")`} {
		if compileTest(t, reg, f).Match(nil) {
			t.Errorf("%s holds with t.s missing", f)
		}
	}
}

func TestTransformerErrors(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	for _, c := range []struct{ filter, want string }{
		{`join(",", t.s) = x`, "filter:1:1: join() second argument must be a list\n 1 | join(\",\", t.s) = x\n   | ^"},
		{`concat(t.n, "a") = x`, "filter:1:1: concat() arguments must be strings\n 1 | concat(t.n, \"a\") = x\n   | ^"},
		{`concat(t.path, "a") = x`, "filter:1:1: concat() arguments must be strings\n 1 | concat(t.path, \"a\") = x\n   | ^"},
		{`getopt("x", "n") exists`, "filter:1:1: getopt() first argument must be a list\n 1 | getopt(\"x\", \"n\") exists\n   | ^"},
		{`getopt(("-n"), "n")[nt] = x`, "filter:1:1: getopt() field argument must be a single option character\n 1 | getopt((\"-n\"), \"n\")[nt] = x\n   | ^"},
		{`tolower(t.s)[x] = x`, "filter:1:1: transformer tolower takes no argument\n 1 | tolower(t.s)[x] = x\n   | ^"},
		{`tolower(t.s, t.s) = x`, "filter:1:1: tolower() takes one argument, not 2\n 1 | tolower(t.s, t.s) = x\n   | ^"},
		{`concat(t.s, tolower(t.n)) = x`, "filter:1:13: tolower() applies to text, and t.n is numeric\n 1 | concat(t.s, tolower(t.n)) = x\n   |             ^"},
		{`join(",", (t.s, t.nope)) = x`, "filter:1:17: unknown field \"t.nope\"\n 1 | join(\",\", (t.s, t.nope)) = x\n   |                 ^"},
		{`getopt(("-a"), "a") = a`, "filter:1:21: operator = cannot compare getopt((\"-a\"), \"a\"), a list: lists compare with in, intersects and exists\n 1 | getopt((\"-a\"), \"a\") = a\n   |                     ^"},
		{`getopt(("-a"), "a") pmatch (/a)`, "filter:1:21: operator pmatch cannot compare getopt((\"-a\"), \"a\"), a list: lists compare with in, intersects and exists\n 1 | getopt((\"-a\"), \"a\") pmatch (/a)\n   |                     ^"},
		{`getopt(("-a"), "a") in val(t.s)`, "filter:1:24: getopt((\"-a\"), \"a\") is a list and val(t.s) is not\n 1 | getopt((\"-a\"), \"a\") in val(t.s)\n   |                        ^"},
		{`t.s in getopt(("-a"), "a")`, "filter:1:8: getopt((\"-a\"), \"a\") is a list and t.s is not\n 1 | t.s in getopt((\"-a\"), \"a\")\n   |        ^"},
		{`t.path pmatch basename(t.path)`, "filter:1:8: operator pmatch compares with values only, not with basename(t.path)\n 1 | t.path pmatch basename(t.path)\n   |        ^"},
		{`t.n = concat("a", "b")`, "filter:1:7: concat(\"a\", \"b\") is text and t.n is numeric\n 1 | t.n = concat(\"a\", \"b\")\n   |       ^"},
		{`t.m = tolower(t.s)`, "filter:1:7: tolower(t.s) compares single values, and tolower(t.s) or t.m stands for several\n 1 | t.m = tolower(t.s)\n   |       ^"},
		{`t.s glob concat("a", "*")`, "filter:1:5: operator glob cannot compare t.s, a text field\n 1 | t.s glob concat(\"a\", \"*\")\n   |     ^"},
	} {
		_, err := Compile(c.filter, Options{Fields: reg})
		es, ok := err.(Errors)
		if !ok {
			t.Errorf("%s: got %v, want errors", c.filter, err)
			continue
		}
		if got := es.String(); got != c.want {
			t.Errorf("%s:\n got: %s\nwant: %s", c.filter, got, c.want)
		}
	}
}

// TestRegexWholeText checks that regex matches the whole text with POSIX
// syntax, as libsinsp's RE2 in POSIX mode anchored at both ends does.
func TestRegexWholeText(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "Hello World"}
	for filter, want := range map[string]bool{
		`t.s regex "ello"`:          false,
		`t.s regex "H.*d"`:          true,
		`t.s regex "Hello|World"`:   false,
		`t.s regex "(Hello|x) .*"`:  true,
		`t.s regex "^Hello World$"`: true,
	} {
		if got := compileTest(t, reg, filter).Match(nil); got != want {
			t.Errorf("%s: got %v, want %v", filter, got, want)
		}
	}
	if _, err := Compile(`t.s regex "a)|(b"`, Options{Fields: reg}); err == nil {
		t.Error("unbalanced regex accepted")
	}
}

// TestTransformersAllocate checks that conditions with modifiers and the
// new transformers allocate nothing per event.
func TestTransformersAllocate(t *testing.T) {
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 1, 1, 3, map[string]any{"fd": 3, "name": "/etc/passwd", "flags": 1, "mode": 0, "dev": 0})); err != nil {
		t.Fatal(err)
	}
	c := &field.Context{Event: &ev}
	p, err := Compile(`evt.type = anyof (open, close) and evt.arg.name startswith oneof (/etc, /usr) and `+
		`concat(evt.type, ":", evt.arg.name) contains ":/" and join(",", (evt.type, evt.num)) exists and `+
		`getopt(("-a", evt.arg.name), "a:") intersects (a) and getopt(("-a", evt.arg.name), "a:")[a] = /etc/passwd and `+
		`evt.arg.name regex anyof ("/etc/.*", "x") and evt.arg.name != allof (a, b)`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(c) {
		t.Fatal("no match")
	}
	if n := testing.AllocsPerRun(100, func() { p.Match(c) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}

// TestListField checks fd.types, the field libsinsp marks as a list: in
// holds when every value is in the set, intersects when one is, and the
// other operators refuse it.
func TestListField(t *testing.T) {
	types := []string{"file", "ipv4"}
	reg, err := field.NewRegistry([]field.Def{{Name: "fd.types", Type: event.PTCharBuf, Arg: field.ArgOptional, Desc: "test",
		Text: func(d []byte, _ *field.Context, _ *field.Arg) ([]byte, bool) {
			return append(d, "(file,ipv4)"...), true
		},
		Multi: func(d []byte, _ *field.Context, _ *field.Arg, i int) ([]byte, bool) {
			if i >= len(types) {
				return d, false
			}
			return append(d, types[i]...), true
		}}})
	if err != nil {
		t.Fatal(err)
	}
	for filter, want := range map[string]bool{
		`fd.types in (file, ipv4, ipv6)`:      true,
		`fd.types in (file)`:                  false,
		`fd.types intersects (file)`:          true,
		`fd.types intersects (unix)`:          false,
		`fd.types exists`:                     true,
		`len(fd.types) = 2`:                   true,
		`join(",", fd.types) = "file,ipv4"`:   true,
		`toupper(fd.types) intersects (IPV4)`: true,
	} {
		p, err := Compile(filter, Options{Fields: reg})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		if got := p.Match(nil); got != want {
			t.Errorf("%s: got %v, want %v", filter, got, want)
		}
	}
	for filter, want := range map[string]string{
		`fd.types = file`:           "1:10: operator = cannot compare fd.types, a list: lists compare with in, intersects and exists",
		`fd.types = oneof (file)`:   "1:10: operator = oneof cannot compare fd.types, a list: lists compare with in, intersects and exists",
		`fd.types pmatch (/a)`:      "1:10: operator pmatch cannot compare fd.types, a list: lists compare with in, intersects and exists",
		`concat(fd.types, "x") = y`: "1:1: concat() arguments must be strings",
	} {
		if _, err := Compile(filter, Options{Fields: reg}); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", filter, err, want)
		}
	}
}
