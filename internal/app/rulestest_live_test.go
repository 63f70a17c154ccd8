package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// liveRuleTests writes a rules file with one rule (a file whose name
// starts with marker is opened) and a test file of cases, runs them and
// returns the JSON report; an outside process opens the marker all the
// while, whose alerts no case may take.
func liveRuleTests(t *testing.T, marker, cases string) jsonReport {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "rules.yaml", fmt.Sprintf(`- rule: Test marker opened
  desc: a test opened its marker file
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith %s
  output: marker opened (file=%%fd.name proc=%%proc.name command=%%proc.cmdline container=%%container.id)
  priority: WARNING
`, marker))
	path := writeFile(t, dir, "live.tests.yaml", "rules_files: [rules.yaml]\ncases:\n"+cases)
	t.Cleanup(func() {
		files, _ := filepath.Glob(marker + "*")
		for _, f := range files {
			os.Remove(f)
		}
	})
	outside := exec.Command("/bin/sh", "-c", fmt.Sprintf("while :; do : > %s-outside; sleep 0.02; done", marker))
	outside.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := outside.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-outside.Process.Pid, syscall.SIGKILL)
		outside.Wait()
	})
	var out, errOut bytes.Buffer
	err := RunRuleTests(context.Background(), RuleTestOptions{Paths: []string{path}, JSON: true}, &out, &errOut)
	var r jsonReport
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		t.Fatalf("%v: %v\n%s\n%s", err, jerr, out.String(), errOut.String())
	}
	for _, c := range r.Cases {
		b, _ := json.Marshal(c)
		t.Logf("%s", b)
		if c.Status == "skip" {
			testenv.Missing(t, c.Reason)
		}
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	return r
}

// TestRuleTestsLive runs script cases under the live agent: a trigger,
// one whose alert comes from a grandchild, and a benign look-alike; each
// gets exactly its own alerts though another process opens the marker
// meanwhile.
func TestRuleTestsLive(t *testing.T) {
	ebpftest.Live(t)
	marker := fmt.Sprintf("/tmp/kestrel-rules-test-%d", os.Getpid())
	r := liveRuleTests(t, marker, fmt.Sprintf(`  - name: sh opens the marker
    rule: Test marker opened
    kind: trigger
    run: echo x > %[1]s-1
    expect:
      - rule: Test marker opened
        count: 1
        output_fields: {fd.name: %[1]s-1, proc.name: sh}
  - name: a grandchild opens the marker
    rule: Test marker opened
    kind: trigger
    run: sh -c 'sh -c "cat %[1]s-1"' >/dev/null
    expect:
      - rule: Test marker opened
        count: 1
        output_fields: {fd.name: %[1]s-1, proc.name: cat}
  - name: a look-alike file
    rule: Test marker opened
    kind: benign
    run: echo x > /tmp/kestrel-rules-look-alike-%[2]d; rm /tmp/kestrel-rules-look-alike-%[2]d
`, marker, os.Getpid()))
	if r.Passed != 3 {
		t.Errorf("%d passed, want 3", r.Passed)
	}
}

// TestRuleTestsContainerLive runs container cases: the alert from inside
// the container is the case's, not the host's.
func TestRuleTestsContainerLive(t *testing.T) {
	ebpftest.Live(t)
	ctrtest.UsePodman(t)
	marker := fmt.Sprintf("/tmp/kestrel-rules-test-%d", os.Getpid())
	r := liveRuleTests(t, marker, fmt.Sprintf(`  - name: a container opens the marker
    rule: Test marker opened
    kind: trigger
    container:
      image: %[1]s
      run: echo x > %[2]s-ctr
    expect:
      - rule: Test marker opened
        count: 1
        output_fields: {fd.name: %[2]s-ctr}
  - name: a privileged container reads another file
    rule: Test marker opened
    kind: benign
    container:
      image: %[1]s
      privileged: true
      run: cat /etc/hostname
  - name: the host opens the marker
    rule: Test marker opened
    kind: trigger
    run: echo x > %[2]s-host
`, ctrtest.Image, marker))
	if r.Passed != 3 {
		t.Errorf("%d passed, want 3", r.Passed)
	}
	for _, a := range r.Cases[0].Alerts {
		var f map[string]any
		json.Unmarshal(a.OutputFields, &f)
		if id := fmt.Sprint(f["container.id"]); id == "host" || len(id) != 12 {
			t.Errorf("alert of the container case from %q", id)
		}
	}
}
