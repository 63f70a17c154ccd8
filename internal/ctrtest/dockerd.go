package ctrtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// Dockerd is a private Docker daemon: its own data root, exec root (and
// so its own containerd) and socket, no iptables rules and no bridge.
type Dockerd struct {
	// Sock is the daemon's socket.
	Sock string
}

// PrivateDockerd starts a Docker daemon of the test's own, with Image
// loaded, and returns it; the test's cleanup stops it, and with it its
// containers. A host where it does not start skips the test (fails it in
// CI).
func PrivateDockerd(t *testing.T) *Dockerd {
	t.Helper()
	testenv.Tool(t, "dockerd")
	testenv.Tool(t, "docker")
	testenv.Tool(t, "podman")
	dir, err := os.MkdirTemp("", "kestrel-dockerd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Dockerd{Sock: filepath.Join(dir, "docker.sock")}
	cmd := exec.Command("dockerd", "--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(dir, "exec"),
		"-H", "unix://"+d.Sock, "--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--iptables=false", "--ip-masq=false", "--bridge=none")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		CannotRun(t, err)
	}
	// dockerd stops its containers first.
	t.Cleanup(func() { stopProcess(cmd, 15*time.Second) })
	for i := 0; ; i++ {
		if _, err := d.Cmd(t, "version"); err == nil {
			break
		}
		if i == 100 {
			CannotRun(t, fmt.Errorf("dockerd did not answer on %s: %s", d.Sock, logs.String()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.loadImage(t, dir)
	return d
}

// loadImage copies the test image from podman's storage to the daemon's.
func (d *Dockerd) loadImage(t *testing.T, dir string) {
	t.Helper()
	env := PodmanEnv(t)
	if err := BuildImage(t, env); err != nil {
		CannotRun(t, err)
	}
	tar := filepath.Join(dir, "image.tar")
	if _, err := Cmd(t, env, "podman", "save", "--format", "docker-archive", "-o", tar, Image); err != nil {
		CannotRun(t, err)
	}
	if _, err := d.Cmd(t, "load", "-i", tar); err != nil {
		CannotRun(t, err)
	}
}

// Cmd runs the docker command against the daemon.
func (d *Dockerd) Cmd(t *testing.T, args ...string) (string, error) {
	return Cmd(t, nil, "docker", append([]string{"-H", "unix://" + d.Sock}, args...)...)
}

// Run starts a container (docker run -d ARGS IMAGE CMD…), removed by the
// test's cleanup, and returns its full id.
func (d *Dockerd) Run(t *testing.T, args ...string) string {
	t.Helper()
	id, err := d.Cmd(t, append([]string{"run", "-d"}, args...)...)
	if err != nil {
		CannotRun(t, err)
	}
	t.Cleanup(func() { d.Cmd(t, "rm", "-f", id) })
	return id
}
