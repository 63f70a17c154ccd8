// Package ctrtest runs real containers for tests: a busybox image built
// from the host's static busybox (no registry), podman with the settings
// this kind of host needs, and private containerd daemons that other
// tools on the host do not find. A test that cannot run a container skips,
// and fails instead when CI=true.
package ctrtest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// Image is the busybox image the tests run.
const Image = "localhost/kestrel-busybox:test"

// Cmd runs a runtime's command and returns its trimmed output.
func Cmd(t *testing.T, env []string, name string, args ...string) (string, error) {
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

// PodmanEnv returns the environment podman needs: CONTAINERS_CONF as set,
// or a configuration with runc when it is installed (crun cannot run on a
// hybrid cgroup host) and default limits within the hard ones (without
// CAP_SYS_RESOURCE podman cannot raise them).
func PodmanEnv(t *testing.T) []string {
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

// BuildImage builds the busybox image Image from the host's static busybox, with
// no registry.
func BuildImage(t *testing.T, env []string) error {
	if _, err := Cmd(t, env, "podman", "image", "exists", Image); err == nil {
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
	_, err = Cmd(t, env, "podman", "import", "--change", `CMD ["/bin/sh"]`, "--change", "ENV PATH=/bin", p, Image)
	return err
}

// CannotRun skips the test (fails it in CI): the runtime is there but
// does not run containers here.
func CannotRun(t *testing.T, err error) {
	t.Helper()
	if testenv.InCI() {
		t.Fatal(err)
	}
	t.Skip(err)
}

// PrivateContainerd starts a containerd of the test's own, with its own
// root, state and socket (not the host's /run/containerd, which other
// tools would find), and returns its socket; the test's cleanup stops it.
func PrivateContainerd(t *testing.T) string {
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
		CannotRun(t, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if _, err := Cmd(t, nil, "ctr", "-a", sock, "--connect-timeout", "1s", "version"); err == nil {
			return sock
		}
		if i == 50 {
			CannotRun(t, fmt.Errorf("containerd did not answer on %s: %s", sock, logs.String()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// UsePodman makes the test's podman commands (and the processes it
// starts) run containers here: it sets PodmanEnv's environment for the
// test and builds [Image]. A host that cannot skips the test (fails it in
// CI).
func UsePodman(t *testing.T) {
	t.Helper()
	testenv.Tool(t, "podman")
	env := PodmanEnv(t)
	if err := BuildImage(t, env); err != nil {
		CannotRun(t, err)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
