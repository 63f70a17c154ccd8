package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The container tests run real podman containers under `kestrel run`, with
// a podman API service of their own as the only runtime Kestrel asks.

// podmanRuntime starts what the container tests need: podman's settings,
// the busybox image and a private podman API service. It returns podman's
// environment and the service's socket.
func podmanRuntime(t *testing.T) ([]string, string) {
	t.Helper()
	ebpftest.Live(t)
	testenv.Tool(t, "podman")
	env := ctrtest.PodmanEnv(t)
	if err := ctrtest.BuildImage(t, env); err != nil {
		ctrtest.CannotRun(t, err)
	}
	return env, ctrtest.PodmanService(t, env)
}

// onlyPodman is the container_engines block that asks only the podman
// service on sock.
func onlyPodman(sock string) string {
	return fmt.Sprintf(`container_engines:
  podman: {enabled: true, sockets: [%s]}
  docker: {enabled: false}
  containerd: {enabled: false}
  cri: {enabled: false}
`, sock)
}

// startContainer runs a detached container of image that sleeps, and
// returns its full id; the test's cleanup removes it.
func startContainer(t *testing.T, env []string, image string, args ...string) string {
	t.Helper()
	run := append([]string{"run", "-d"}, args...)
	run = append(run, image, "sleep", "120")
	id, err := ctrtest.Cmd(t, env, "podman", run...)
	if err != nil {
		ctrtest.CannotRun(t, err)
	}
	t.Cleanup(func() { ctrtest.Cmd(t, env, "podman", "rm", "-f", "-t", "0", id) })
	return id
}

// alertJSON is what the tests read of a JSON alert.
type alertJSON struct {
	Time         string         `json:"time"`
	Rule         string         `json:"rule"`
	OutputFields map[string]any `json:"output_fields"`
}

// alertsOf reads the JSON alerts of a file output.
func alertsOf(t *testing.T, path string) []alertJSON {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var as []alertJSON
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var a alertJSON
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alert %q: %v", l, err)
		}
		as = append(as, a)
	}
	return as
}

// TestRunContainerRulesLive runs the upstream rules that name container
// fields against real containers: they fire in a container and not on
// the host, privileged mode is known, and an image in an exception list
// is excepted; the alerts name the container and its image.
func TestRunContainerRulesLive(t *testing.T) {
	env, sock := podmanRuntime(t)
	const other = "localhost/kestrel-other:test"
	if _, err := ctrtest.Cmd(t, env, "podman", "tag", ctrtest.Image, other); err != nil {
		ctrtest.CannotRun(t, err)
	}
	t.Cleanup(func() { ctrtest.Cmd(t, env, "podman", "rmi", other) })
	dir := t.TempDir()
	trusted, _, _ := strings.Cut(ctrtest.Image, ":")
	local := writeFile(t, dir, "local.yaml", fmt.Sprintf(`- list: trusted_images
  items: [%s]
  override:
    items: append
`, trusted))
	alerts := filepath.Join(dir, "alerts.json")
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s, %s]
json_output: true
log_syslog: false
watch_config_files: false
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: %s}
webserver: {enabled: true, listen_port: 0, prometheus_metrics_enabled: true}
append_output:
  - extra_fields: [container.id, container.name, container.image.repository, container.image.tag, container.privileged, container.type]
