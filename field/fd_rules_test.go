package field_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestUpstreamRulesFDFields checks that every fd.*, fdlist.* and fs.*
// field the upstream Falco rules mention (conditions, outputs, comments)
// is a field Kestrel knows.
func TestUpstreamRulesFDFields(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream", "*.yaml"))
	if len(paths) == 0 {
		testenv.Missing(t, "upstream rules")
	}
	re := regexp.MustCompile(`\b(fd|fdlist|fs)\.[a-z0-9_.]*[a-z0-9_](\[[0-9]+\])?`)
	reg := field.Default()
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range re.FindAllStringIndex(string(b), -1) {
			m := string(b[loc[0]:loc[1]])
			if seen[m] || string(b[loc[1]:min(loc[1]+2, len(b))]) == ".*" {
				continue // a family of fields ("fs.path.*") in a comment
			}
			seen[m] = true
			if d, _, n, err := reg.Match(m); err != nil || n != len(m) {
				t.Errorf("%s: %q is not a field Kestrel knows (%v, %v)", filepath.Base(p), m, d, err)
			}
		}
	}
	if len(seen) < 20 {
		t.Fatalf("found only %d fd/fs fields in the rules", len(seen))
	}
}

// TestFDFilterConditions compiles conditions of the kinds the upstream
// rules write on fd fields.
func TestFDFilterConditions(t *testing.T) {
	for _, src := range []string{
		"fd.net != 10.0.0.0/8 and fd.snet in (192.168.0.0/16, 172.16.0.0/12)",
		"fd.ip = 169.254.169.254 or fd.rip = 100.100.100.200",
		"fd.port in (22, 80) and fd.sport > 1024 and fd.lport < 1024",
		"fd.proto = 443",
		"fd.types[0] in (ipv4, ipv6) and fd.type in (ipv4, ipv6) and fd.typechar = 4",
		"fd.nameraw contains '../' and fd.nameraw glob '*../*../*'",
		"fd.l4proto != tcp and fd.connected = false and fd.name_changed = true",
		"fd.sockfamily = ip and fd.num >= 0 and fd.is_server = true",
		"fd.directory in (/etc, /bin) and fd.filename startswith passwd",
		"fs.path.name startswith /etc and fs.path.target exists",
		"fdlist.names contains /etc",
	} {
		if _, err := filter.Compile(src, filter.Options{}); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}
