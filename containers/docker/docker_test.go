package docker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/containers/docker"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/state"
)

func TestOpenMissingSocket(t *testing.T) {
	_, err := docker.Open(context.Background(), docker.Options{
		Socket: filepath.Join(t.TempDir(), "absent.sock"), Engine: state.CTDocker})
	if !errors.Is(err, containers.ErrUnavailable) {
		t.Fatalf("Open of a missing socket: %v, want ErrUnavailable", err)
	}
}

func TestServes(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		engine state.ContainerType
		serves []state.ContainerType
		name   string
	}{
		{state.CTDocker, []state.ContainerType{state.CTDocker, state.CTCRI}, "docker unix://" + sock},
		{state.CTPodman, []state.ContainerType{state.CTPodman}, "podman unix://" + sock},
	} {
		c, err := docker.Open(context.Background(), docker.Options{Socket: sock, Engine: tc.engine})
		if err != nil {
			t.Fatal(err)
		}
		if c.Name() != tc.name {
			t.Errorf("Name() = %q, want %q", c.Name(), tc.name)
		}
		for typ := state.CTDocker; typ <= state.CTPodman; typ++ {
			want := false
			for _, s := range tc.serves {
				want = want || s == typ
			}
			if got := c.Serves(typ); got != want {
				t.Errorf("%s engine: Serves(%s) = %v, want %v", tc.engine, typ, got, want)
			}
		}
		c.Close()
	}
	if _, err := docker.Open(context.Background(), docker.Options{Socket: sock, Engine: state.CTCRIO}); err == nil {
		t.Error("Open with engine cri-o: no error")
	}
}

