package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// The live tests run a container with a real runtime and match the
// cgroups of its process, read from /proc as the snapshot reads them.
// They skip when the runtime is not installed or cannot run a container,
// and fail instead with CI=true (.ci/run installs podman and containerd).

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
	env := ctrtest.PodmanEnv(t)
	if err := ctrtest.BuildImage(t, env); err != nil {
		ctrtest.CannotRun(t, err)
	}
	full, err := ctrtest.Cmd(t, env, "podman", "run", "-d", "--rm", ctrtest.Image, "sleep", "300")
	if err != nil {
		ctrtest.CannotRun(t, err)
	}
	ctr := full
	t.Cleanup(func() { ctrtest.Cmd(t, env, "podman", "rm", "-f", "-t", "0", ctr) })
	pids, err := ctrtest.Cmd(t, env, "podman", "inspect", "-f", "{{.State.Pid}} {{.State.ConmonPid}}", full)
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
	ctrtest.Cmd(t, env, "podman", "pod", "rm", "-f", "-t", "0", pod)
	if _, err := ctrtest.Cmd(t, env, "podman", "pod", "create", "--name", pod); err != nil {
		t.Logf("no pod test: %v", err)
		return
	}
	t.Cleanup(func() { ctrtest.Cmd(t, env, "podman", "pod", "rm", "-f", "-t", "0", pod) })
	full, err = ctrtest.Cmd(t, env, "podman", "run", "-d", "--pod", pod, ctrtest.Image, "sleep", "300")
	if err != nil {
		t.Fatal(err)
	}
	infra, err := ctrtest.Cmd(t, env, "podman", "pod", "inspect", "-f", "{{.InfraContainerID}}", pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{full, infra} {
		pids, err := ctrtest.Cmd(t, env, "podman", "inspect", "-f", "{{.State.Pid}} {{.State.ConmonPid}}", id)
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
	sock := ctrtest.PrivateContainerd(t)
	ctr := func(args ...string) (string, error) {
		return ctrtest.Cmd(t, nil, "ctr", append([]string{"-a", sock}, args...)...)
	}
	env := ctrtest.PodmanEnv(t)
	if err := ctrtest.BuildImage(t, env); err != nil {
		ctrtest.CannotRun(t, err)
	}
	const ns, name = "kestrel-test", "kestrel-sleeper"
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	if _, err := ctrtest.Cmd(t, env, "podman", "save", "--format", "docker-archive", "-o", archive, ctrtest.Image); err != nil {
		ctrtest.CannotRun(t, err)
	}
	if _, err := ctr("-n", ns, "image", "import", archive); err != nil {
		ctrtest.CannotRun(t, err)
	}
	if _, err := ctr("-n", ns, "run", "-d", ctrtest.Image, name, "sleep", "300"); err != nil {
		ctrtest.CannotRun(t, err)
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
