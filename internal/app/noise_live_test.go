package app

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The noise check: Kestrel's default rules must stay quiet on ordinary
// work. TestNoiseLive runs `kestrel run` with the embedded default rules
// and does, one after another, what developers and administrators do all
// day; every alert that comes from one of these workloads is noise.

// noiseWorkload is one kind of ordinary work.
type noiseWorkload struct {
	name  string
	needs []string // programs it runs (a|b: either); missing: skipped here, failed in CI
	run   func(w *noiseRun) error
}

// noiseRun is a workload being run: the processes it starts, each in a
// session of its own, and the time it took.
type noiseRun struct {
	t          *testing.T
	dir        string   // a temp dir of its own
	env        []string // the environment of its commands
	groups     []int64  // the sessions and process groups of its scripts (one id each)
	containers string   // the prefix of its containers' names; their ids are in dir/*.cid
	start, end time.Time
	skipped    string // why it did not run
}

// sh runs a shell script in dir with the workload's environment, as a
// user's shell would: detached from the test (whose ancestry, go test,
// would make every workload look like a build), in a session of its own,
// its parent shell reparented to init; its processes are in the process
// group of the session's leader, whose id w.groups keeps. It waits for the script's end
// through a status file; a failure is the workload's error.
func (w *noiseRun) sh(dir, script string) error {
	n := len(w.groups)
	status := filepath.Join(w.dir, fmt.Sprintf(".status-%d", n))
	out := filepath.Join(w.dir, fmt.Sprintf(".out-%d", n))
	c := exec.Command("/bin/sh", "-c", `/bin/sh -c '/bin/sh -ec "$NOISE_SCRIPT"; echo $? >"$NOISE_STATUS"' >"$NOISE_OUT" 2>&1 </dev/null &`)
	c.Dir = dir
	c.Env = append(append([]string(nil), w.env...), "NOISE_SCRIPT="+script, "NOISE_STATUS="+status, "NOISE_OUT="+out)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Run(); err != nil {
		return fmt.Errorf("start the script: %v", err)
	}
	sid := c.Process.Pid
	w.groups = append(w.groups, int64(sid))
	defer syscall.Kill(-sid, syscall.SIGKILL) // what it left running
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(status)
		if code := strings.TrimSpace(string(b)); err == nil && code != "" {
			if code == "0" {
				return nil
			}
			text, _ := os.ReadFile(out)
			return fmt.Errorf("script exited with status %s:\n%s\n%s", code, script, text)
		}
		if time.Since(start) > noiseScriptTimeout {
			text, _ := os.ReadFile(out)
			return fmt.Errorf("script did not end within %v:\n%s\n%s", noiseScriptTimeout, script, text)
		}
	}
}

// noiseScriptTimeout bounds one script of a workload.
const noiseScriptTimeout = 40 * time.Second

// q quotes s for the shell.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// write writes a file of the workload's (from the test process, which
// Kestrel does not watch).
func (w *noiseRun) write(path, text string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), mode)
}

// noiseAlert is a JSON alert of the file output.
type noiseAlert struct {
	Time         time.Time      `json:"time"`
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
}

func (a noiseAlert) field(name string) string { return fmt.Sprint(a.OutputFields[name]) }