// TestTimeout checks that an engine that accepts connections and never
// answers costs a request about the timeout, not a hang.
func TestTimeout(t *testing.T) {
	sock := ctrtest.SilentSocket(t)

	const timeout = 300 * time.Millisecond
	c, err := docker.Open(context.Background(), docker.Options{Socket: sock, Engine: state.CTDocker, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Inspect(context.Background(), containers.Query{ID: "0123456789ab"})
	if took := time.Since(start); err == nil || took > 4*timeout {
		t.Errorf("Inspect of a mute engine: %v after %v, want an error within about %v", err, took, timeout)
	}
	start = time.Now()
	err = c.Watch(context.Background(), make(chan containers.Event))
	if took := time.Since(start); err == nil || took > 4*timeout {
		t.Errorf("Watch of a mute engine: %v after %v, want an error within about %v", err, took, timeout)
	}
}

// podman is a private podman API service and a client of it.
type podman struct {
	env    []string
	sock   string
	client *docker.Client
	prefix string // names of the test's containers and pods start with it
}

func startPodman(t *testing.T) *podman {
	t.Helper()
	testenv.Tool(t, "podman")
	env := ctrtest.PodmanEnv(t)
	if err := ctrtest.BuildImage(t, env); err != nil {
		ctrtest.CannotRun(t, err)
	}
	sock := ctrtest.PodmanService(t, env)
	c, err := docker.Open(context.Background(), docker.Options{Socket: sock, Engine: state.CTPodman, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &podman{env: env, sock: sock, client: c, prefix: "kestrel-docker-" + randomHex(4) + "-"}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// run starts a container (podman run -d ARGS) that the test's cleanup
// removes, and returns its full id.
func (p *podman) run(t *testing.T, args ...string) string {
	t.Helper()
	name := p.prefix + strings.ReplaceAll(t.Name(), "/", "-")
	all := append([]string{"run", "-d", "--name", name}, args...)
	all = append(all, ctrtest.Image, "sleep", "300")
	// By name: a run that fails may leave a container behind.
	t.Cleanup(func() { ctrtest.Cmd(t, p.env, "podman", "rm", "-f", "-t", "0", name) })
	id, err := ctrtest.Cmd(t, p.env, "podman", all...)
	if err != nil {
		ctrtest.CannotRun(t, err)
	}
	return id
}

// libpodInspect is what `podman inspect` says of a container, in
// podman's own format (not the Docker API's).
type libpodInspect struct {
	ID          string `json:"Id"`
	Created     time.Time
	Name        string
	Image       string
	ImageName   string
	ImageDigest string
	Config      struct {
		Labels map[string]string
	}
	HostConfig struct {
		Privileged                    bool
		PidMode, NetworkMode, IpcMode string
	}
	NetworkSettings struct{ IPAddress string }
	Mounts          []struct {
		Source, Destination, Mode, Propagation string
		RW                                     bool
	}
}

func (p *podman) inspect(t *testing.T, id string) libpodInspect {
	t.Helper()
	out, err := ctrtest.Cmd(t, p.env, "podman", "inspect", "--type", "container", id)
	if err != nil {
		t.Fatal(err)
	}
	var li []libpodInspect
	if err := json.Unmarshal([]byte(out), &li); err != nil || len(li) != 1 {
		t.Fatalf("podman inspect %s: %v: %s", id, err, out)
	}
	return li[0]
}

// expect returns the record podman's own view of a container implies.
func expect(li libpodInspect) *state.Container {
	k := &state.Container{
		ID: containers.ShortID(li.ID), FullID: li.ID, Type: state.CTPodman,
		Name: li.Name, Image: li.ImageName, ImageID: li.Image, ImageDigest: li.ImageDigest,
		Privileged:  li.HostConfig.Privileged,
		HostPID:     li.HostConfig.PidMode == "host",
		HostNetwork: li.HostConfig.NetworkMode == "host",
		HostIPC:     li.HostConfig.IpcMode == "host",
		IP:          li.NetworkSettings.IPAddress,
		CreatedTime: li.Created.Unix(),
		IsSandbox:   strings.HasPrefix(li.Name, "k8s_POD"),
	}
	k.ImageRepo, k.ImageTag, _ = containers.SplitImage(li.ImageName)
	for key, v := range li.Config.Labels {
		k.Labels = append(k.Labels, state.Label{Key: key, Value: v})
	}
	sort.Slice(k.Labels, func(i, j int) bool { return k.Labels[i].Key < k.Labels[j].Key })
	for _, m := range li.Mounts {
		k.Mounts = append(k.Mounts, state.Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode,
			RW: m.RW, Propagation: m.Propagation})
	}
	return k
}

// compare reports each field of got that differs from want.
func compare(t *testing.T, got, want *state.Container) {
	t.Helper()
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < g.NumField(); i++ {
		if !g.Type().Field(i).IsExported() {
			continue
		}
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			t.Errorf("%s = %+v, want %+v", g.Type().Field(i).Name, g.Field(i).Interface(), w.Field(i).Interface())
		}
	}
}

// lookup inspects a container by its full id, as the model asks.
func (p *podman) lookup(t *testing.T, full string) []*state.Container {
	t.Helper()
	recs, err := p.client.Inspect(context.Background(), containers.Query{
		ID: containers.ShortID(full), FullID: full, Type: state.CTPodman})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestPodmanInspect(t *testing.T) {
	p := startPodman(t)
	mountDir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		// check tells what the case is about, beyond podman's own view.
		check func(t *testing.T, k *state.Container)
	}{
		{"plain", nil, func(t *testing.T, k *state.Container) {
			if k.IP == "" || k.ImageDigest == "" || k.Privileged {
				t.Errorf("plain container: ip %q, digest %q, privileged %v", k.IP, k.ImageDigest, k.Privileged)
			}
		}},
		{"privileged", []string{"--privileged"}, func(t *testing.T, k *state.Container) {
			if !k.Privileged {
				t.Error("privileged container: Privileged not set")
			}
		}},
		{"labels", []string{"--label", "io.kubernetes.pod.name=web-1", "--label", "io.kubernetes.pod.namespace=shop",
			"--label", "app=web", "--label", "long=" + strings.Repeat("x", 101)}, func(t *testing.T, k *state.Container) {
			if v, _ := k.Label("io.kubernetes.pod.name"); v != "web-1" {
				t.Errorf("label io.kubernetes.pod.name = %q", v)
			}
			if v, _ := k.Label("io.kubernetes.pod.namespace"); v != "shop" {
				t.Errorf("label io.kubernetes.pod.namespace = %q", v)
			}
		}},
		{"bind-ro", []string{"-v", mountDir + ":/data:ro"}, func(t *testing.T, k *state.Container) {
			if len(k.Mounts) != 1 || k.Mounts[0].Source != mountDir || k.Mounts[0].Dest != "/data" || k.Mounts[0].RW {
				t.Errorf("mounts %+v, want %s on /data read-only", k.Mounts, mountDir)
			}
		}},
		{"host-namespaces", []string{"--pid", "host", "--network", "host"}, func(t *testing.T, k *state.Container) {
			if !k.HostPID || !k.HostNetwork || k.IP != "" {
				t.Errorf("host pid %v, host network %v, ip %q", k.HostPID, k.HostNetwork, k.IP)
			}
		}},
		{"healthcheck", []string{"--health-cmd", "echo ok"}, func(t *testing.T, k *state.Container) {
			h := k.Probes[state.ProbeHealthcheck]
			if got := string(h.AppendTo(nil)); !h.Set || got != "/bin/sh -c echo ok" {
				t.Errorf("health check %q (set %v), want /bin/sh -c echo ok", got, h.Set)
			}
			k.Probes = [3]state.Probe{} // podman inspect's own check is compared apart
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := p.run(t, tc.args...)
			recs := p.lookup(t, id)
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			want := expect(p.inspect(t, id))
			if tc.name == "labels" {
				want.Labels = dropLabel(want.Labels, "long") // longer than Falco's label_max_len
			}
			tc.check(t, recs[0])
			compare(t, recs[0], want)
		})
	}
}

func dropLabel(ls []state.Label, key string) []state.Label {
	var out []state.Label
	for _, l := range ls {
		if l.Key != key {
			out = append(out, l)
		}
	}
	return out
}

func TestPodmanPod(t *testing.T) {
	p := startPodman(t)
	pod := p.prefix + "pod"
	t.Cleanup(func() { ctrtest.Cmd(t, p.env, "podman", "pod", "rm", "-f", "-t", "0", pod) })
	if _, err := ctrtest.Cmd(t, p.env, "podman", "pod", "create", "--name", pod); err != nil {
		ctrtest.CannotRun(t, err)
	}
	id := p.run(t, "--pod", pod)
	recs := p.lookup(t, id)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	want := expect(p.inspect(t, id))
	if want.IP == "" {
		t.Error("podman reports no IP for a container of a pod")
	}
	compare(t, recs[0], want)
}

// TestPodmanKubernetesPod runs containers as kubelet does through Docker:
// a sandbox container named k8s_POD_… holding the pod's labels and
// annotations, and a container labelled with the sandbox's id.
func TestPodmanKubernetesPod(t *testing.T) {
	p := startPodman(t)
	applied := `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"web",` +
		`"livenessProbe":{"exec":{"command":["cat","'/tmp/healthy'"]}}}]}}`
	sbName := "k8s_POD_web-1_shop_" + randomHex(4) + "_0"
	t.Cleanup(func() { ctrtest.Cmd(t, p.env, "podman", "rm", "-f", "-t", "0", sbName) })
	sb, err := ctrtest.Cmd(t, p.env, "podman", "run", "-d", "--name", sbName,
		"--label", "io.kubernetes.pod.name=web-1", "--label", "io.kubernetes.pod.namespace=shop",
		"--label", "io.kubernetes.docker.type=podsandbox", "--label", "app=web", "--label", "tier=front",
		"--label", "annotation.kubectl.kubernetes.io/last-applied-configuration="+applied,
		ctrtest.Image, "sleep", "300")
	if err != nil {
		ctrtest.CannotRun(t, err)
	}
	id := p.run(t, "--network", "container:"+sb,
		"--label", "io.kubernetes.pod.name=web-1", "--label", "io.kubernetes.pod.namespace=shop",
		"--label", "io.kubernetes.container.name=web", "--label", "io.kubernetes.sandbox.id="+sb)

	recs := p.lookup(t, id)
	if len(recs) != 2 {
		t.Fatalf("%d records, want the container's and its sandbox's", len(recs))
	}
	ctr, sbRec := recs[0], recs[1]
	want := expect(p.inspect(t, id))
	wantSB := expect(p.inspect(t, sb))
	wantSB.IsSandbox = true
	liveness := state.Probe{Set: true, Exe: "cat", Args: []string{"/tmp/healthy"}}
	wantSB.Probes[state.ProbeLiveness] = liveness
	want.Probes[state.ProbeLiveness] = liveness // kubelet's annotations are the sandbox's
	wantSB.Labels = dropLabel(wantSB.Labels, "annotation.kubectl.kubernetes.io/last-applied-configuration")
	t.Run("container", func(t *testing.T) { compare(t, ctr, want) })
	t.Run("sandbox", func(t *testing.T) { compare(t, sbRec, wantSB) })
	if ctr.IP == "" || ctr.IP != sbRec.IP {
		t.Errorf("container ip %q, sandbox ip %q: want the sandbox's", ctr.IP, sbRec.IP)
	}

	// The sandbox itself comes alone, marked as a sandbox.
	recs = p.lookup(t, sb)
	if len(recs) != 1 || !recs[0].IsSandbox {
		t.Errorf("lookup of the sandbox: %d records, sandbox %v", len(recs), len(recs) > 0 && recs[0].IsSandbox)
	}
}

func TestPodmanNotFound(t *testing.T) {
	p := startPodman(t)
	full := randomHex(32)
	_, err := p.client.Inspect(context.Background(), containers.Query{ID: full[:12], FullID: full, Type: state.CTPodman})
	if !errors.Is(err, containers.ErrNotFound) {
		t.Fatalf("Inspect of an unknown id: %v, want ErrNotFound", err)
	}
}

func TestPodmanShortID(t *testing.T) {
	p := startPodman(t)
	id := p.run(t)
	recs, err := p.client.Inspect(context.Background(), containers.Query{ID: id[:12], Type: state.CTPodman})
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].ID != id[:12] || recs[0].FullID != id {
		t.Errorf("id %q full id %q, want %q %q", recs[0].ID, recs[0].FullID, id[:12], id)
	}
}

// TestPodmanWatch runs a container that exits, removes it, and expects
// its whole life from Watch.
func TestPodmanWatch(t *testing.T) {
	p := startPodman(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch := make(chan containers.Event, 64)
	done := make(chan error, 1)
	w := shortTimeout(t, p.sock, state.CTPodman)
	go func() { done <- w.Watch(ctx, ch) }()
	time.Sleep(3 * shortWait) // an idle stream outlives the timeout

	name := p.prefix + "watch"
	t.Cleanup(func() { ctrtest.Cmd(t, p.env, "podman", "rm", "-f", "-t", "0", name) })
	id, err := ctrtest.Cmd(t, p.env, "podman", "run", "-d", "--name", name, ctrtest.Image, "sleep", "0")
	if err != nil {
		ctrtest.CannotRun(t, err)
	}
	if _, err := ctrtest.Cmd(t, p.env, "podman", "wait", id); err != nil {
		t.Fatal(err)
	}
	if _, err := ctrtest.Cmd(t, p.env, "podman", "rm", id); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, ctx, ch, done, id)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel: %v, want context.Canceled", err)
	}
}

// expectEvents waits for the whole life of container id, in order, among
// what Watch sends to ch.
func expectEvents(t *testing.T, ctx context.Context, ch <-chan containers.Event, done <-chan error, id string) {
	t.Helper()
	want := []containers.EventKind{containers.Created, containers.Started, containers.Died, containers.Removed}
	var got []containers.EventKind
	for len(got) < len(want) {
		select {
		case e := <-ch:
			if e.FullID == id {
				got = append(got, e.Kind)
			}
		case err := <-done:
			t.Fatalf("Watch ended: %v; events so far %v", err, got)
		case <-ctx.Done():
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// shortWait is the timeout of the clients that watch: the stream must
// outlive it.
const shortWait = 300 * time.Millisecond

// shortTimeout opens a client of sock whose timeout is shortWait.
func shortTimeout(t *testing.T, sock string, engine state.ContainerType) *docker.Client {
	t.Helper()
	c, err := docker.Open(context.Background(), docker.Options{Socket: sock, Engine: engine, Timeout: shortWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
