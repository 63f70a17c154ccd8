package cri

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
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

func TestCompactInterfaces(t *testing.T) {
	info := parseSandboxInfo(map[string]string{"info": `{"cniResult":{"Interfaces":{
		"eth0":{"IPConfigs":[{"IP":"10.78.0.2","Gateway":"10.78.0.1"}],"Mac":"aa:bb","Sandbox":"/var/run/netns/x"},
		"lo":{"IPConfigs":[{"IP":"127.0.0.1"}]},
		"veth1234":{"IPConfigs":null,"Mac":"cc:dd"},
		"kcri0":{"IPConfigs":null,"Mac":"ee:ff"}},"DNS":[{}]}}`})
	want := `{"eth0":{"IPConfigs":[{"Gateway":"10.78.0.1","IP":"10.78.0.2"}]},"kcri0":{"IPConfigs":null}}`
	if got := info.cniResult(); got != want {
		t.Errorf("cniResult:\n got %s\nwant %s", got, want)
	}
	crio := parseSandboxInfo(map[string]string{"info": `{"runtimeSpec":{"annotations":{"io.kubernetes.cri-o.CNIResult":"{\"ips\":[]}\n"}}}`})
	if got := crio.cniResult(); got != `{"ips":[]}` {
		t.Errorf("CRI-O cniResult %q", got)
	}
}

func TestImage(t *testing.T) {
	tests := []struct {
		image, ref, annotation string
		name, digest           string
	}{
		{"localhost/busybox:test", "sha256:abcd", "", "localhost/busybox:test", "sha256:abcd"},
		{"docker.io/library/nginx:1.25", "docker.io/library/nginx@sha256:ef01", "", "docker.io/library/nginx:1.25", "sha256:ef01"},
		{"sha256:abcd", "sha256:abcd", "registry:5000/app:v1", "registry:5000/app:v1", "sha256:abcd"},
		{"quay.io/app@sha256:99", "", "", "quay.io/app@sha256:99", "sha256:99"},
	}
	for _, tt := range tests {
		s := &runtimeapi.ContainerStatus{Image: &runtimeapi.ImageSpec{Image: tt.image}, ImageRef: tt.ref}
		info := &containerInfo{}
		if tt.annotation != "" {
			info.RuntimeSpec.Annotations = map[string]string{annotationImageName: tt.annotation}
		}
		name, digest := image(s, info)
		if name != tt.name || digest != tt.digest {
			t.Errorf("image(%q, %q) = %q, %q; want %q, %q", tt.image, tt.ref, name, digest, tt.name, tt.digest)
		}
	}
}

// fixture is a private CRI service and a client of it.
type fixture struct {
	cri  *ctrtest.CRI
	conn *grpc.ClientConn
	rs   runtimeapi.RuntimeServiceClient
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := ctrtest.PrivateCRI(t)
	conn, err := c.Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fixture{cri: c, conn: conn, rs: runtimeapi.NewRuntimeServiceClient(conn)}
}