// TestNoiseLive runs ordinary work under `kestrel run` with the default
// rules, attributes each alert to the workload whose time window holds it
// and whose sessions (or containers) raised it, logs a table of the
// alerts per workload, and fails when a workload raised any, printing
// them in full. An alert from another process (other tests, the host's
// own activity) is listed, not counted.
func TestNoiseLive(t *testing.T) {
	ebpftest.Live(t)
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.json")
	engines := ""
	var podmanEnv []string
	if _, err := exec.LookPath("podman"); err == nil {
		podmanEnv = ctrtest.PodmanEnv(t)
		if err := ctrtest.BuildImage(t, podmanEnv); err != nil {
			ctrtest.CannotRun(t, err)
		}
		engines = onlyPodman(ctrtest.PodmanService(t, podmanEnv))
	}
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`json_output: true
log_syslog: false
watch_config_files: false
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: %s}
webserver: {enabled: false}
append_output:
  - extra_fields: [proc.vpgid, proc.sid, proc.pid, proc.name, proc.exepath, container.id, container.name]
%s`, alerts, engines))
	r := startRun(t, cfg)

	runs := map[string]*noiseRun{}
	workloads := noiseWorkloads(podmanEnv)
	for _, wl := range workloads {
		w := &noiseRun{t: t, dir: t.TempDir(), env: os.Environ(), containers: "kestrel-noise-" + wl.name + "-"}
		runs[wl.name] = w
		for _, tool := range wl.needs {
			found := false
			for _, alt := range strings.Split(tool, "|") {
				_, err := exec.LookPath(alt)
				found = found || err == nil
			}
			if !found {
				w.skipped = tool + " is missing"
			}
		}
		if w.skipped != "" {
			if testenv.InCI() {
				t.Errorf("workload %s: %s, and CI=true requires it", wl.name, w.skipped)
			}
			continue
		}
		w.start = time.Now()
		err := wl.run(w)
		w.end = time.Now()
		if err != nil {
			t.Errorf("workload %s: %v", wl.name, err)
		}
	}
	// The agent has seen the workloads' events within a moment; stopping
	// it drains what is left and flushes the file.
	time.Sleep(500 * time.Millisecond)
	r.stop()
	if r.err != nil {
		t.Fatalf("run: %v\n%s", r.err, r.errOut.String())
	}

	got := map[string][]noiseAlert{}
	var others []noiseAlert
	all := readNoiseAlerts(t, alerts)
	for _, a := range all {
		owner := ""
		for _, wl := range workloads {
			if w := runs[wl.name]; w.skipped == "" && w.owns(a) {
				owner = wl.name
			}
		}
		if owner == "" {
			others = append(others, a)
			continue
		}
		got[owner] = append(got[owner], a)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-16s %-8s %-7s %s\n", "WORKLOAD", "ALERTS", "TIME", "RULES")
	for _, wl := range workloads {
		w := runs[wl.name]
		if w.skipped != "" {
			fmt.Fprintf(&table, "%-16s %-8s %-7s %s\n", wl.name, "skipped", "", w.skipped)
			continue
		}
		fmt.Fprintf(&table, "%-16s %-8d %-7s %s\n", wl.name, len(got[wl.name]), w.end.Sub(w.start).Round(100*time.Millisecond), ruleCounts(got[wl.name]))
	}
	t.Logf("alerts of the default rules per workload (%d alerts in all):\n%s", len(all), table.String())
	for _, wl := range workloads {
		if as := got[wl.name]; len(as) > 0 {
			t.Errorf("workload %s raised %d alerts, want none:\n%s", wl.name, len(as), alertsText(as))
		}
	}
	if len(others) > 0 {
		t.Logf("%d alerts from other processes meanwhile (not counted):\n%s", len(others), alertsText(others))
	}
}

// owns reports whether an alert came from the workload: in its time
// window, from one of its scripts' process groups (proc.vpgid, which
// every execve reports; the model learns proc.sid only from /proc and
// setsid events) or sessions, or from one of its containers.
func (w *noiseRun) owns(a noiseAlert) bool {
	if a.Time.Before(w.start) || a.Time.After(w.end) {
		return false
	}
	if strings.HasPrefix(a.field("container.name"), w.containers) {
		return true
	}
	if id := a.field("container.id"); len(id) == 12 {
		cids, _ := filepath.Glob(filepath.Join(w.dir, "*.cid"))
		for _, f := range cids {
			if b, _ := os.ReadFile(f); strings.HasPrefix(string(b), id) {
				return true
			}
		}
	}
	for _, f := range []string{"proc.vpgid", "proc.sid"} {
		if id, ok := a.OutputFields[f].(float64); ok && slices.Contains(w.groups, int64(id)) {
			return true
		}
	}
	return false
}

// readNoiseAlerts reads the JSON alerts of the file output.
func readNoiseAlerts(t *testing.T, path string) []noiseAlert {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []noiseAlert
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var a noiseAlert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alert %q: %v", l, err)
		}
		out = append(out, a)
	}
	return out
}

// ruleCounts summarizes alerts as "rule ×n, …".
func ruleCounts(as []noiseAlert) string {
	n := map[string]int{}
	var order []string
	for _, a := range as {
		if n[a.Rule] == 0 {
			order = append(order, a.Rule)
		}
		n[a.Rule]++
	}
	var parts []string
	for _, r := range order {
		parts = append(parts, fmt.Sprintf("%s ×%d", r, n[r]))
	}
	return strings.Join(parts, ", ")
}

// alertsText renders alerts in full: rule, priority, output and fields.
func alertsText(as []noiseAlert) string {
	var b strings.Builder
	for _, a := range as {
		f, _ := json.Marshal(a.OutputFields)
		fmt.Fprintf(&b, "  - rule %q (%s): %s\n    output_fields: %s\n", a.Rule, a.Priority, a.Output, f)
	}
	return b.String()
}

