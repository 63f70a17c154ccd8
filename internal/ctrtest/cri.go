package ctrtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// PauseImage is the pod sandbox image of [PrivateCRI]: the busybox image
// running "sleep infinity".
const PauseImage = "localhost/kestrel-pause:test"

// CRINamespace is the containerd namespace of the CRI service's images
// and containers.
const CRINamespace = "k8s.io"

// cniCacheDir is where the CNI library keeps the results of the networks
// it sets up (the CRI service does not move it).
const cniCacheDir = "/var/lib/cni"

// maxPodNets bounds the pod networks that tests on the host can have at once.
const maxPodNets = 64

// CRI is a private containerd with its CRI service, [Image] and
// [PauseImage] imported, and a pod network of its own.
type CRI struct {
	// Socket is the path of the daemon's socket, for containerd's API
	// and the CRI API alike.
	Socket string
	// Bridge and Subnet are the pod network's bridge and IPv4 subnet.
	Bridge, Subnet string
	dir            string
	// cniCache is libcni's cache directory, when the test made it.
	cniCache bool
}

// PrivateCRI starts a containerd of the test's own with the CRI service
// (its own root, state, socket and CNI configuration; a bridge and subnet
// no other test uses at the same time). The test's cleanup stops and
// removes every pod sandbox the daemon has, stops the daemon, deletes the
// bridge and removes its files, even when the test fails. A host that
// cannot run it skips the test (fails it in CI).
func PrivateCRI(t *testing.T) *CRI {
	t.Helper()
	for _, tool := range []string{"containerd", "ctr", "runc", "podman"} {
		if _, err := exec.LookPath(tool); err != nil {
			CannotRun(t, fmt.Errorf("%s is needed for a CRI service: %v", tool, err))
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		CannotRun(t, fmt.Errorf("CNI plugins (containernetworking-plugins) are needed: %v", err))
	}
	archives := criImages(t)
	dir, err := os.MkdirTemp("", "kestrel-cri")
	if err != nil {
		t.Fatal(err)
	}
	c := &CRI{Socket: filepath.Join(dir, "containerd.sock"), dir: dir}
	if _, err := os.Stat(cniCacheDir); errors.Is(err, os.ErrNotExist) {
		c.cniCache = true
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c.claimNetwork(t)
	if err := c.writeConfig(); err != nil {
		t.Fatal(err)
	}
	c.start(t)
	for _, a := range archives {
		if _, err := Cmd(t, nil, "ctr", "-a", c.Socket, "-n", CRINamespace, "images", "import", a); err != nil {
			CannotRun(t, err)
		}
	}
	return c
}

// criImages builds Image and PauseImage with podman and saves them as
// docker archives.
func criImages(t *testing.T) []string {
	t.Helper()
	env := PodmanEnv(t)
	if err := BuildImage(t, env); err != nil {
		CannotRun(t, err)
	}
	if err := buildPause(t, env); err != nil {
		CannotRun(t, err)
	}
	var archives []string
	for _, img := range []string{Image, PauseImage} {
		p := filepath.Join(t.TempDir(), "image.tar")
		if _, err := Cmd(t, env, "podman", "save", "--format", "docker-archive", "-o", p, img); err != nil {
			CannotRun(t, err)
		}
		archives = append(archives, p)
	}
	return archives
}

// buildPause commits Image with "sleep infinity" as its entrypoint.
func buildPause(t *testing.T, env []string) error {
	if _, err := Cmd(t, env, "podman", "image", "exists", PauseImage); err == nil {
		return nil
	}
	id, err := Cmd(t, env, "podman", "create", Image)
	if err != nil {
		return err
	}
	defer Cmd(t, env, "podman", "rm", "-f", id)
	_, err = Cmd(t, env, "podman", "commit", "--change", `ENTRYPOINT ["/bin/sleep", "infinity"]`,
		"--change", `CMD []`, id, PauseImage)
	return err
}

// claimNetwork takes the first pod network no live test holds: a lock
// directory in the temporary directory names the process that holds it.
func (c *CRI) claimNetwork(t *testing.T) {
	t.Helper()
	for n := range maxPodNets {
		lock := filepath.Join(os.TempDir(), fmt.Sprintf("kestrel-cri-net-%d", n))
		if !takeLock(lock) {
			continue
		}
		c.Bridge = fmt.Sprintf("kcri%d", n)
		c.Subnet = fmt.Sprintf("10.78.%d.0/24", n)
		t.Cleanup(func() {
			if err := deleteLink(c.Bridge); err != nil {
				t.Errorf("delete bridge %s: %v", c.Bridge, err)
			}
			os.RemoveAll(lock)
		})
		return
	}
	t.Fatalf("all %d pod networks are taken", maxPodNets)
}

// takeLock creates the lock directory, or takes it over from a process
// that has ended.
func takeLock(lock string) bool {
	pidFile := filepath.Join(lock, "pid")
	for range 2 {
		if os.Mkdir(lock, 0o700) == nil {
			return os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())), 0o600) == nil
		}
		b, err := os.ReadFile(pidFile)
		pid, perr := strconv.Atoi(string(b))
		if err == nil && perr == nil && syscall.Kill(pid, 0) != syscall.ESRCH {
			return false
		}
		if err != nil && time.Since(modTime(lock)) < 10*time.Second {
			return false // being created
		}
		os.RemoveAll(lock)
	}
	return false
}