func (f *fixture) open(t *testing.T) *Runtime {
	t.Helper()
	r, err := Open(context.Background(), Options{Socket: f.cri.Socket, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if r.Type() != state.CTContainerd {
		t.Errorf("type %v, want containerd (version %s)", r.Type(), r.Version())
	}
	return r
}

func inspect(t *testing.T, r *Runtime, id string, want int) []*state.Container {
	t.Helper()
	recs, err := r.Inspect(context.Background(), containers.Query{ID: containers.ShortID(id), FullID: id, Type: state.CTCRI})
	if err != nil {
		t.Fatalf("Inspect %s: %v", id, err)
	}
	if len(recs) != want {
		t.Fatalf("Inspect %s: %d records, want %d", id, len(recs), want)
	}
	return recs
}

func TestInspect(t *testing.T) {
	f := newFixture(t)
	r := f.open(t)
	host := t.TempDir()
	plainPod := f.cri.RunPod(t, "kestrel-pod", false)
	plain := f.cri.RunContainer(t, plainPod, "plain", false, false,
		&runtimeapi.Mount{ContainerPath: "/host", HostPath: host, Readonly: true, Propagation: runtimeapi.MountPropagation_PROPAGATION_PRIVATE})
	privPod := f.cri.RunPod(t, "kestrel-privpod", true)
	priv := f.cri.RunContainer(t, privPod, "privileged", true, true)

	recs := inspect(t, r, plain, 2)
	k, sb := recs[0], recs[1]
	t.Logf("container %+v\nsandbox %+v", *k, *sb)
	f.checkContainer(t, k, plain, plainPod)
	f.checkSandbox(t, sb, plainPod)
	if k.Privileged || k.HostNetwork || k.HostPID || k.HostIPC {
		t.Errorf("plain container: privileged %v, host net/pid/ipc %v/%v/%v; want all false", k.Privileged, k.HostNetwork, k.HostPID, k.HostIPC)
	}
	want := []state.Mount{{Source: host, Dest: "/host", RW: false, Propagation: "private"}}
	if !reflect.DeepEqual(k.Mounts, want) {
		t.Errorf("mounts %+v, want %+v", k.Mounts, want)
	}
	if !strings.Contains(sb.CNIJSON, `"`+sb.IP+`"`) || !json.Valid([]byte(sb.CNIJSON)) || k.CNIJSON != sb.CNIJSON || k.IP != sb.IP {
		t.Errorf("CNI result %q of pod IP %q; container IP %q, CNI %q", sb.CNIJSON, sb.IP, k.IP, k.CNIJSON)
	}
	if ip, err := netip.ParseAddr(sb.IP); err != nil || !netip.MustParsePrefix(f.cri.Subnet).Contains(ip) {
		t.Errorf("pod IP %q not in %s", sb.IP, f.cri.Subnet)
	}

	recs = inspect(t, r, priv, 2)
	k, sb = recs[0], recs[1]
	f.checkContainer(t, k, priv, privPod)
	f.checkSandbox(t, sb, privPod)
	if !k.Privileged || !k.HostNetwork || k.HostPID || k.IP != "" || sb.IP != "" {
		t.Errorf("privileged container: privileged %v, host net %v, host pid %v, IP %q, pod IP %q; want true, true, false, none",
			k.Privileged, k.HostNetwork, k.HostPID, k.IP, sb.IP)
	}

	ctrQuery := containers.Query{ID: "kestrel-ctr", FullID: "kestrel-ctr", Type: state.CTContainerd, Namespace: "default"}
	if _, err := r.Inspect(context.Background(), ctrQuery); !errors.Is(err, containers.ErrNotFound) {
		t.Errorf("Inspect of a ctr container: %v, want ErrNotFound", err)
	}
	own := inspect(t, r, plainPod.ID, 1)
	f.checkSandbox(t, own[0], plainPod)

	_, err := r.Inspect(context.Background(), containers.Query{ID: "0123456789ab", FullID: strings.Repeat("0123456789abcdef", 4), Type: state.CTCRI})
	if !errors.Is(err, containers.ErrNotFound) {
		t.Errorf("Inspect of an unknown container: %v, want ErrNotFound", err)
	}
}

// checkContainer compares a container's record with its ContainerStatus.
func (f *fixture) checkContainer(t *testing.T, k *state.Container, id string, p *ctrtest.Pod) {
	t.Helper()
	resp, err := f.rs.ContainerStatus(context.Background(), &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	s := resp.GetStatus()
	if k.ID != containers.ShortID(id) || k.FullID != id || k.Type != state.CTContainerd || k.IsSandbox {
		t.Errorf("id %q full %q type %v sandbox %v; want %q %q containerd false", k.ID, k.FullID, k.Type, k.IsSandbox, containers.ShortID(id), id)
	}
	if k.Name != s.GetMetadata().GetName() || k.Name != s.GetLabels()["io.kubernetes.container.name"] {
		t.Errorf("name %q, want %q", k.Name, s.GetMetadata().GetName())
	}
	repo, tag, _ := containers.SplitImage(s.GetImage().GetImage())
	if k.Image != s.GetImage().GetImage() || k.ImageRepo != repo || k.ImageTag != tag {
		t.Errorf("image %q repo %q tag %q; want %q %q %q", k.Image, k.ImageRepo, k.ImageTag, s.GetImage().GetImage(), repo, tag)
	}
	if ref := s.GetImageRef(); k.ImageDigest != ref || "sha256:"+k.ImageID != ref {
		t.Errorf("image digest %q id %q; want image_ref %q and its hex", k.ImageDigest, k.ImageID, ref)
	}
	if k.CreatedTime != s.GetCreatedAt()/1e9 || k.CreatedTime == 0 {
		t.Errorf("created %d, want %d", k.CreatedTime, s.GetCreatedAt()/1e9)
	}
	if k.SandboxID != p.ID {
		t.Errorf("sandbox id %q, want %q", k.SandboxID, p.ID)
	}
	labels := map[string]string{"io.kubernetes.sandbox.id": p.ID}
	for key, v := range s.GetLabels() {
		if len(v) <= DefaultLabelMaxLen { // Falco's label_max_len
			labels[key] = v
		}
	}
	if got := labelMap(k.Labels); !reflect.DeepEqual(got, labels) || !sorted(k.Labels) {
		t.Errorf("labels %v, want %v sorted", k.Labels, labels)
	}
}

// checkSandbox compares a pod sandbox's record with its PodSandboxStatus.
func (f *fixture) checkSandbox(t *testing.T, k *state.Container, p *ctrtest.Pod) {
	t.Helper()
	resp, err := f.rs.PodSandboxStatus(context.Background(), &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	s := resp.GetStatus()
	if k.ID != containers.ShortID(p.ID) || k.FullID != p.ID || k.SandboxID != p.ID || !k.IsSandbox || k.Type != state.CTContainerd {
		t.Errorf("sandbox id %q full %q sandbox %q is %v type %v; want %q %q", k.ID, k.FullID, k.SandboxID, k.IsSandbox, k.Type, containers.ShortID(p.ID), p.ID)
	}
	if k.Name != p.Config.GetMetadata().GetName() || k.CreatedTime != s.GetCreatedAt()/1e9 {
		t.Errorf("sandbox name %q created %d; want %q %d", k.Name, k.CreatedTime, p.Config.GetMetadata().GetName(), s.GetCreatedAt()/1e9)
	}
	if k.IP != s.GetNetwork().GetIp() {
		t.Errorf("sandbox IP %q, want %q", k.IP, s.GetNetwork().GetIp())
	}
	labels := map[string]string{"io.kubernetes.sandbox.id": p.ID}
	for key, v := range p.Config.GetLabels() {
		if len(v) <= DefaultLabelMaxLen {
			labels[key] = v
		}
	}
	if got := labelMap(k.Labels); !reflect.DeepEqual(got, labels) || !sorted(k.Labels) {
		t.Errorf("sandbox labels %v, want %v sorted", k.Labels, labels)
	}
}

func labelMap(ls []state.Label) map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Key] = l.Value
	}
	return m
}

func sorted(ls []state.Label) bool {
	return sort.SliceIsSorted(ls, func(i, j int) bool { return ls[i].Key < ls[j].Key })
}

func TestWatch(t *testing.T) {
	f := newFixture(t)
	r := f.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan containers.Event, 64)
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, events) }()
	defer cancel()
	select {
	case err := <-done:
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Watch: %v, want events or ErrUnsupported", err)
		}
		t.Logf("no container events from %s: %v", r.Version(), err)
		return
	case <-time.After(time.Second):
	}
	p := f.cri.RunPod(t, "kestrel-watched", false)
	id := f.cri.RunContainer(t, p, "watched", false, false)
	for _, kind := range []containers.EventKind{containers.Created, containers.Started} {
		waitEvent(t, events, id, kind)
	}
}

// waitEvent waits for the next event of container id, which must be of
// the given kind.
func waitEvent(t *testing.T, events <-chan containers.Event, id string, kind containers.EventKind) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.FullID != id {
				continue
			}
			if ev.Kind != kind {
				t.Fatalf("event %v, want %v", ev.Kind, kind)
			}
			return
		case <-timeout:
			t.Fatalf("no %v event for %s", kind, id)
		}
	}
}
