package ctrtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Pod is a pod sandbox a test made, with its config.
type Pod struct {
	ID, UID string
	Config  *cri.PodSandboxConfig
}

// NewUID returns a random pod uid.
func NewUID(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RunPod runs a pod sandbox in namespace kestrel-test as the kubelet
// would, with the kubelet's labels and cgroup parent; a privileged pod
// has the host's network. The daemon's cleanup removes it.
func (c *CRI) RunPod(t *testing.T, name string, privileged bool) *Pod {
	t.Helper()
	uid := NewUID(t)
	nsOpts := &cri.NamespaceOption{Network: cri.NamespaceMode_POD, Pid: cri.NamespaceMode_CONTAINER, Ipc: cri.NamespaceMode_POD}
	hostname := name
	if privileged {
		nsOpts.Network, hostname = cri.NamespaceMode_NODE, ""
	}
	cfg := &cri.PodSandboxConfig{
		Metadata: &cri.PodSandboxMetadata{Name: name, Uid: uid, Namespace: "kestrel-test"},
		Hostname: hostname,
		Labels: map[string]string{"app": name, "tier": "test", "long": strings.Repeat("x", 101), "io.kubernetes.pod.name": name,
			"io.kubernetes.pod.namespace": "kestrel-test", "io.kubernetes.pod.uid": uid},
		Linux: &cri.LinuxPodSandboxConfig{
			CgroupParent:    "/kubepods/besteffort/pod" + uid,
			SecurityContext: &cri.LinuxSandboxSecurityContext{NamespaceOptions: nsOpts, Privileged: privileged},
		},
	}
	resp, err := c.runtime(t).RunPodSandbox(context.Background(), &cri.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		CannotRun(t, fmt.Errorf("run pod sandbox: %w", err))
	}
	return &Pod{ID: resp.GetPodSandboxId(), UID: uid, Config: cfg}
}

// ImageID returns the id of [Image], as the kubelet learns it.
func (c *CRI) ImageID(t *testing.T) string {
	t.Helper()
	is := cri.NewImageServiceClient(c.conn(t))
	resp, err := is.ImageStatus(context.Background(), &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: Image}})
	if err != nil || resp.GetImage() == nil {
		t.Fatalf("image status of %s: %v", Image, err)
	}
	return resp.GetImage().GetId()
}

// RunContainer creates and starts a container of [Image] running
// "sleep 300" in p, with the kubelet's labels: of the image's id as the
// kubelet does, unless byName. It returns the container's id.
func (c *CRI) RunContainer(t *testing.T, p *Pod, name string, privileged, byName bool, mounts ...*cri.Mount) string {
	t.Helper()
	md := p.Config.GetMetadata()
	img := &cri.ImageSpec{Image: Image}
	if !byName {
		img = &cri.ImageSpec{Image: c.ImageID(t), UserSpecifiedImage: Image}
	}
	cfg := &cri.ContainerConfig{
		Metadata: &cri.ContainerMetadata{Name: name},
		Image:    img,
		Command:  []string{"sleep", "300"},
		Labels: map[string]string{"ctrlabel": name, "long": strings.Repeat("x", 101), "io.kubernetes.container.name": name,
			"io.kubernetes.pod.name": md.GetName(), "io.kubernetes.pod.namespace": md.GetNamespace(),
			"io.kubernetes.pod.uid": md.GetUid()},
		Mounts: mounts,
		Linux: &cri.LinuxContainerConfig{SecurityContext: &cri.LinuxContainerSecurityContext{
			Privileged:       privileged,
			NamespaceOptions: p.Config.GetLinux().GetSecurityContext().GetNamespaceOptions(),
		}},
	}
	ctx := context.Background()
	resp, err := c.runtime(t).CreateContainer(ctx, &cri.CreateContainerRequest{PodSandboxId: p.ID, Config: cfg, SandboxConfig: p.Config})
	if err != nil {
		CannotRun(t, fmt.Errorf("create container: %w", err))
	}
	if _, err := c.runtime(t).StartContainer(ctx, &cri.StartContainerRequest{ContainerId: resp.GetContainerId()}); err != nil {
		CannotRun(t, fmt.Errorf("start container: %w", err))
	}
	return resp.GetContainerId()
}

// conn returns a connection to the daemon, closed by the test's cleanup.
func (c *CRI) conn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := c.Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// runtime returns a client of the daemon's CRI runtime service.
func (c *CRI) runtime(t *testing.T) cri.RuntimeServiceClient {
	return cri.NewRuntimeServiceClient(c.conn(t))
}

// Exec runs cmd in container id and waits for it, as kubectl exec does;
// a command that fails is not an error.
func (c *CRI) Exec(t *testing.T, id string, cmd ...string) {
	t.Helper()
	_, err := c.runtime(t).ExecSync(context.Background(), &cri.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: 10})
	if err != nil {
		t.Fatalf("exec %q in %s: %v", cmd, id, err)
	}
}