// noiseWorkloads returns the ordinary work, in the order it runs.
func noiseWorkloads(podmanEnv []string) []noiseWorkload {
	return []noiseWorkload{
		{"go build/test", []string{"go"}, goWorkload},
		{"c build", []string{"cc|clang"}, cWorkload},
		{"dpkg", []string{"dpkg", "dpkg-deb"}, dpkgWorkload},
		{"git", []string{"git"}, gitWorkload},
		{"tar", []string{"tar", "gzip"}, tarWorkload},
		{"podman", []string{"podman"}, func(w *noiseRun) error { return podmanWorkload(w, podmanEnv) }},
		{"home edits", nil, homeWorkload},
	}
}

// goWorkload builds a small Go module with a test in a temp dir, runs the
// program from there and tests it (the test binary runs from a temp dir).
func goWorkload(w *noiseRun) error {
	mod := filepath.Join(w.dir, "hello")
	files := map[string]string{
		"go.mod": "module example.com/hello\n\ngo 1.22\n",
		"main.go": `package main

import (
	"fmt"
	"os"
	"strings"
)

func greet(name string) string { return "hello, " + strings.TrimSpace(name) }

func main() {
	wd, _ := os.Getwd()
	fmt.Println(greet("kestrel"), wd)
}
`,
		"main_test.go": `package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGreet(t *testing.T) {
	if got := greet(" you "); got != "hello, you" {
		t.Fatalf("greet = %q", got)
	}
	p := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(p, []byte(greet("file")), 0o644); err != nil {
		t.Fatal(err)
	}
}
`,
	}
	for name, text := range files {
		if err := w.write(filepath.Join(mod, name), text, 0o644); err != nil {
			return err
		}
	}
	w.env = append(w.env, "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod", "GOPROXY=off", "CGO_ENABLED=0")
	return w.sh(mod, `go build -o hello . && ./hello >/dev/null
go vet ./...
go test -count=1 ./... >/dev/null`)
}

// cWorkload compiles a small C program and runs it from a temp dir in
// /tmp.
func cWorkload(w *noiseRun) error {
	src := filepath.Join(w.dir, "hello.c")
	if err := w.write(src, `#include <stdio.h>
#include <stdlib.h>
int main(void) {
	char *buf = malloc(64);
	snprintf(buf, 64, "hello from C");
	puts(buf);
	free(buf);
	return 0;
}
`, 0o644); err != nil {
		return err
	}
	bin, err := os.MkdirTemp("/tmp", "kestrel-noise-c")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	return w.sh(w.dir, fmt.Sprintf("cc=$(command -v cc || command -v clang)\n\"$cc\" -O2 -Wall -o %[1]s/hello hello.c\ncd %[1]s && ./hello >/dev/null", q(bin)))
}

// noisePackage is the Debian package the dpkg workload installs.
const noisePackage = "kestrel-noise-test"

// dpkgWorkload builds a tiny .deb (a doc file, a postinst that records
// its configuration under /var/lib, a postrm that removes it on purge),
// installs it with dpkg and purges it.
func dpkgWorkload(w *noiseRun) error {
	root := filepath.Join(w.dir, "pkg")
	files := []struct {
		path, text string
		mode       os.FileMode
	}{
		{"DEBIAN/control", "Package: " + noisePackage + "\nVersion: 1.0\nArchitecture: all\nMaintainer: Kestrel tests <tests@example.com>\n" +
			"Section: misc\nPriority: optional\nDescription: Kestrel noise test package\n A package the noise test installs and removes.\n", 0o644},
		{"DEBIAN/postinst", "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  mkdir -p /var/lib/" + noisePackage + "\n" +
			"  date -u > /var/lib/" + noisePackage + "/configured\n  ls /usr/share/doc/" + noisePackage + " >/dev/null\nfi\n", 0o755},
		{"DEBIAN/postrm", "#!/bin/sh\nset -e\nif [ \"$1\" = purge ]; then\n  rm -rf /var/lib/" + noisePackage + "\nfi\n", 0o755},
		{"usr/share/doc/" + noisePackage + "/README", "Installed by Kestrel's noise test; removed at its end.\n", 0o644},
	}
	for _, f := range files {
		if err := w.write(filepath.Join(root, f.path), f.text, f.mode); err != nil {
			return err
		}
	}
	deb := filepath.Join(w.dir, noisePackage+"_1.0_all.deb")
	w.t.Cleanup(func() {
		// Whatever happened, the host keeps no trace of the package.
		if exec.Command("dpkg", "-s", noisePackage).Run() == nil {
			exec.Command("dpkg", "--purge", noisePackage).Run()
		}
		os.RemoveAll("/var/lib/" + noisePackage)
	})
	return w.sh(w.dir, fmt.Sprintf(`dpkg-deb --root-owner-group --build pkg %[1]s >/dev/null
dpkg -i %[1]s >/dev/null
dpkg -s %[2]s >/dev/null && dpkg -L %[2]s >/dev/null
dpkg -r %[2]s >/dev/null
dpkg --purge %[2]s >/dev/null`, q(filepath.Base(deb)), noisePackage))
}