%s`, filepath.Join(testenv.SharedDir(t), "testdata", "rules", "upstream", "falco_rules.yaml"), local, alerts, onlyPodman(sock)))
	r := startRun(t, cfg)

	trustedCtr := startContainer(t, env, ctrtest.Image, "--name", "kestrel-trusted")
	otherCtr := startContainer(t, env, other, "--name", "kestrel-other")
	privCtr := startContainer(t, env, other, "--name", "kestrel-priv", "--privileged")
	// The containers' records arrive before anything is run in them.
	waitFor(t, "container records", 10*time.Second, func() bool {
		st := scrape(t, r.web)
		v, _ := metricValue(st, "kestrel_container_lookups_total", map[string]string{"result": "ok"})
		return v >= 3
	}, r)
	exec := func(id string, args ...string) {
		t.Helper()
		// A failing command is fine: the rules judge its execution.
		ctrtest.Cmd(t, env, "podman", append([]string{"exec", id}, args...)...)
	}
	for _, id := range []string{trustedCtr, otherCtr} {
		exec(id, "sh", "/dev/shm/kestrel-payload")                                          // Execution from /dev/shm
		exec(id, "sh", "-c", "cp /bin/busybox /tmp/nc && /tmp/nc -e /bin/true 127.0.0.1 9") // Netcat RCE in container
	}
	for _, id := range []string{otherCtr, privCtr} {
		exec(id, "sh", "-c", "cp /bin/busybox /tmp/debugfs && /tmp/debugfs -V") // Debugfs in privileged container
	}
	// The same on the host: the container rules stay quiet.
	nc := filepath.Join(dir, "nc")
	if b, err := os.ReadFile("/bin/busybox"); err == nil {
		os.WriteFile(nc, b, 0o755)
		runCmd(nc, "-e", "/bin/true", "127.0.0.1", "9")
	}

	type key struct{ rule, ctr string }
	want := map[key]bool{
		{"Execution from /dev/shm", "kestrel-other"}:                     true,
		{"Netcat Remote Code Execution in Container", "kestrel-trusted"}: true,
		{"Netcat Remote Code Execution in Container", "kestrel-other"}:   true,
		{"Debugfs Launched in Privileged Container", "kestrel-priv"}:     true,
	}
	got := map[key]alertJSON{}
	waitFor(t, "the container alerts", 15*time.Second, func() bool {
		for _, a := range alertsOf(t, alerts) {
			got[key{a.Rule, fmt.Sprint(a.OutputFields["container.name"])}] = a
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				return false
			}
		}
		return true
	}, r)
	time.Sleep(500 * time.Millisecond) // alerts that should not come would have come by now
	for _, a := range alertsOf(t, alerts) {
		got[key{a.Rule, fmt.Sprint(a.OutputFields["container.name"])}] = a
	}
	for k, a := range got {
		t.Logf("%q in %s: %v", k.rule, k.ctr, a.OutputFields)
	}
	ids := map[string]string{"kestrel-trusted": trustedCtr, "kestrel-other": otherCtr, "kestrel-priv": privCtr}
	for k, a := range got {
		if !strings.Contains(k.rule, "Container") && !strings.Contains(k.rule, "/dev/shm") {
			continue // other upstream rules may fire on what the test does
		}
		if !want[k] {
			t.Errorf("unexpected alert %q in %q: %v", k.rule, k.ctr, a.OutputFields)
			continue
		}
		f := a.OutputFields
		id := ids[k.ctr]
		repo := "localhost/kestrel-other"
		if k.ctr == "kestrel-trusted" {
			repo = trusted
		}
		if f["container.id"] != id[:12] || f["container.image.repository"] != repo || f["container.image.tag"] != "test" ||
			f["container.type"] != "podman" || fmt.Sprint(f["container.privileged"]) != fmt.Sprint(k.ctr == "kestrel-priv") {
			t.Errorf("%q in %s (%s): fields %v", k.rule, k.ctr, id[:12], f)
		}
	}
	r.stop()
	if !strings.Contains(r.errOut.String(), "containers: 1 runtimes asked") {
		t.Errorf("the summary does not count the runtime:\n%s", r.errOut.String())
	}
}

// TestCaptureContainersLive records, with -w, a Docker container that
// lives for less than a second and one that runs a command: every event
// of their processes has the container's id, most have its name and
// image, and the capture's container records give sysdig 0.29.3 the same
// names and images as Kestrel reading it. (Docker, because sysdig 0.29.3
// does not know podman's cgroups.)
func TestCaptureContainersLive(t *testing.T) {
	ebpftest.Live(t)
	sysdig := testenv.Tool(t, "sysdig")
	d := ctrtest.PrivateDockerd(t)
	path := filepath.Join(t.TempDir(), "containers.scap")
	if p := os.Getenv("KESTREL_KEEP_CAPTURE"); p != "" {
		path = p
	}
	ce := config.Default().ContainerEngines
	ce.Docker.Sockets, ce.Podman.Enabled, ce.Containerd.Enabled, ce.CRI.Enabled = []string{d.Sock}, false, false, false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	var stderr syncBuffer
	var wg sync.WaitGroup
	var capErr error
	wg.Go(func() {
		capErr = Capture(ctx, CaptureOptions{Write: path, Containers: &ce, Ready: func() { close(ready) }}, io.Discard, &stderr)
	})
	select {
	case <-ready:
	case <-waitDone(&wg):
		t.Fatalf("capture ended before it started: %v\n%s", capErr, stderr.String())
	}
	short := d.Run(t, "--network", "none", "--name", "kestrel-short", ctrtest.Image, "sh", "-c", "cat /etc/hostname; ls /")
	long := d.Run(t, "--network", "none", "--name", "kestrel-long", ctrtest.Image, "sleep", "120")
	d.Cmd(t, "wait", short)
	d.Cmd(t, "exec", long, "cat", "/etc/hostname")
	time.Sleep(300 * time.Millisecond)
	cancel()
	wg.Wait()
	if capErr != nil {
		t.Fatalf("capture: %v\n%s", capErr, stderr.String())
	}

	const format = "%evt.num %container.id %container.name %container.image %proc.pid %proc.vpid %proc.name"
	var out bytes.Buffer
	if err := Read(context.Background(), ReadOptions{Path: path, Format: format}, &out, io.Discard); err != nil {
		t.Fatalf("kestrel read: %v", err)
	}
	sd, err := exec.Command(sysdig, "-r", path, "-p", format).CombinedOutput()
	if err != nil {
		t.Fatalf("sysdig -r: %v\n%s", err, sd)
	}
	ours := containerLines(out.String(), short[:12], long[:12])
	theirs := containerLines(string(sd), short[:12], long[:12])
	for _, c := range []struct{ id, name string }{{short[:12], "kestrel-short"}, {long[:12], "kestrel-long"}} {
		lines := ours[c.id]
		named := 0
		for _, f := range lines {
			if f[2] == c.name && f[3] == ctrtest.Image {
				named++
			} else if f[2] != "<NA>" {
				t.Errorf("%s: event %s says name %q image %q", c.name, f[0], f[2], f[3])
			}
		}
		t.Logf("%s: %d events, %d with the name and image", c.name, len(lines), named)
		if len(lines) == 0 || named == 0 {
			t.Errorf("%s: %d events, %d with its name and image", c.name, len(lines), named)
		}
		// The container columns only: sysdig 0.29.3 takes the child of a
		// clone3 that creates a thread in a new pid namespace (runc's
		// init) for a process of its own.
		if a, b := containerColumns(lines), containerColumns(theirs[c.id]); a != b {
			t.Errorf("%s: kestrel read and sysdig differ:\nkestrel: %v\nsysdig:  %v", c.name, a, b)
		}
	}
	// Every event of a process in a container's pid namespace has an id.
	for _, l := range strings.Split(out.String(), "\n") {
		f := strings.Fields(l)
		if len(f) == 7 && f[4] != f[5] && f[5] != "<NA>" && f[1] == "host" {
			t.Errorf("an event in a pid namespace is on the host: %s", l)
		}
	}
}

// containerColumns returns the event number and container fields of
// lines, one line each.
func containerColumns(lines [][]string) string {
	var b strings.Builder
	for _, f := range lines {
		fmt.Fprintln(&b, f[0], f[1], f[2], f[3])
	}
	return b.String()
}

// containerLines returns, by container id, the fields of the lines of
// the containers ids.
func containerLines(out string, ids ...string) map[string][][]string {
	m := map[string][][]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		for _, id := range ids {
			if f[1] == id {
				m[id] = append(m[id], f)
			}
		}
	}
	return m
}

// TestRunPodsLive runs Kubernetes-style pods through containerd's CRI
// service: the alerts of actions in their containers carry the pod's name,
// namespace, uid, labels and IP, the container's name and image, and
// privileged mode; the same action on the host raises none.
func TestRunPodsLive(t *testing.T) {
	ebpftest.Live(t)
	c := ctrtest.PrivateCRI(t)
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules.yaml", `- rule: Cat in a pod
  desc: a test ran cat in a container
  condition: evt.type in (execve, execveat) and evt.dir = < and proc.name = cat and container.id != host
  output: cat in a pod (pod=%k8s.pod.name ns=%k8s.ns.name container=%container.name)
  priority: NOTICE
