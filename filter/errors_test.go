package filter

import "testing"

// errorCases are broken filters and the exact errors they give.
var errorCases = []struct{ name, src, want string }{
	{
		name: "unclosed paren",
		src:  "(proc.name = cat and fd.name = x",
		want: `filter:1:33: expected ")" to close the "(" at 1:1
 1 | (proc.name = cat and fd.name = x
   |                                 ^`,
	},
	{
		name: "unclosed nested",
		src:  "evt.type = open and (a or (b and c)",
		want: `filter:1:36: expected ")" to close the "(" at 1:21
 1 | evt.type = open and (a or (b and c)
   |                                    ^`,
	},
	{
		name: "unmatched close",
		src:  "proc.name = cat)",
		want: `filter:1:16: unexpected ")" without a matching "("
 1 | proc.name = cat)
   |                ^`,
	},
	{
		name: "unterminated double",
		src:  "proc.name = \"cat",
		want: `filter:1:13: unterminated string: missing closing "
 1 | proc.name = "cat
   |             ^`,
	},
	{
		name: "unterminated single",
		src:  "fd.name startswith '/etc and proc.name = cat",
		want: `filter:1:20: unterminated string: missing closing '
 1 | fd.name startswith '/etc and proc.name = cat
   |                    ^`,
	},
	{
		name: "missing operator",
		src:  "proc.name cat",
		want: `filter:1:11: unknown operator "cat"
 1 | proc.name cat
   |           ^`,
	},
	{
		name: "bare field",
		src:  "evt.failed",
		want: `filter:1:11: expected an operator after "evt.failed", found end of filter
 1 | evt.failed
   |           ^`,
	},
	{
		name: "bare field before and",
		src:  "evt.failed and proc.name = cat",
		want: `filter:1:12: expected an operator after "evt.failed", found "and"
 1 | evt.failed and proc.name = cat
   |            ^`,
	},
	{
		name: "operator without value",
		src:  "proc.name = cat and fd.name =",
		want: `filter:1:30: expected a value after "=", found end of filter
 1 | proc.name = cat and fd.name =
   |                              ^`,
	},
	{
		name: "operator before close paren",
		src:  "(proc.name = ) and b",
		want: `filter:1:14: expected a value after "=", found ")"
 1 | (proc.name = ) and b
   |              ^`,
	},
	{
		name: "contains without value",
		src:  "fd.name contains",
		want: `filter:1:17: expected a value after "contains", found end of filter
 1 | fd.name contains
   |                 ^`,
	},
	{
		name: "in without list",
		src:  "proc.name in",
		want: `filter:1:13: expected a list after "in", like (a, b), found end of filter
 1 | proc.name in
   |             ^`,
	},
	{
		name: "in with bad list",
		src:  "proc.name in \"a\"",
		want: `filter:1:14: expected a list after "in", like (a, b), found string "a"
 1 | proc.name in "a"
   |              ^`,
	},
	{
		name: "trailing and",
		src:  "proc.name = cat and",
		want: `filter:1:20: expected a condition, found end of filter
 1 | proc.name = cat and
   |                    ^`,
	},
	{
		name: "trailing or",
		src:  "a or",
		want: `filter:1:5: expected a condition, found end of filter
 1 | a or
   |     ^`,
	},
	{
		name: "leading and",
		src:  "and proc.name = cat",
		want: `filter:1:1: expected a condition, found "and"
 1 | and proc.name = cat
   | ^`,
	},
	{
		name: "double and",
		src:  "a and and b",
		want: `filter:1:7: expected a condition, found "and"
 1 | a and and b
   |       ^`,
	},
	{
		name: "unknown operator word",
		src:  "proc.name equals cat",
		want: `filter:1:11: unknown operator "equals"
 1 | proc.name equals cat
   |           ^`,
	},
	{
		name: "unknown operator symbol",
		src:  "proc.name ~ cat",
		want: `filter:1:11: expected an operator after "proc.name", found "~"
 1 | proc.name ~ cat
   |           ^`,
	},
	{
		name: "bang alone",
		src:  "proc.name ! cat",
		want: `filter:1:11: expected an operator after "proc.name", found "!"
 1 | proc.name ! cat
   |           ^`,
	},
	{
		name: "bad escape",
		src:  "proc.name = \"c\\at\"",
		want: `filter:1:15: unsupported escape sequence \a
 1 | proc.name = "c\at"
   |               ^`,
	},
	{
		name: "wrong quote escape",
		src:  "proc.name = 'it\\\"s'",
		want: `filter:1:16: invalid escape \" in a '-quoted string
 1 | proc.name = 'it\"s'
   |                ^`,
	},
	{
		name: "two bad escapes",
		src:  "fd.name in (\"a\\q\", 'b\\\"', c)",
		want: `filter:1:15: unsupported escape sequence \q
 1 | fd.name in ("a\q", 'b\"', c)
   |               ^

filter:1:22: invalid escape \" in a '-quoted string
 1 | fd.name in ("a\q", 'b\"', c)
   |                      ^`,
	},
	{
		name: "number expected",
		src:  "evt.num > abc",
		want: `filter:1:11: expected a number after ">", found "abc"
 1 | evt.num > abc
   |           ^`,
	},
	{
		name: "number garbage",
		src:  "evt.num > 5abc",
		want: `filter:1:11: expected a number after ">", found "5abc"
 1 | evt.num > 5abc
   |           ^`,
	},
	{
		name: "list trailing comma",
		src:  "proc.name in (a, b,)",
		want: `filter:1:20: expected a value after ",": a list has no trailing comma
 1 | proc.name in (a, b,)
   |                    ^`,
	},
	{
		name: "list missing comma",
		src:  "proc.name in (a b, c)",
		want: `filter:1:17: expected "," or ")" in the list, found "b"
 1 | proc.name in (a b, c)
   |                 ^`,
	},
	{
		name: "list unclosed",
		src:  "proc.name in (a, b",
		want: `filter:1:19: expected ")" to close the list at 1:14
 1 | proc.name in (a, b
   |                   ^`,
	},
	{
		name: "list bad item",
		src:  "proc.name in (a, =b, c)",
		want: `filter:1:18: expected a value in the list, found "="
 1 | proc.name in (a, =b, c)
   |                  ^`,
	},
	{
		name: "identifier as field",
		src:  "foo = bar",
		want: `filter:1:1: "foo" is not a field name: fields are written class.name, like proc.name
 1 | foo = bar
   | ^`,
	},
	{
		name: "digit field part",
		src:  "evt.arg.0 = 3",
		want: `filter:1:1: invalid field name "evt.arg.0": write the argument in brackets, like evt.arg[0]
 1 | evt.arg.0 = 3
   | ^`,
	},
	{
		name: "bad field name",
		src:  "evt..type = open",
		want: `filter:1:1: invalid field name "evt..type"
 1 | evt..type = open
   | ^`,
	},
	{
		name: "unclosed bracket",
		src:  "proc.aname[2 = bash",
		want: `filter:1:13: expected "]" to close the "[" at 1:11, found a blank
 1 | proc.aname[2 = bash
   |             ^`,
	},
	{
		name: "empty bracket",
		src:  "proc.aname[] = bash",
		want: `filter:1:12: expected a field argument after "[", found "]"
 1 | proc.aname[] = bash
   |            ^`,
	},
	{
		name: "transformer without field",
		src:  "tolower(cat) = x",
		want: `filter:1:9: expected a field, a transformer, a quoted string, a number or a list inside tolower(), found "cat"
 1 | tolower(cat) = x
   |         ^`,
	},
	{
		name: "transformer unclosed",
		src:  "tolower(proc.name = x",
		want: `filter:1:19: expected "," or ")" to close tolower(, found "="
 1 | tolower(proc.name = x
   |                   ^`,
	},
	{
		name: "val of transformer",
		src:  "fd.name = val(tolower(proc.name))",
		want: `filter:1:15: expected a field inside val(), found "tolower"
 1 | fd.name = val(tolower(proc.name))
   |               ^`,
	},
	{
		name: "junk after expression",
		src:  "proc.name = cat fd.name = x",
		want: `filter:1:17: expected "and", "or" or the end of the filter, found "fd.name"
 1 | proc.name = cat fd.name = x
   |                 ^`,
	},
	{
		name: "junk in group",
		src:  "(proc.name = cat fd.name = x) and b",
		want: `filter:1:18: expected "and", "or" or ")", found "fd.name"
 1 | (proc.name = cat fd.name = x) and b
   |                  ^`,
	},
	{
		name: "empty",
		src:  "",
		want: `filter:1:1: empty filter
 1 | 
   | ^`,
	},
	{
		name: "blank",
		src:  "   ",
		want: `filter:1:4: empty filter
 1 |    
   |    ^`,
	},
	{
		name: "multi line",
		src:  "evt.type = open and\n    fd.name =\n    and proc.name = cat",
		want: `filter:3:9: expected "and", "or" or the end of the filter, found "proc.name"
 3 |     and proc.name = cat
   |         ^`,
	},
	{
		name: "tab in line",
		src:  "evt.type = open and\tfd.name ~ x",
		want: `filter:1:29: expected an operator after "fd.name", found "~"
 1 | evt.type = open and	fd.name ~ x
   |                    	        ^`,
	},
	{
		name: "no hexadecimal escapes",
		src:  `proc.name = "\x41"`,
		want: `filter:1:14: unsupported escape sequence \x
 1 | proc.name = "\x41"
   |              ^`,
	},
	{
		name: "modifier without a blank before it",
		src:  "proc.name ==oneof (cat, nginx)",
		want: `filter:1:19: expected "and", "or" or the end of the filter, found "("
 1 | proc.name ==oneof (cat, nginx)
   |                   ^`,
	},
	{
		name: "modifier without a blank after it",
		src:  "proc.name contains oneof(cat, nginx)",
		want: `filter:1:25: expected "and", "or" or the end of the filter, found "("
 1 | proc.name contains oneof(cat, nginx)
   |                         ^`,
	},
	{
		name: "modifier with a trailing comma",
		src:  "proc.name == oneof (cat,)",
		want: `filter:1:25: expected a value after ",": a list has no trailing comma
 1 | proc.name == oneof (cat,)
   |                         ^`,
	},
	{
		name: "modifier after a numeric operator",
		src:  "evt.num > oneof (1, 2)",
		want: `filter:1:11: expected a number after ">", found "oneof"
 1 | evt.num > oneof (1, 2)
   |           ^`,
	},
	{
		name: "modifier before a logical keyword",
		src:  "proc.name == anyof not_x",
		want: `filter:1:20: expected "and", "or" or the end of the filter, found "not_x"
 1 | proc.name == anyof not_x
   |                    ^`,
	},
	{
		name: "modifier before val",
		src:  "proc.name = oneof val(proc.pname)",
		want: `filter:1:22: expected "and", "or" or the end of the filter, found "("
 1 | proc.name = oneof val(proc.pname)
   |                      ^`,
	},
	{
		name: "transformer with a trailing comma",
		src:  "concat(proc.name, ) = x",
		want: `filter:1:19: expected a field, a transformer, a quoted string, a number or a list inside concat(), found ")"
 1 | concat(proc.name, ) = x
   |                   ^`,
	},
	{
		name: "bare word in an argument list",
		src:  `join(",", (proc.name, cat)) = x`,
		want: `filter:1:23: expected a field, a transformer, a quoted string or a number in the list, found "cat"
 1 | join(",", (proc.name, cat)) = x
   |                       ^`,
	},
	{
		name: "argument list not closed",
		src:  `join(",", (proc.name = x`,
		want: `filter:1:22: expected "," or ")" to close the list at 1:11, found "="
 1 | join(",", (proc.name = x
   |                      ^`,
	},
	{
		name: "number followed by letters",
		src:  "len(123abc) = 1",
		want: `filter:1:8: expected "," or ")" to close len(, found "abc"
 1 | len(123abc) = 1
   |        ^`,
	},
	{
		name: "empty transformer argument",
		src:  `getopt(proc.args, "nt:")[] = value`,
		want: `filter:1:26: expected a field argument after "[", found "]"
 1 | getopt(proc.args, "nt:")[] = value
   |                          ^`,
	},
	{
		name: "val with an argument",
		src:  "fd.name = val(proc.name)[x]",
		want: `filter:1:25: val() takes no argument in brackets
 1 | fd.name = val(proc.name)[x]
   |                         ^`,
	},
	{
		name: "several errors",
		src:  "proc.name = \"a\\q\" and fd.name = and (evt.num > x or evt.type in",
		want: `filter:1:15: unsupported escape sequence \q
 1 | proc.name = "a\q" and fd.name = and (evt.num > x or evt.type in
   |               ^

filter:1:37: expected "and", "or" or the end of the filter, found "("
 1 | proc.name = "a\q" and fd.name = and (evt.num > x or evt.type in
   |                                     ^

filter:1:64: expected a list after "in", like (a, b), found end of filter
 1 | proc.name = "a\q" and fd.name = and (evt.num > x or evt.type in
   |                                                                ^`,
	},
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range errorCases {
		x, err := Parse(tc.src)
		if err == nil {
			t.Errorf("%s: Parse(%q) = %v, want an error", tc.name, tc.src, x)
			continue
		}
		if got := err.(Errors).String(); got != tc.want {
			t.Errorf("%s: Parse(%q) errors:\n%s\nwant:\n%s", tc.name, tc.src, got, tc.want)
		}
	}
}
