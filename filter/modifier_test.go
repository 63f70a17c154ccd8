package filter

import (
	"net/netip"
	"testing"
)

// TestModifiers checks oneof, anyof and allof with every operator that
// takes them, as libsinsp's cmp_operator_modifiers tests do with a process
// called myexe.
func TestModifiers(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{s: "myexe", path: "/etc/passwd", n: 42, u: 7, ip: netip.MustParseAddr("10.1.2.3"), b: true, m: []string{"bash", "sshd"}}
	for _, c := range []struct {
		filter string
		want   bool
	}{
		{"t.s == oneof (myexe, bash)", true},
		{"t.s == oneof (myexe)", true},
		{"t.s == oneof (bash, sh)", false},
		{"t.s == oneof (myexe, myexe)", false},
		{"t.s == anyof (myexe, bash)", true},
		{"t.s == anyof (bash, sh)", false},
		{"t.s == anyof (myexe, myexe)", true},
		{"t.s == allof (myexe)", true},
		{"t.s == allof (myexe, bash)", false},
		{"t.s == allof (bash, sh)", false},
		{"t.s == allof (myexe, myexe)", true},
		{"t.s != oneof (myexe, myexe, bash)", true},
		{"t.s != oneof (myexe, myexe)", false},
		{"t.s != oneof (bash, sh)", false},
		{"t.s != oneof (myexe, bash)", true},
		{"t.s != anyof (bash, sh)", true},
		{"t.s != anyof (myexe, bash)", true},
		{"t.s != anyof (myexe)", false},
		{"t.s != allof (bash, sh)", true},
		{"t.s != allof (myexe, bash)", false},
		{"t.s contains oneof (myex, bash)", true},
		{"t.s contains oneof (exe)", true},
		{"t.s contains oneof (bash, sh)", false},
		{"t.s contains oneof (my, exe)", false},
		{"t.s contains anyof (myex, bash)", true},
		{"t.s contains anyof (bash, sh)", false},
		{"t.s contains anyof (my, exe)", true},
		{"t.s contains allof (my, exe)", true},
		{"t.s contains allof (myex, bash)", false},
		{"t.s icontains oneof (MYEX, BASH)", true},
		{"t.s icontains oneof (MY, EXE)", false},
		{"t.s icontains anyof (MY, EXE)", true},
		{"t.s icontains allof (MY, EXE)", true},
		{"t.s icontains allof (MYEX, BASH)", false},
		{"t.s startswith oneof (my, bash)", true},
		{"t.s startswith oneof (my, mye)", false},
		{"t.s startswith anyof (my, mye)", true},
		{"t.s startswith allof (my, mye)", true},
		{"t.s startswith allof (my, bash)", false},
		{"t.s endswith oneof (exe, sh)", true},
		{"t.s endswith oneof (exe, yexe)", false},
		{"t.s endswith anyof (sh, bash)", false},
		{"t.s endswith allof (exe, yexe)", true},
		{"t.s glob oneof (my*, bash)", true},
		{"t.s glob oneof (my*, *exe)", false},
		{"t.s glob anyof (bash, sh*)", false},
		{"t.s glob allof (my*, *exe)", true},
		{"t.s iglob oneof (MY*, BASH)", true},
		{"t.s iglob allof (MY*, *EXE)", true},
		{"t.s regex oneof (my.*, b.*)", true},
		{"t.s regex oneof (my.*, .*exe)", false},
		{"t.s regex anyof (b.*, sh.*)", false},
		{"t.s regex allof (my.*, .*exe)", true},
		{"t.s regex anyof (exe, my)", false}, // a regex matches the whole text
		{"t.s bcontains oneof (6d79, 657865)", false},
		{"t.s bcontains anyof (6d79, 626173)", true},
		{"t.s bstartswith allof (6d, 6d79)", true},
		{"toupper(t.s) == oneof (MYEXE, BASH)", true},
		{"toupper(t.s) != oneof (MYEXE, BASH)", true},
		{"toupper(t.s) != allof (MYEXE, BASH)", false},
		{"t.s == oneof (myexe) and t.s != allof (bash, sh)", true},
		{"t.s == anyof (myexe, bash) or t.s != oneof (myexe)", true},
		// An empty list satisfies no modifier.
		{"t.s == oneof ()", false},
		{"t.s == anyof ()", false},
		{"t.s == allof ()", false},
		{"t.s != oneof ()", false},
		{"t.s != anyof ()", false},
		{"t.s != allof ()", false},
		{"t.s contains allof ()", false},
		// Numbers, booleans and addresses take = and !=.
		{"t.n = oneof (42, 43)", true},
		{"t.n = oneof (42, 42)", false},
		{"t.n != allof (1, 2)", true},
		{"t.u = anyof (0x7, 8)", true},
		{"t.b = anyof (false)", false},
		{"t.b != oneof (true, false)", true},
		{"t.ip = oneof (10.0.0.0/8, 10.1.0.0/16)", false},
		{"t.ip = anyof (10.0.0.0/8, 192.168.0.0/16)", true},
		{"t.ip != allof (192.168.0.0/16, 172.16.0.0/12)", true},
		{"t.net = allof (10.0.0.0/8, 10.1.2.3)", true},
		// A modifier keyword that does not start a list is a value.
		{"t.s = oneof", false},
		{"t.s != anyof and t.n = 42", true},
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
	// A value the event does not give matches no modifier.
	cur = &sample{missing: map[string]bool{"t.s": true, "t.n": true}}
	for _, f := range []string{"t.s != allof (a)", "t.s != anyof (a)", "t.n != oneof (1)", "not t.s = anyof (a) and t.s = anyof (a)"} {
		if compileTest(t, reg, f).Match(nil) {
			t.Errorf("%s holds without a value", f)
		}
	}
}

// TestModifierLists checks modifiers with lists of the rules, spliced in
// or named alone, duplicates counting for oneof.
func TestModifierLists(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	lists := map[string][]string{"shells": {"bash", "zsh"}, "dup": {"bash", "bash"}, "none": {}}
	o := Options{Fields: reg, List: func(name string) (*ListValues, bool) {
		v, ok := lists[name]
		return &ListValues{Name: name, Values: v}, ok
	}}
	cur = &sample{s: "bash", n: 1}
	for filter, want := range map[string]bool{
		`t.s = oneof shells`:          true,
		`t.s = oneof (shells, bash)`:  false,
		`t.s = oneof (dup)`:           false,
		`t.s != allof (shells)`:       false,
		`t.s startswith oneof (none)`: false,
		`t.s = anyof (none, "bash")`:  true,
		`t.s endswith allof (shells)`: false,
		`t.s = oneof unknown_list`:    false,
		`t.s = oneof ("shells")`:      false,
	} {
		p, err := Compile(filter, o)
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		if got := p.Match(nil); got != want {
			t.Errorf("%s: got %v, want %v", filter, got, want)
		}
	}
}

// TestModifierFirstValue checks the fields libsinsp compares with code of
// its own (here t.m and t.ips, which stand for several values): the
// modifier is ignored and only the list's first value counts, with a
// warning.
func TestModifierFirstValue(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	cur = &sample{ip: netip.MustParseAddr("10.1.2.3"), m: []string{"bash", "sshd"}}
	for filter, want := range map[string]bool{
		`t.m = oneof (sshd, zsh)`:       true,
		`t.m = oneof (zsh, sshd)`:       false,
		`t.m = allof (bash, zsh)`:       true,
		`t.m = anyof ()`:                false,
		`t.m != allof (zsh, bash)`:      true,
		`t.ips = anyof (10.0.0.0/8, x)`: true,
	} {
		p, err := Compile(filter, Options{Fields: reg})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		if got := p.Match(nil); got != want {
			t.Errorf("%s: got %v, want %v", filter, got, want)
		}
	}
	p := compileTest(t, reg, `t.m startswith anyof (ss, ba)`)
	want := `filter:1:5: libsinsp compares t.m with code of its own, which ignores the modifier anyof: this check compares with the first value only, as startswith does
 1 | t.m startswith anyof (ss, ba)
   |     ^`
	if got := p.Warnings().String(); got != want {
		t.Errorf("warning:\n%s\nwant:\n%s", got, want)
	}
}

func TestModifierErrors(t *testing.T) {
	var cur *sample
	reg := testRegistry(&cur)
	for _, c := range []struct{ filter, want string }{
		{`t.n contains oneof (1)`, "filter:1:5: operator contains oneof cannot compare t.n, a numeric field\n 1 | t.n contains oneof (1)\n   |     ^"},
		{`t.n = anyof (1, x)`, "filter:1:17: expected a number for t.n, found \"x\"\n 1 | t.n = anyof (1, x)\n   |                 ^"},
		{`t.ip startswith anyof (1.2.3.4)`, "filter:1:6: operator startswith anyof cannot compare t.ip, an IP address field\n 1 | t.ip startswith anyof (1.2.3.4)\n   |      ^"},
		{`t.ip = anyof (1.2.3.4, nope)`, "filter:1:24: expected an IP address, found \"nope\" for t.ip\n 1 | t.ip = anyof (1.2.3.4, nope)\n   |                        ^"},
		{`t.s bcontains allof (6d, xyz)`, "filter:1:26: bcontains needs hexadecimal bytes, as in bcontains 2f6574632f, found \"xyz\"\n 1 | t.s bcontains allof (6d, xyz)\n   |                          ^"},
		{`t.s regex anyof (a, "b(")`, "filter:1:21: invalid regular expression: error parsing regexp: missing closing ): `b(`\n 1 | t.s regex anyof (a, \"b(\")\n   |                     ^"},
		{`getopt(("-a"), "a") = anyof (a)`, "filter:1:21: operator = anyof cannot compare getopt((\"-a\"), \"a\"), a list: lists compare with in, intersects and exists\n 1 | getopt((\"-a\"), \"a\") = anyof (a)\n   |                     ^"},
		{`evt.type = anyof (open, nope)`, "filter:1:25: unknown event type \"nope\"\n 1 | evt.type = anyof (open, nope)\n   |                         ^"},
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
