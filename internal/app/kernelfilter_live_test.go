package app

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// filterWorkload is a script of actions that rules on opens judge: files
// read and written under the directories the rules watch, by absolute,
// relative, dirfd-relative and roundabout paths, through symbolic links,
// failed opens, and a file-heavy job they do not care about. $1 is a
// scratch directory. Whatever it creates outside it, it removes.
const filterWorkload = `set -u
d=$1
tar cf /dev/null /usr/share/doc 2>/dev/null
cat /etc/hostname /etc/shadow >/dev/null
(cd /etc && cat shadow sudoers >/dev/null 2>&1)
tar cf /dev/null -C /etc shadow gshadow 2>/dev/null
cat /etc/../etc/shadow /etc//shadow /etc/./gshadow >/dev/null 2>&1
cat /etc/shadow-kestrel-missing 2>/dev/null
(cd / && timeout 5 cat ../../etc/hostname ../../root/.ssh/../.ssh/authorized_keys >/dev/null 2>&1)
ln -s /etc/shadow "$d/link" && cat "$d/link" >/dev/null
mkdir -p "$d/home" && echo x >> "$d/home/.bashrc" && echo x >> "$d/home/.profile"
f=/etc/kestrel-filter-test.$$
echo x > "$f" && echo y >> "$f" && rm -f "$f"
(cd /etc && echo x > "kestrel-filter-rel.$$" && rm -f "kestrel-filter-rel.$$")
g=/var/log/kestrel-filter-test.$$
echo x > "$g" && rm -f "$g"
b=/usr/local/bin/kestrel-filter-test.$$
echo x > "$b" && rm -f "$b"
mkdir -p /root/.ssh && touch /root/.ssh/authorized_keys && cat /root/.ssh/authorized_keys >/dev/null
for i in 1 2 3; do cat /usr/share/doc/*/copyright >/dev/null 2>&1; done
`

// TestKernelFilterSameAlertsLive runs the workload once while two agents
// watch it side by side, one with the kernel filter and one without, for
// each rule set: they must raise exactly the same alerts, with the same
// output fields (the same host model), while the filtered one receives
// fewer events.
func TestKernelFilterSameAlertsLive(t *testing.T) {
	ebpftest.Live(t)
	upstream := filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream", "falco_rules.yaml")
	for _, c := range []struct {
		name     string
		rules    string
		settings []string
		filtered bool   // the filter drops opens for this rule set
		want     string // a rule whose alert the workload raises
	}{
		// The subshell's cd then a relative write: the model follows
		// chdir, so the file is named under /etc.
		{"default rules", "", nil, true, "/etc/kestrel-filter-rel."},
		// "Directory traversal monitored file read" matches only opens
		// the kernel always sends (their path argument holds "../"):
		// with it (the workload's timeout cat ../../etc/hostname) and
		// without it, the kernel filters the other rules' opens.
		{"upstream rules", upstream, []string{`rules[]={"disable": {"rule": "Directory traversal monitored file read"}}`}, true, ""},
		{"upstream rules all", upstream, nil, true, "Directory traversal monitored file read"},
	} {
		t.Run(c.name, func(t *testing.T) { sameAlerts(t, c.rules, c.settings, c.filtered, c.want) })
	}
}

