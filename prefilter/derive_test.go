package prefilter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/driver"
)

// sig renders a pre-filter compactly: "nil", or its parts.
func sig(p driver.Prefilter) string {
	f := p.Open
	if f == nil {
		return "nil"
	}
	var parts []string
	if f.Failed {
		parts = append(parts, "failed")
	}
	if f.WriteAll {
		parts = append(parts, "writeall")
	}
	add := func(k string, xs []string) {
		if len(xs) > 0 {
			parts = append(parts, k+"="+strings.Join(xs, ","))
		}
	}
	add("any", f.Any.Prefixes)
	add("anynames", f.Any.Names)
	add("write", f.Write.Prefixes)
	add("writenames", f.Write.Names)
	if len(parts) == 0 {
		return "dirs"
	}
	return strings.Join(parts, " ")
}

// testDefs are lists and macros the table's conditions use.
const testDefs = `
- list: inner
  items: [/a1, /a2]
- list: outer
  items: [inner, /b1]
- list: names
  items: [id_rsa, .bashrc]
- list: dirs
  items: [/bin, /usr/bin]
- list: shells
  items: [bash, sh]
- macro: under_x
  condition: fd.name startswith /x/
- macro: ok_open
  condition: evt.type in (open, openat, openat2) and fd.num >= 0
- macro: write_open
  condition: ok_open and evt.is_open_write = true
`

func ruleYAML(name, cond, extra string) string {
	return fmt.Sprintf("- rule: %s\n  desc: d\n  condition: %s\n  output: o\n  priority: INFO\n  warn_evttypes: false\n%s",
		name, cond, extra)
}

func deriveCond(t *testing.T, cond, extra string) (driver.Prefilter, Report) {
	t.Helper()
	src := testDefs + ruleYAML("r", cond, extra)
	return Derive(compileBytes(t, "t.yaml", []byte(src)), Options{})
}

