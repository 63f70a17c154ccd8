package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
)

// quietSettings keep a test's run off the default web server port and
// off the host's syslog.
var quietSettings = []string{"webserver.listen_port=0", "log_syslog=false"}

// TestRunLive runs live detection with the embedded default rules while a
// shell reads /etc/shadow and writes a file below /etc, and checks the two
// alerts Falco's rules of the same names would give, field by field.
func TestRunLive(t *testing.T) {
	ebpftest.Live(t)
	marker := fmt.Sprintf("/etc/kestrel-run-test-%d", os.Getpid())
	t.Cleanup(func() { os.Remove(marker) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	var out, errOut bytes.Buffer
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		o := RunOptions{ReplayOptions: ReplayOptions{JSON: true, Hostname: "testhost", Settings: quietSettings},
			Ready: func(string) { close(ready) }}
		err = Run(ctx, o, &out, &errOut)
	})
	select {
	case <-ready:
	case <-waitDone(&wg):
		t.Fatalf("run ended before it started: %v\n%s", err, errOut.String())
	}
	script := "cat /etc/shadow > /dev/null; echo x > " + marker + "; rm " + marker
	if b, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("workload: %v: %s", err, b)
	}
	ebpftest.Settle()
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	want := map[string]map[string]any{
		"Credential file read by unexpected program": {"fd.name": "/etc/shadow", "proc.cmdline": "cat /etc/shadow", "user.name": "root", "container.id": "host"},
		"Write below /etc by unexpected program":     {"fd.name": marker, "proc.cmdline": "sh -c " + script, "user.name": "root", "container.id": "host"},
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a struct {
			Rule, Priority, Hostname, Source string
			OutputFields                     map[string]any `json:"output_fields"`
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("alert %q: %v", line, err)
		}
		fields, ok := want[a.Rule]
		if !ok || a.OutputFields["fd.name"] != fields["fd.name"] || a.OutputFields["proc.cmdline"] != fields["proc.cmdline"] {
			continue // other activity of the host (another program may read /etc/shadow meanwhile)
		}
		seen[a.Rule] = true
		if a.Hostname != "testhost" || a.Source != "syscall" {
			t.Errorf("%s: hostname %q source %q", a.Rule, a.Hostname, a.Source)
		}
		for k, v := range fields {
			if a.OutputFields[k] != v {
				t.Errorf("%s: %s = %v, want %v", a.Rule, k, a.OutputFields[k], v)
			}
		}
	}
	for rule := range want {
		if !seen[rule] {
			t.Errorf("no %q alert; output:\n%s\nstderr:\n%s", rule, out.String(), errOut.String())
		}
	}
	if !strings.Contains(errOut.String(), "0 dropped") {
		t.Errorf("the probe lost events: %s", errOut.String())
	}
}
