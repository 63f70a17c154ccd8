package state

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The live tests run a container with a real runtime and match the
// cgroups of its process, read from /proc as the snapshot reads them.
// They skip when the runtime is not installed or cannot run a container,
// and fail instead with CI=true (.ci/run installs podman and containerd).

const liveImage = "localhost/kestrel-busybox:test"

// runtimeCmd runs a runtime's command and returns its trimmed output.
func runtimeCmd(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// podmanEnv returns the environment podman needs: CONTAINERS_CONF as set,
// or a configuration with runc when it is installed (crun cannot run on a
// hybrid cgroup host) and default limits within the hard ones (without
// CAP_SYS_RESOURCE podman cannot raise them).
func podmanEnv(t *testing.T) []string {
	if os.Getenv("CONTAINERS_CONF") != "" {
		return nil
	}
	var nofile, nproc syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
	syscall.Getrlimit(6 /* RLIMIT_NPROC */, &nproc)
	np := min(nproc.Max, 32768) // conmon's own hard limit, where podman starts it
	conf := fmt.Sprintf("[containers]\ndefault_ulimits = [\"nofile=%d:%d\", \"nproc=%d:%d\"]\n", nofile.Max, nofile.Max, np, np)
	if _, err := exec.LookPath("runc"); err == nil {
		conf += "[engine]\nruntime = \"runc\"\n"
	}
	p := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"CONTAINERS_CONF=" + p}
}

