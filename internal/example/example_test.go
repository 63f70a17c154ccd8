package example

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

func shipped(t *testing.T) string {
	return filepath.Join(testenv.RepoRoot(), "examples", "session.scap")
}

// TestShippedExampleIsCurrent checks that examples/session.scap is what
// this package writes (regenerate it with go run ./internal/tools/mkexample).
func TestShippedExampleIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(shipped(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatal("examples/session.scap is stale: run go run ./internal/tools/mkexample")
	}
}

// TestExampleInSysdig checks that sysdig reads the example and resolves
// what its state blocks and events define: process names, fd names,
// user names and the absolute path of a relative open.
func TestExampleInSysdig(t *testing.T) {
	sysdig := testenv.Tool(t, "sysdig")
	cmd := exec.Command(sysdig, "-r", shipped(t), "-p", "*%evt.num %proc.name %evt.type %fd.name %user.name")
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 44 {
		t.Fatalf("sysdig shows %d events, want 44", len(lines))
	}
	for _, want := range []string{
		"7 cat open /etc/passwd alice",
		"20 bash openat /home/alice/.bash_history alice",
		"34 curl sendto 127.0.0.1:43210->127.0.0.1:8080 alice",
		"44 bash setuid <NA> alice",
	} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("sysdig output lacks %q:\n%s", want, out)
		}
	}
}