// gitWorkload makes a repository with commits in a temp HOME and clones
// it.
func gitWorkload(w *noiseRun) error {
	home := filepath.Join(w.dir, "home")
	w.env = append(noiseHomeEnv(w.env, home), "GIT_CONFIG_NOSYSTEM=1")
	repo := filepath.Join(home, "src", "project")
	if err := w.write(filepath.Join(repo, "README.md"), "# project\n", 0o644); err != nil {
		return err
	}
	return w.sh(home, `git config --global user.name "Kestrel Noise"
git config --global user.email noise@example.com
git config --global init.defaultBranch main
cd src/project
git init -q
git add README.md && git commit -q -m "first commit"
mkdir -p src && printf 'package main\n\nfunc main() {}\n' > src/main.go
git add -A && git commit -q -m "add main"
echo "more" >> README.md && git commit -q -am "edit readme"
git log --oneline >/dev/null && git status --short >/dev/null
cd ../..
git clone -q src/project clone
cd clone && git log --oneline | wc -l >/dev/null && git branch -a >/dev/null`)
}

// tarWorkload archives /usr/share/doc/bash into a temp dir and extracts
// it there.
func tarWorkload(w *noiseRun) error {
	return w.sh(w.dir, `tar czf doc.tgz -C /usr/share/doc bash
mkdir out && tar xzf doc.tgz -C out
tar tzf doc.tgz >/dev/null && ls -R out >/dev/null`)
}

// podmanWorkload runs the test busybox image with podman doing ordinary
// things.
func podmanWorkload(w *noiseRun, env []string) error {
	w.env = append(w.env, env...)
	return w.sh(w.dir, fmt.Sprintf(`podman run --rm --name %[1]s1 --cidfile 1.cid %[2]s sh -c 'cd /tmp && echo hello > greeting && cat greeting && busybox wc -c greeting && busybox ls / && busybox date' >/dev/null
podman run --rm --name %[1]s2 --cidfile 2.cid -e APP_MODE=test %[2]s sh -c 'busybox env; busybox id; busybox mkdir -p /tmp/work && cd /tmp/work && i=0; while [ $i -lt 5 ]; do echo $i >> log; i=$((i+1)); done; cat log; sleep 0.2' >/dev/null`,
		w.containers, ctrtest.Image))
}

// homeWorkload edits files under a temp HOME as an editor does (a swap
// file, a write to a temp file renamed over the original) and creates
// dotfiles that are not shell configuration.
func homeWorkload(w *noiseRun) error {
	home := filepath.Join(w.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	w.env = noiseHomeEnv(w.env, home)
	return w.sh(home, `printf 'first draft\n' > notes.txt
printf 'swap\n' > .notes.txt.swp
printf 'first draft\nsecond line\n' > notes.txt.tmp && mv notes.txt.tmp notes.txt
cp notes.txt notes.txt~ && rm -f .notes.txt.swp notes.txt~
mkdir -p .config/kestrel-noise .local/share/kestrel-noise .cache/kestrel-noise
printf '[ui]\ntheme = "dark"\n' > .config/kestrel-noise/settings.toml.new && mv .config/kestrel-noise/settings.toml.new .config/kestrel-noise/settings.toml
printf 'root = true\n[*]\nindent_style = tab\n' > .editorconfig
printf 'set number\nsyntax on\n' > .vimrc
printf 'history\n' > .local/share/kestrel-noise/history
printf 'cache\n' > .cache/kestrel-noise/data
chmod 600 .config/kestrel-noise/settings.toml
cat notes.txt .vimrc >/dev/null`)
}

// noiseHomeEnv returns env with HOME (and the XDG directories) set to
// home.
func noiseHomeEnv(env []string, home string) []string {
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == "HOME" || strings.HasPrefix(k, "XDG_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+home)
}
