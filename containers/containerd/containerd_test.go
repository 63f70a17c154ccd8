package containerd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/state"
)

var _ containers.Runtime = (*Runtime)(nil)

// TestOpen checks how Open fails on a missing socket and on one that
// never answers.
func TestOpen(t *testing.T) {
	ctrtest.CheckOpen(t, containers.ErrUnavailable, func(socket string, timeout time.Duration) error {
		_, err := Open(context.Background(), Options{Socket: socket, Timeout: timeout})
		return err
	})
}

// ctrInfo is what `ctr containers info` prints of a container.
type ctrInfo struct {
	ID        string            `json:"ID"`
	Labels    map[string]string `json:"Labels"`
	Image     string            `json:"Image"`
	CreatedAt time.Time         `json:"CreatedAt"`
	Spec      struct {
		Mounts []struct {
			Destination string   `json:"destination"`
			Source      string   `json:"source"`
			Options     []string `json:"options"`
		} `json:"mounts"`
		Linux struct {
			Namespaces []struct {
				Type string `json:"type"`
			} `json:"namespaces"`
			RootfsPropagation string `json:"rootfsPropagation"`
		} `json:"linux"`
	} `json:"Spec"`
}

// fixture is a private containerd with the test image in a namespace.
type fixture struct {
	sock, ns string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	for _, tool := range []string{"containerd", "ctr", "runc", "podman"} {
		testenv.Tool(t, tool)
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root")
	}
	env := ctrtest.PodmanEnv(t)
	if err := ctrtest.BuildImage(t, env); err != nil {
		ctrtest.CannotRun(t, err)
	}
	archive := filepath.Join(t.TempDir(), "image.tar")
	if _, err := ctrtest.Cmd(t, env, "podman", "save", "--format", "docker-archive", "-o", archive, ctrtest.Image); err != nil {
		ctrtest.CannotRun(t, err)
	}
	f := &fixture{sock: ctrtest.PrivateContainerd(t), ns: "kestrel-test"}
	if _, err := f.ctr(t, "image", "import", archive); err != nil {
		ctrtest.CannotRun(t, err)
	}
	return f
}

func (f *fixture) ctr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return ctrtest.Cmd(t, nil, "ctr", append([]string{"-a", f.sock, "-n", f.ns}, args...)...)
}

// run starts a container of the test image that sleeps, and removes it
// when the test ends.
func (f *fixture) run(t *testing.T, name string, opts ...string) {
	t.Helper()
	args := append(append([]string{"run", "-d"}, opts...), ctrtest.Image, name, "sleep", "300")
	if _, err := f.ctr(t, args...); err != nil {
		ctrtest.CannotRun(t, err)
	}
	t.Cleanup(func() { f.remove(t, name) })
}

// remove kills and deletes container name.
func (f *fixture) remove(t *testing.T, name string) {
	f.ctr(t, "task", "rm", "-f", name) // kills the task and waits for it
	f.ctr(t, "containers", "rm", name)
	for _, d := range []string{"/sys/fs/cgroup/*/" + f.ns, "/sys/fs/cgroup/unified/" + f.ns} {
		m, _ := filepath.Glob(d)
		for _, p := range m {
			os.Remove(p)
		}
	}
}

func (f *fixture) info(t *testing.T, name string) *ctrInfo {
	t.Helper()
	out, err := f.ctr(t, "containers", "info", name)
	if err != nil {
		t.Fatal(err)
	}
	var info ctrInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("ctr containers info: %v\n%s", err, out)
	}
	return &info
}