func TestDeriveConditions(t *testing.T) {
	for _, c := range []struct{ cond, extra, want string }{
		// Path, mode and outcome.
		{"evt.type = open and fd.name startswith /etc and evt.is_open_write = true", "", "failed write=/etc"},
		{"write_open and fd.name startswith /etc/", "", "write=/etc/"},
		{"ok_open and fd.name in (/a, /b)", "", "any=/a,/b"},
		{"evt.type = open and evt.rawres >= 0 and fd.name = /a", "", "any=/a"},
		{"evt.type = open and evt.res = SUCCESS and fd.name = /a", "", "any=/a"},
		{"evt.type = open and evt.failed = false and fd.name = /a", "", "any=/a"},
		{"evt.type = open and evt.res startswith E", "", "failed"},
		{"evt.type = open and fd.num = -1", "", "failed"},
		{"evt.type in (open, openat) and evt.arg.flags contains O_TRUNC and fd.num >= 0", "", "writeall"},
		{"evt.type = creat and fd.num >= 0 and evt.is_open_create = true", "", "writeall"},
		// Or of and; and over or.
		{"(evt.type = open and fd.name = /a and fd.num >= 0) or (evt.type = openat and fd.directory = /b and evt.is_open_write = true and fd.num >= 0)", "",
			"any=/a write=/b/"},
		{"ok_open and (fd.name startswith /a or fd.name startswith /b) and (fd.name startswith /a/x or fd.name = /b/y)", "", "any=/a/x,/b/y"},
		{"ok_open and fd.name startswith /a and fd.name startswith /b", "", "dirs"},
		// Not: anything, but for outcomes and event types.
		{"ok_open and not fd.name startswith /etc", "", "any=/"},
		{"evt.type = open and not evt.rawres >= 0", "", "failed"},
		{"evt.type = open and not evt.failed = true", "", "any=/"},
		{"not evt.type in (open, openat, openat2, creat) and fd.name = /a", "",
			"nil"}, // runs on every other event with an fd
		{"evt.type = execve and not evt.type = open", "", "dirs"},
		{"ok_open and not (evt.res != SUCCESS)", "", "any=/"},
		{"evt.type = open and not evt.res = ENOENT", "", "nil"},
		{"evt.type = open and not evt.res = ENOENT and fd.name = /a", "", "failed any=/a"},
		// Macros, exceptions, lists of lists.
		{"ok_open and under_x", "", "any=/x/"},
		{"ok_open and fd.name in (outer)", "", "any=/a1,/a2,/b1"},
		{"ok_open and fd.name startswith /etc", "  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [in, startswith]\n      values: [[[shells], /etc/ok]]\n",
			"any=/etc"},
		{"ok_open and fd.name startswith /etc", "  exceptions:\n    - name: e\n      fields: [fd.name]\n      values: [[/etc/x]]\n", "any=/etc"},
		// Globs, pmatch, directories, file names.
		{"ok_open and fd.name glob /etc/*.conf", "", "any=/etc/"},
		{"ok_open and fd.name glob '*/id_rsa'", "", "anynames=id_rsa"},
		{"ok_open and fd.name glob '*id_rsa'", "", "any=/"},
		{"ok_open and fd.name glob /etc/passwd", "", "any=/etc/passwd"},
		{"ok_open and fd.name pmatch (/etc/, /root)", "", "any=/etc,/root"},
		{"ok_open and fd.directory in (dirs)", "", "any=/bin/,/usr/bin/"},
		{"ok_open and fd.directory = / ", "", "any=/"},
		{"ok_open and fd.directory = /etc and fd.filename = shadow", "", "any=/etc/shadow"},
		{"ok_open and fd.filename in (names)", "", "anynames=.bashrc,id_rsa"},
		{"ok_open and fd.name endswith /id_rsa", "", "anynames=id_rsa"},
		{"ok_open and fd.name endswith id_rsa", "", "any=/"},
		{"ok_open and fd.name contains /etc", "", "any=/"},
		{"ok_open and fd.name startswith anyof (/a, /b)", "", "any=/a,/b"},
		{"ok_open and fd.name startswith etc", "", "any=/"},
		// Checks the kernel cannot decide.
		{"ok_open and tolower(fd.name) = /etc/shadow", "", "any=/"},
		{"ok_open and fd.name = val(proc.exepath)", "", "any=/"},
		{"ok_open and fd.name icontains /etc", "", "any=/"},
		{"ok_open and fd.name iglob /etc/*", "", "any=/"},
		{"ok_open and evt.arg.name startswith /etc", "", "any=/"},
		{"ok_open and fd.nameraw startswith /etc", "", "any=/"},
		{"evt.type = open and proc.name in (shells)", "", "nil"},
		// Model lifecycle.
		{"evt.type = close and fd.name startswith /etc", "", "nil"},
		{"evt.type = fcntl and fd.filename = x", "", "nil"},
		{"evt.type = read and fd.name startswith /etc", "", "dirs"}, // not run without -A
		{"fd.name startswith /etc and proc.name = x", "", "nil"},
		{"evt.type = dup and (fd.typechar = 4 or fd.typechar = 6) and fd.num in (0, 1, 2)", "", "dirs"},
		{"evt.type = connect and fd.type in (ipv4, ipv6) and not fd.sip in (10.0.0.1)", "", "dirs"},
		{"evt.type = close and not fd.type = ipv4", "", "nil"},
		{"evt.type = rmdir and not fd.name startswith /etc", "", "dirs"},
		{"evt.type = execve and fd.types intersects (file)", "", "nil"},
		{"evt.type = execve and proc.stdin.type = file", "", "nil"},
		{"evt.type = poll and fdlist.names contains /etc", "", "nil"},
		{"evt.type = dup2 and evt.arg.oldfd contains /etc", "", "nil"},
		{"evt.type = unlinkat and evt.arg.name startswith /etc", "", "dirs"},
	} {
		p, rep := deriveCond(t, c.cond, c.extra)
		if got := sig(p); got != c.want {
			t.Errorf("%s\n got  %s\n want %s\n%s", c.cond, got, c.want, rep)
		}
	}
}

func TestDeriveNoRules(t *testing.T) {
	p, rep := Derive(compileBytes(t, "t.yaml", []byte(testDefs)), Options{})
	if sig(p) != "dirs" || len(rep.Rules) != 0 {
		t.Fatalf("no rules: %s\n%s", sig(p), rep)
	}
}

func TestNormalizeEqual(t *testing.T) {
	a := driver.Prefilter{Open: &driver.OpenFilter{
		Any:   driver.PathSet{Prefixes: []string{"/etc/shadow", "/etc/", "/b", "/a", "/a"}, Names: []string{"y", "x", "y"}},
		Write: driver.PathSet{Prefixes: []string{"/etc/x", "/var/", "/var/log/"}, Names: []string{"x", "z"}},
	}}
	b := driver.Prefilter{Open: &driver.OpenFilter{
		Any:   driver.PathSet{Prefixes: []string{"/a", "/b", "/etc/"}, Names: []string{"x", "y"}},
		Write: driver.PathSet{Prefixes: []string{"/var/"}, Names: []string{"z"}},
	}}
	if got := sig(Normalize(a)); got != "any=/a,/b,/etc/ anynames=x,y write=/var/ writenames=z" {
		t.Fatalf("normalised: %s", got)
	}
	if !Equal(a, b) || Equal(a, driver.Prefilter{}) || !Equal(driver.Prefilter{}, driver.Prefilter{}) {
		t.Fatal("Equal")
	}
	b.Open.Failed = true
	if Equal(a, b) {
		t.Fatal("Equal ignores Failed")
	}
	w := driver.Prefilter{Open: &driver.OpenFilter{WriteAll: true, Write: driver.PathSet{Prefixes: []string{"/x"}}}}
	if got := sig(Normalize(w)); got != "writeall" {
		t.Fatalf("WriteAll: %s", got)
	}
}