func modTime(p string) time.Time {
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// writeConfig writes the daemon's configuration and CNI conflist.
func (c *CRI) writeConfig() error {
	netDir := filepath.Join(c.dir, "net.d")
	if err := os.MkdirAll(netDir, 0o755); err != nil {
		return err
	}
	gw := strings.TrimSuffix(c.Subnet, "0/24") + "1"
	conflist := fmt.Sprintf(`{"cniVersion": "0.4.0", "name": "kestrel-%s", "plugins": [
  {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": %q, "routes": [{"dst": "0.0.0.0/0"}],
            "ranges": [[{"subnet": %q, "gateway": %q}]]}},
  {"type": "loopback"}]}
`, c.Bridge, c.Bridge, filepath.Join(c.dir, "ipam"), c.Subnet, gw)
	if err := os.WriteFile(filepath.Join(netDir, "10-kestrel.conflist"), []byte(conflist), 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf(`version = 2
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = %q
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = %q
  [plugins."io.containerd.internal.v1.opt"]
    path = %q
`, PauseImage, netDir, filepath.Join(c.dir, "opt"))
	return os.WriteFile(filepath.Join(c.dir, "config.toml"), []byte(conf), 0o644)
}

// start runs the daemon and waits until its CRI service answers.
func (c *CRI) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command("containerd", "--config", filepath.Join(c.dir, "config.toml"),
		"--root", filepath.Join(c.dir, "root"), "--state", filepath.Join(c.dir, "state"), "--address", c.Socket)
	logs := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		CannotRun(t, err)
	}
	t.Cleanup(func() {
		c.removeSandboxes(t)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("containerd log:\n%s", logs.String())
		}
	})
	for i := 0; ; i++ {
		err := c.ready()
		if err == nil {
			return
		}
		if i == 100 {
			CannotRun(t, fmt.Errorf("the CRI service did not answer on %s: %v\n%s", c.Socket, err, logs.String()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ready asks the CRI service its version.
func (c *CRI) ready() error {
	conn, err := c.Dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = cri.NewRuntimeServiceClient(conn).Version(ctx, &cri.VersionRequest{})
	return err
}

// Dial connects a gRPC client to the daemon.
func (c *CRI) Dial() (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+c.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// removeSandboxes stops and removes every pod sandbox of the daemon, and
// the pod cgroups the kubelet would remove.
func (c *CRI) removeSandboxes(t *testing.T) {
	conn, err := c.Dial()
	if err != nil {
		t.Errorf("remove pod sandboxes: %v", err)
		return
	}
	defer conn.Close()
	rs := cri.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := rs.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
	if err != nil {
		t.Errorf("list pod sandboxes: %v", err)
		return
	}
	for _, sb := range list.GetItems() {
		parent := cgroupParent(ctx, rs, sb.GetId())
		if _, err := rs.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: sb.GetId()}); err != nil {
			t.Errorf("stop pod sandbox %s: %v", sb.GetId(), err)
		}
		if _, err := rs.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: sb.GetId()}); err != nil {
			t.Errorf("remove pod sandbox %s: %v", sb.GetId(), err)
		}
		removeCgroup(parent)
	}
	if c.cniCache {
		removeEmpty(filepath.Join(cniCacheDir, "results"), cniCacheDir)
	}
}

// cgroupParent returns the cgroup parent a pod sandbox was created with.
func cgroupParent(ctx context.Context, rs cri.RuntimeServiceClient, id string) string {
	resp, err := rs.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		return ""
	}
	var info struct {
		Config struct {
			Linux struct {
				CgroupParent string `json:"cgroup_parent"`
			} `json:"linux"`
		} `json:"config"`
	}
	if json.Unmarshal([]byte(resp.GetInfo()["info"]), &info) != nil {
		return ""
	}
	return info.Config.Linux.CgroupParent
}

// removeCgroup removes cgroup path and its ancestors in every hierarchy,
// as far as they are empty.
func removeCgroup(path string) {
	path = filepath.Clean("/" + path)
	if path == "/" {
		return
	}
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	roots = append(roots, "/sys/fs/cgroup")
	for _, root := range roots {
		for p := path; p != "/"; p = filepath.Dir(p) {
			if err := os.Remove(filepath.Join(root, p)); err != nil && !errors.Is(err, os.ErrNotExist) {
				break
			}
		}
	}
}

// removeEmpty removes the directories that are empty, in order.
func removeEmpty(dirs ...string) {
	for _, d := range dirs {
		os.Remove(d)
	}
}

// deleteLink deletes network interface name (RTM_DELLINK); an interface
// that does not exist is no error.
func deleteLink(name string) error {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	msg := binary.NativeEndian.AppendUint32(nil, unix.NLMSG_HDRLEN+unix.SizeofIfInfomsg)
	msg = binary.NativeEndian.AppendUint16(msg, unix.RTM_DELLINK)
	msg = binary.NativeEndian.AppendUint16(msg, unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	msg = binary.NativeEndian.AppendUint32(msg, 1) // sequence
	msg = binary.NativeEndian.AppendUint32(msg, 0) // port: the kernel
	msg = append(msg, unix.AF_UNSPEC, 0, 0, 0)     // family, pad, type
	msg = binary.NativeEndian.AppendUint32(msg, uint32(ifc.Index))
	msg = binary.NativeEndian.AppendUint32(msg, 0) // flags
	msg = binary.NativeEndian.AppendUint32(msg, 0) // change
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	return netlinkAck(fd)
}

// netlinkAck reads the kernel's answer to a request and returns the
// error it reports.
func netlinkAck(fd int) error {
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n < unix.NLMSG_HDRLEN+4 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return fmt.Errorf("unexpected netlink answer of %d bytes", n)
	}
	if errno := int32(binary.NativeEndian.Uint32(buf[unix.NLMSG_HDRLEN:])); errno != 0 {
		return syscall.Errno(-errno)
	}
	return nil
}