func (f *fixture) open(t *testing.T) *Runtime {
	t.Helper()
	r, err := Open(context.Background(), Options{Socket: f.sock, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func (f *fixture) inspect(t *testing.T, r *Runtime, name string) *state.Container {
	t.Helper()
	q := containers.Query{ID: containers.ShortID(name), FullID: name, Type: state.CTContainerd, Namespace: f.ns}
	recs, err := r.Inspect(context.Background(), q)
	if err != nil {
		t.Fatalf("Inspect %s: %v", name, err)
	}
	if len(recs) != 1 {
		t.Fatalf("Inspect %s: %d records, want 1", name, len(recs))
	}
	return recs[0]
}

func TestInspect(t *testing.T) {
	f := newFixture(t)
	r := f.open(t)
	host := t.TempDir()
	const name = "kestrel-ctr-plain"
	f.run(t, name, "--label", "app=kestrel", "--label", "tier=test", "--label", "long="+strings.Repeat("x", 101),
		"--mount", "type=bind,src="+host+",dst=/host,options=rbind:ro")
	const privName = "kestrel-ctr-privileged"
	f.run(t, privName, "--privileged", "--net-host")

	k := f.inspect(t, r, name)
	info := f.info(t, name)
	checkRecord(t, k, info)
	if k.Privileged || k.HostPID || k.HostNetwork || k.HostIPC {
		t.Errorf("plain container: privileged %v, host pid/net/ipc %v/%v/%v, want all false",
			k.Privileged, k.HostPID, k.HostNetwork, k.HostIPC)
	}
	checkMounts(t, k, info, host)
	checkImage(t, f, k)

	p := f.inspect(t, r, privName)
	checkRecord(t, p, f.info(t, privName))
	if !p.Privileged || !p.HostNetwork || p.HostPID {
		t.Errorf("privileged host-network container: privileged %v, host net %v, host pid %v; want true, true, false",
			p.Privileged, p.HostNetwork, p.HostPID)
	}

	all, err := r.Inspect(context.Background(), containers.Query{ID: containers.ShortID(name), FullID: name, Type: state.CTContainerd})
	if err != nil || len(all) != 1 || all[0].FullID != name {
		t.Errorf("Inspect without a namespace: %v, %v", all, err)
	}
	_, err = r.Inspect(context.Background(), containers.Query{ID: "nosuch", FullID: "nosuch", Namespace: f.ns})
	if !errors.Is(err, containers.ErrNotFound) {
		t.Errorf("Inspect of an unknown container: %v, want ErrNotFound", err)
	}
}

// checkRecord compares what every record has with ctr's view.
func checkRecord(t *testing.T, k *state.Container, info *ctrInfo) {
	t.Helper()
	if k.ID != containers.ShortID(info.ID) || k.FullID != info.ID || k.Type != state.CTContainerd {
		t.Errorf("id %q, full id %q, type %v; want %q, %q, containerd", k.ID, k.FullID, k.Type, containers.ShortID(info.ID), info.ID)
	}
	if k.Name != containers.ShortID(info.ID) {
		t.Errorf("name %q, want %q (Falco: the short id)", k.Name, containers.ShortID(info.ID))
	}
	repo, tag, _ := containers.SplitImage(info.Image)
	if k.Image != info.Image || k.ImageRepo != repo || k.ImageTag != tag {
		t.Errorf("image %q repo %q tag %q, want %q %q %q", k.Image, k.ImageRepo, k.ImageTag, info.Image, repo, tag)
	}
	if k.CreatedTime != info.CreatedAt.Unix() {
		t.Errorf("created %d, want %d", k.CreatedTime, info.CreatedAt.Unix())
	}
	var want []state.Label
	for key, v := range info.Labels {
		if len(v) <= DefaultLabelMaxLen { // Falco's label_max_len
			want = append(want, state.Label{Key: key, Value: v})
		}
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Key < want[j].Key })
	if !reflect.DeepEqual(k.Labels, want) {
		t.Errorf("labels %v, want %v", k.Labels, want)
	}
}

func checkMounts(t *testing.T, k *state.Container, info *ctrInfo, host string) {
	t.Helper()
	if len(k.Mounts) != len(info.Spec.Mounts) {
		t.Fatalf("%d mounts, want %d", len(k.Mounts), len(info.Spec.Mounts))
	}
	found := false
	for i, m := range k.Mounts {
		sm := info.Spec.Mounts[i]
		if m.Source != sm.Source || m.Dest != sm.Destination || m.Propagation != info.Spec.Linux.RootfsPropagation {
			t.Errorf("mount %d: %+v, want %s:%s propagation %q", i, m, sm.Source, sm.Destination, info.Spec.Linux.RootfsPropagation)
		}
		if m.Dest == "/host" {
			found = true
			if m.Source != host || m.RW {
				t.Errorf("bind mount %+v, want %s read-only", m, host)
			}
		}
	}
	if !found {
		t.Errorf("no /host mount in %+v", k.Mounts)
	}
}

// checkImage compares the image digest and id with ctr's.
func checkImage(t *testing.T, f *fixture, k *state.Container) {
	t.Helper()
	out, err := f.ctr(t, "images", "ls", "name=="+k.Image)
	if err != nil {
		t.Fatal(err)
	}
	var digest string
	if lines := splitFields(out); len(lines) == 2 && len(lines[1]) > 2 {
		digest = lines[1][2]
	}
	if digest == "" || k.ImageDigest != digest {
		t.Errorf("image digest %q, want %q (ctr images ls:\n%s)", k.ImageDigest, digest, out)
	}
	cfg, err := f.ctr(t, "content", "get", digest)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Config struct{ Digest string } `json:"config"`
	}
	if err := json.Unmarshal([]byte(cfg), &m); err != nil {
		t.Fatal(err)
	}
	if "sha256:"+k.ImageID != m.Config.Digest {
		t.Errorf("image id %q, want the hex of %q", k.ImageID, m.Config.Digest)
	}
}

func TestWatch(t *testing.T) {
	f := newFixture(t)
	r := f.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan containers.Event, 64)
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, events) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch ended with %v, want context.Canceled", err)
		}
	}()
	time.Sleep(200 * time.Millisecond) // let the subscription start
	const name = "kestrel-ctr-watched"
	f.run(t, name)
	f.remove(t, name)

	want := []containers.EventKind{containers.Created, containers.Started, containers.Died, containers.Removed}
	for _, kind := range want {
		select {
		case ev := <-events:
			if ev.Kind != kind || ev.FullID != name || ev.Namespace != f.ns {
				t.Fatalf("event %v %q in %q, want %v %q in %q", ev.Kind, ev.FullID, ev.Namespace, kind, name, f.ns)
			}
		case err := <-done:
			t.Fatalf("Watch ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatalf("no %v event", kind)
		}
	}
}

// splitFields splits ctr's table output into lines of fields.
func splitFields(out string) [][]string {
	var lines [][]string
	for _, l := range strings.Split(out, "\n") {
		lines = append(lines, strings.Fields(l))
	}
	return lines
}

func TestCRIManaged(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		ns, id string
		want   bool
	}{
		{"k8s.io", hex64, true},
		{"k8s.io", "kestrel-ctr", false},
		{"default", hex64, false},
		{"k8s.io", strings.ToUpper(hex64), false},
	}
	for _, tt := range tests {
		if got := criManaged(tt.ns, tt.id); got != tt.want {
			t.Errorf("criManaged(%q, %q) = %v, want %v", tt.ns, tt.id, got, tt.want)
		}
	}
}