`)
	alerts := filepath.Join(dir, "alerts.json")
	cfg := writeFile(t, dir, "kestrel.yaml", fmt.Sprintf(`rules_files: [%s]
json_output: true
log_syslog: false
watch_config_files: false
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: %s}
webserver: {enabled: true, listen_port: 0}
append_output:
  - extra_fields: [k8s.pod.name, k8s.ns.name, k8s.pod.uid, k8s.pod.labels, k8s.pod.ip, k8s.pod.sandbox_id, container.id, container.name, container.image, container.type, container.privileged]
container_engines:
  cri: {enabled: true, sockets: [%s]}
  containerd: {enabled: true, sockets: [%s]}
  docker: {enabled: false}
  podman: {enabled: false}
`, rules, alerts, c.Socket, c.Socket))
	r := startRun(t, cfg)
	web := c.RunPod(t, "kestrel-web", false)
	app := c.RunContainer(t, web, "app", false, false)
	priv := c.RunPod(t, "kestrel-priv", true)
	tool := c.RunContainer(t, priv, "tool", true, true)
	c.Exec(t, app, "cat", "/etc/hostname")
	c.Exec(t, tool, "cat", "/etc/hostname")
	runCmd("cat", "/etc/hostname")
	byPod := map[string]map[string]any{}
	waitFor(t, "two alerts", 15*time.Second, func() bool {
		for _, a := range alertsOf(t, alerts) {
			byPod[fmt.Sprint(a.OutputFields["k8s.pod.name"])] = a.OutputFields
		}
		return len(byPod) >= 2
	}, r)
	time.Sleep(300 * time.Millisecond)
	if as := alertsOf(t, alerts); len(as) != 2 {
		t.Errorf("%d alerts, want 2 (one per pod, none for the host): %v", len(as), as)
	}
	for _, w := range []struct {
		pod        *ctrtest.Pod
		ctr, name  string
		privileged bool
	}{{web, app, "app", false}, {priv, tool, "tool", true}} {
		md := w.pod.Config.GetMetadata()
		f := byPod[md.GetName()]
		if f == nil {
			t.Errorf("no alert from pod %s: %v", md.GetName(), byPod)
			continue
		}
		want := map[string]string{"k8s.ns.name": md.GetNamespace(), "k8s.pod.uid": w.pod.UID, "k8s.pod.sandbox_id": w.pod.ID[:12],
			"container.id": w.ctr[:12], "container.name": w.name, "container.image": ctrtest.Image, "container.type": "containerd",
			"container.privileged": fmt.Sprint(w.privileged)}
		for k, v := range want {
			if fmt.Sprint(f[k]) != v {
				t.Errorf("pod %s: %s = %v, want %s", md.GetName(), k, f[k], v)
			}
		}
		if labels := fmt.Sprint(f["k8s.pod.labels"]); !strings.Contains(labels, "app:"+md.GetName()) || !strings.Contains(labels, "tier:test") {
			t.Errorf("pod %s: labels %q", md.GetName(), labels)
		}
		ip := fmt.Sprint(f["k8s.pod.ip"])
		if w.privileged && ip != "<nil>" {
			t.Errorf("host-network pod %s: ip %q, want none", md.GetName(), ip)
		}
		if !w.privileged && !strings.HasPrefix(ip, strings.TrimSuffix(c.Subnet, "0/24")) {
			t.Errorf("pod %s: ip %q, not in %s", md.GetName(), ip, c.Subnet)
		}
	}
}
