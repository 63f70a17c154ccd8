package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// recorderFormat is printed by Kestrel and sysdig for a capture on alert.
const recorderFormat = "*%evt.dir|%evt.type|%proc.name|%proc.pid|%proc.ppid|%fd.name|%evt.res"

// recorderTypes are the event types of the script compared.
var recorderTypes = append(slices.Clone(comparedTypes), "write")

// TestFlightRecorderLive runs the agent with a rule marked for capture on
// the exec of a file in a temporary directory, then a script: a
// download-like write of that file, a chmod, a connection to a local
// listener, and the exec. The alert names its capture; the capture is
// 0600 and holds the whole script, the events before the alert among
// them; sysdig 0.29.3 shows its events with the same process and fd
// names as kestrel read; and the metrics count it.
func TestFlightRecorderLive(t *testing.T) {
	ebpftest.Live(t)
	sysdig := testenv.Tool(t, "sysdig")
	dir, capDir := t.TempDir(), t.TempDir()
	rulesFile := writeFile(t, dir, "rules.yaml", payloadRule(dir))
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s]
json_output: true
log_syslog: false
watch_config_files: false
webserver: {enabled: true, listen_port: 0, prometheus_metrics_enabled: true}
base_syscalls: {custom_set: [write, fchmodat, chmod, connect]}
kernel_filter: {enabled: false}
capture: {enabled: true, path_prefix: %s/kestrel, before_duration: 5000, ring_size_mb: 16}
`, rulesFile, capDir))
	port := localListener(t)

	r := startRun(t, cfg)
	pid := runScript(t, dir, port)
	var path string
	waitFor(t, "the alert", 10*time.Second, func() bool { path = alertCapture(t, r.out.String()); return path != "" }, r)
	if !strings.HasPrefix(path, capDir+"/kestrel_") || !strings.HasSuffix(path, ".scap") {
		t.Fatalf("capture.path %q", path)
	}
	waitFor(t, "the capture file", 10*time.Second, func() bool { _, err := os.Stat(path); return err == nil }, r)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("capture mode %v, want 0600", fi.Mode().Perm())
	}
	waitFor(t, "the capture metrics", 5*time.Second, func() bool {
		fams := scrape(t, r.web)
		n, _ := metricValue(fams, "kestrel_captures_total", nil)
		b, _ := metricValue(fams, "kestrel_capture_bytes_total", nil)
		return n == 1 && b == float64(fi.Size())
	}, r)

	ours := scriptLines(t, kestrelRead(t, path), pid)
	theirs := scriptLines(t, sysdigRead(t, sysdig, path), pid)
	t.Logf("%d events of the script compared", len(theirs))
	if !slices.Equal(ours, theirs) {
		t.Errorf("kestrel read and sysdig differ:\nkestrel:\n%s\nsysdig:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
	payload := filepath.Join(dir, "payload")
	for _, w := range [][]string{
		{"<|write|head|", "|" + payload + "|"},
		{"<|fchmodat|chmod|"},
		{"<|connect|bash|", fmt.Sprintf("->127.0.0.1:%d|", port)},
		{"<|execve|payload|"},
	} {
		if len(ebpftest.Lines(strings.Join(theirs, "\n"), w...)) == 0 {
			t.Errorf("sysdig shows no %q in the capture:\n%s", w, strings.Join(theirs, "\n"))
		}
	}
	if i, j := indexWith(theirs, "<|write|head|"), indexWith(theirs, "<|execve|payload|"); i < 0 || j < i {
		t.Errorf("the write (%d) does not come before the exec (%d)", i, j)
	}
}

// acceptAll accepts connections until l is closed.
func acceptAll(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// runScript writes dir/payload as a download would, makes it executable,
// connects to port, and runs the payload, from a bash whose pid it
// returns (Kestrel does not watch its own process).
func runScript(t *testing.T, dir string, port int) int {
	t.Helper()
	script := `head -c 100000000 /bin/true > "$1/payload" && chmod +x "$1/payload" && exec 3<>"/dev/tcp/127.0.0.1/$2" && "$1/payload"; exit $?`
	cmd := exec.Command("bash", "-c", script, "script", dir, strconv.Itoa(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("script: %v: %s", err, out.String())
	}
	return cmd.Process.Pid
}

// alertCapture returns the capture.path of the alert of the rule, "" when
// none came yet.
func alertCapture(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, `"rule":"Payload run"`) {
			continue
		}
		var a struct {
			OutputFields map[string]any `json:"output_fields"`
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alert %s: %v", l, err)
		}
		p, _ := a.OutputFields[CapturePathField].(string)
		if p == "" {
			t.Fatalf("alert without %s: %s", CapturePathField, l)
		}
		return p
	}
	return ""
}

func kestrelRead(t *testing.T, path string) string {
	t.Helper()
	var out bytes.Buffer
	if err := Read(context.Background(), ReadOptions{Path: path, Format: recorderFormat}, &out, io.Discard); err != nil {
		t.Fatalf("kestrel read: %v", err)
	}
	return out.String()
}

func sysdigRead(t *testing.T, sysdig, path string) string {
	t.Helper()
	cmd := exec.Command(sysdig, "-r", path, "-p", recorderFormat)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig -r: %v\n%s", err, out)
	}
	return string(out)
}

// scriptLines returns the lines of the compared types of the script's
// processes: the bash of pid and its children.
func scriptLines(t *testing.T, out string, pid int) []string {
	t.Helper()
	p := strconv.Itoa(pid)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "|")
		if len(f) < 7 || !slices.Contains(recorderTypes, f[1]) || (f[3] != p && f[4] != p) {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func indexWith(lines []string, s string) int {
	return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, s) })
}

// TestFlightRecorderScopeLive runs the agent with capture.scope
// process_tree, the default capture.syscalls (the rules select execve
// alone; custom_set adds write) and the kernel filter left on, reloads it,
// then runs an unrelated process that opens files, and the script. The
// capture holds the script's sequence (the syscalls only
// capture.syscalls select, after the reload too, and the opens no rule
// needs, which the kernel filter would drop) and none of the unrelated
// process's events; sysdig 0.29.3 shows the script's events with the
// same names as kestrel read.
func TestFlightRecorderScopeLive(t *testing.T) {
	ebpftest.Live(t)
	sysdig := testenv.Tool(t, "sysdig")
	dir, capDir := t.TempDir(), t.TempDir()
	rulesFile := writeFile(t, dir, "rules.yaml", payloadRule(dir))
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s]
json_output: true
log_syslog: false
watch_config_files: false
webserver: {enabled: false}
base_syscalls: {custom_set: [write]}
capture: {enabled: true, path_prefix: %s/kestrel, before_duration: 5000, ring_size_mb: 16, scope: process_tree}
`, rulesFile, capDir))
	port := localListener(t)

	r := startRun(t, cfg)
	r.signals <- syscall.SIGHUP
	waitFor(t, "the reload", 5*time.Second, func() bool { return strings.Contains(r.errOut.String(), "reloaded") }, r)
	var unrelated []string
	for i := range 5 {
		unrelated = append(unrelated, writeFile(t, dir, fmt.Sprintf("unrelated-%d", i), "x"))
	}
	if out, err := runCmd("cat", unrelated...); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
	pid := runScript(t, dir, port)
	var path string
	waitFor(t, "the alert", 10*time.Second, func() bool { path = alertCapture(t, r.out.String()); return path != "" }, r)
	waitFor(t, "the capture file", 10*time.Second, func() bool { _, err := os.Stat(path); return err == nil }, r)

	all := kestrelRead(t, path)
	if strings.Contains(all, "unrelated-") {
		t.Errorf("the capture shows the unrelated process's events:\n%s", strings.Join(ebpftest.Lines(all, "unrelated-"), "\n"))
	}
	ours := scriptLines(t, all, pid)
	theirs := scriptLines(t, sysdigRead(t, sysdig, path), pid)
	t.Logf("%d events of the script compared; %d lines in the capture", len(theirs), strings.Count(all, "\n"))
	if !slices.Equal(ours, theirs) {
		t.Errorf("kestrel read and sysdig differ:\nkestrel:\n%s\nsysdig:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
	payload := filepath.Join(dir, "payload")
	for _, w := range [][]string{
		{"<|openat|bash|", "|" + payload + "|"},
		{"<|write|head|", "|" + payload + "|"},
		{"<|fchmodat|chmod|"},
		{"<|connect|bash|", fmt.Sprintf("->127.0.0.1:%d|", port)},
		{"<|execve|payload|"},
	} {
		if len(ebpftest.Lines(strings.Join(theirs, "\n"), w...)) == 0 {
			t.Errorf("sysdig shows no %q in the capture:\n%s", w, strings.Join(theirs, "\n"))
		}
	}
}

// payloadRule is a rules file with one rule marked for capture: a file of
// dir is run.
func payloadRule(dir string) string {
	return fmt.Sprintf(`- rule: Payload run
  desc: a file written in the test's directory is run
  condition: evt.type in (execve, execveat) and evt.dir = < and proc.exepath startswith %s/
  output: payload run (exe=%%proc.exepath parent=%%proc.pname)
  priority: WARNING
  capture: true
  capture_duration: 1000
`, dir)
}

// localListener listens on a loopback port that accepts every connection,
// until the test ends, and returns the port.
func localListener(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go acceptAll(l)
	return l.Addr().(*net.TCPAddr).Port
}