func sameAlerts(t *testing.T, rules string, settings []string, filtered bool, want string) {
	dir := t.TempDir()
	var runs [2]*liveRun
	var files [2]string
	for i, on := range []bool{true, false} {
		files[i] = filepath.Join(dir, fmt.Sprintf("alerts-%v.json", on))
		rulesLine := ""
		if rules != "" {
			rulesLine = "rules_files: [" + rules + "]\n"
		}
		cfg := writeFile(t, dir, fmt.Sprintf("kestrel-%v.yaml", on), fmt.Sprintf(`%sjson_output: true
log_syslog: false
watch_config_files: false
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: %q}
webserver: {enabled: true, listen_port: 0, prometheus_metrics_enabled: true}
metrics: {enabled: true}
kernel_filter: {enabled: %v}
append_output:
  - extra_fields: [proc.pid, proc.ppid, proc.cmdline, proc.exepath, proc.cwd, fd.num, fd.name, evt.type, evt.arg.flags, user.name]
container_engines: {docker: {enabled: false}, podman: {enabled: false}, containerd: {enabled: false}, cri: {enabled: false}}
`, rulesLine, files[i], on))
		runs[i] = startRun(t, cfg, settings...)
	}
	script := filepath.Join(dir, "workload.sh")
	if err := os.WriteFile(script, []byte(filterWorkload), 0o700); err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	from := time.Now()
	if out, err := exec.Command("/bin/sh", script, scratch).CombinedOutput(); err != nil {
		t.Logf("workload: %v: %s", err, out)
	}
	to := time.Now()
	time.Sleep(time.Second) // the agents take the last events
	var events, kept [2]float64
	for i, r := range runs {
		fams := scrape(t, r.web)
		events[i], _ = metricValue(fams, "kestrel_source_events_total", nil)
		kept[i], _ = metricValue(fams, "kestrel_kernel_filtered_total", nil)
		r.stop()
		if r.err != nil {
			t.Fatalf("run: %v\n%s", r.err, r.errOut.String())
		}
	}
	// Both agents watch the whole workload; what else the host does
	// meanwhile they both see too.
	on, off := alertLines(t, files[0], from, to), alertLines(t, files[1], from, to)
	if len(off) < 3 {
		t.Fatalf("the workload raised %d alerts without the filter; want a few:\n%s", len(off), strings.Join(off, "\n"))
	}
	if !slices.Equal(on, off) {
		t.Errorf("alerts differ:\nwith the filter (%d):\n%s\nwithout (%d):\n%s", len(on), strings.Join(on, "\n"), len(off), strings.Join(off, "\n"))
	}
	t.Logf("%d alerts each; events received with the filter %v (%v opens kept back), without %v", len(on), events[0], kept[0], events[1])
	if want != "" && !slices.ContainsFunc(on, func(l string) bool { return strings.Contains(l, want) }) {
		t.Errorf("no alert of %q:\n%s", want, strings.Join(on, "\n"))
	}
	if filtered != (kept[0] > 0) || kept[1] != 0 {
		t.Errorf("opens kept back: %v with the filter, %v without; want some with it (%v) and none without", kept[0], kept[1], filtered)
	}
}

// alertLines returns the alerts of a JSON alert file, of events between
// from and to, as sorted lines of their rule and output fields.
func alertLines(t *testing.T, path string, from, to time.Time) []string {
	t.Helper()
	var lines []string
	for _, a := range alertsOf(t, path) {
		at, err := time.Parse(time.RFC3339Nano, a.Time)
		if err != nil {
			t.Fatalf("alert time %q: %v", a.Time, err)
		}
		if at.Before(from) || at.After(to) {
			continue
		}
		// The filter decides opens alone: alerts of other events are
		// left out, as what the two agents know of the test's own
		// ancestry may differ (see the note on proc.aname below).
		switch a.OutputFields["evt.type"] {
		case "open", "openat", "openat2", "creat":
		default:
			continue
		}
		// Each agent's probe takes its own time of the event. The
		// workload's ancestors above its shell, and its session leader,
		// are the test's own (the test binary, go, the shell that ran
		// it), which each agent knows from its own start: not what the
		// filter decides.
		delete(a.OutputFields, "evt.time")
		for k := range a.OutputFields {
			if strings.HasPrefix(k, "proc.aname[") && k != "proc.aname[1]" || k == "proc.sname" {
				delete(a.OutputFields, k)
			}
		}
		b, err := json.Marshal(a.OutputFields)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, a.Rule+" "+string(b))
	}
	slices.Sort(lines)
	return lines
}