// liveImage builds a busybox image from the host's static busybox, with
// no registry.
func buildLiveImage(t *testing.T, env []string) error {
	if _, err := runtimeCmd(t, env, "podman", "image", "exists", liveImage); err == nil {
		return nil
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("a static /bin/busybox is needed: %v", err)
	}
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, d := range []string{"bin/", "tmp/", "proc/", "sys/", "dev/", "etc/"} {
		w.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	w.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bb))})
	w.Write(bb)
	for _, l := range []string{"sh", "sleep", "cat"} {
		w.WriteHeader(&tar.Header{Name: "bin/" + l, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	w.Close()
	p := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		return err
	}
	_, err = runtimeCmd(t, env, "podman", "import", "--change", `CMD ["/bin/sh"]`, "--change", "ENV PATH=/bin", p, liveImage)
	return err
}

// cannotRun skips the test (fails it in CI): the runtime is there but
// does not run containers here.
func cannotRun(t *testing.T, err error) {
	t.Helper()
	if testenv.InCI() {
		t.Fatal(err)
	}
	t.Skip(err)
}

// checkLiveCgroups matches the cgroups of process pid, from
// /proc/PID/cgroup and as the snapshot keeps them.
func checkLiveCgroups(t *testing.T, pid int, id, fullID string, typ ContainerType) {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	text, err := os.ReadFile(dir + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	c := MatchProcCgroup(text)
	if string(c.ID) != id || string(c.FullID) != fullID || (id != "" && c.Type != typ) {
		t.Errorf("pid %d: got %q %q %v, want %q %q %v\n%s", pid, c.ID, c.FullID, c.Type, id, fullID, typ, text)
	}
	r := newProcReader("/proc", SnapshotOptions{}, 1)
	cgroups := r.cgroups(dir)
	gotID, gotTyp, _ := ContainerFromCgroups(cgroups)
	if string(gotID) != id || (id != "" && gotTyp != typ) {
		t.Errorf("pid %d, snapshot entries %q: got %q %v, want %q %v", pid, cgroups, gotID, gotTyp, id, typ)
	}
}

func TestLivePodmanCgroups(t *testing.T) {
	testenv.Tool(t, "podman")
	env := podmanEnv(t)
	if err := buildLiveImage(t, env); err != nil {
		cannotRun(t, err)
	}
	full, err := runtimeCmd(t, env, "podman", "run", "-d", "--rm", liveImage, "sleep", "300")
	if err != nil {
		cannotRun(t, err)
	}
	ctr := full
	t.Cleanup(func() { runtimeCmd(t, env, "podman", "rm", "-f", "-t", "0", ctr) })
	pids, err := runtimeCmd(t, env, "podman", "inspect", "-f", "{{.State.Pid}} {{.State.ConmonPid}}", full)
	if err != nil {
		t.Fatal(err)
	}
	var pid, conmon int
	if _, err := fmt.Sscan(pids, &pid, &conmon); err != nil || pid <= 0 {
		t.Fatalf("pids %q: %v", pids, err)
	}
	checkLiveCgroups(t, pid, full[:12], full, CTPodman)
	if conmon > 0 {
		checkLiveCgroups(t, conmon, "", "", 0) // conmon is not in the container
	}

	// A pod: its containers' cgroups under the pod's, named by its id too,
	// and the conmons in the pod's cgroup.
	const pod = "kestrel-test-pod"
	runtimeCmd(t, env, "podman", "pod", "rm", "-f", "-t", "0", pod)
	if _, err := runtimeCmd(t, env, "podman", "pod", "create", "--name", pod); err != nil {
		t.Logf("no pod test: %v", err)
		return
	}
	t.Cleanup(func() { runtimeCmd(t, env, "podman", "pod", "rm", "-f", "-t", "0", pod) })
	full, err = runtimeCmd(t, env, "podman", "run", "-d", "--pod", pod, liveImage, "sleep", "300")
	if err != nil {
		t.Fatal(err)
	}
	infra, err := runtimeCmd(t, env, "podman", "pod", "inspect", "-f", "{{.InfraContainerID}}", pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{full, infra} {
		pids, err := runtimeCmd(t, env, "podman", "inspect", "-f", "{{.State.Pid}} {{.State.ConmonPid}}", id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscan(pids, &pid, &conmon); err != nil || pid <= 0 {
			t.Fatalf("pids %q: %v", pids, err)
		}
		checkLiveCgroups(t, pid, id[:12], id, CTPodman)
		if conmon > 0 {
			checkLiveCgroups(t, conmon, "", "", 0)
		}
	}
}

func TestLiveCtrCgroups(t *testing.T) {
	for _, tool := range []string{"ctr", "podman", "containerd"} {
		testenv.Tool(t, tool)
	}
	sock := privateContainerd(t)
	ctr := func(args ...string) (string, error) {
		return runtimeCmd(t, nil, "ctr", append([]string{"-a", sock}, args...)...)
	}
	env := podmanEnv(t)
	if err := buildLiveImage(t, env); err != nil {
		cannotRun(t, err)
	}
	const ns, name = "kestrel-test", "kestrel-sleeper"
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	if _, err := runtimeCmd(t, env, "podman", "save", "--format", "docker-archive", "-o", archive, liveImage); err != nil {
		cannotRun(t, err)
	}
	if _, err := ctr("-n", ns, "image", "import", archive); err != nil {
		cannotRun(t, err)
	}
	if _, err := ctr("-n", ns, "run", "-d", liveImage, name, "sleep", "300"); err != nil {
		cannotRun(t, err)
	}
	t.Cleanup(func() {
		ctr("-n", ns, "task", "kill", "-s", "KILL", name)
		ctr("-n", ns, "task", "rm", "-f", name)
		ctr("-n", ns, "container", "rm", name)
	})
	out, err := ctr("-n", ns, "task", "ls")
	if err != nil {
		t.Fatal(err)
	}
	pid := 0
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == name {
			pid, _ = strconv.Atoi(f[1])
		}
	}
	if pid <= 0 {
		t.Fatalf("no pid for %s in\n%s", name, out)
	}
	checkLiveCgroups(t, pid, name[:12], name, CTContainerd)
}

// privateContainerd starts a containerd of the test's own, with its own
// root, state and socket (not the host's /run/containerd, which other
// tools would find), and returns its socket; the test's cleanup stops it.
func privateContainerd(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kestrel-containerd")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "containerd.sock")
	conf := filepath.Join(dir, "config.toml")
	// The CRI plugin is not needed, and would look for CNI.
	if err := os.WriteFile(conf, []byte("version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", conf, "--root", filepath.Join(dir, "root"),
		"--state", filepath.Join(dir, "state"), "--address", sock)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cannotRun(t, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if _, err := runtimeCmd(t, nil, "ctr", "-a", sock, "--connect-timeout", "1s", "version"); err == nil {
			return sock
		}
		if i == 50 {
			cannotRun(t, fmt.Errorf("containerd did not answer on %s: %s", sock, logs.String()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
