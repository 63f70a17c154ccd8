package app

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/config"
)

// TestRuntimeSockets checks where Kestrel looks for the runtimes: the
// configured sockets below the host root (container_engines.host_root,
// else $HOST_ROOT), %d for each user's runtime directory, and only the
// engines enabled.
func TestRuntimeSockets(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"run/user/1000", "run/user/1001", "run/user/not-a-uid"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ce := config.Default().ContainerEngines
	ce.HostRoot = root
	ce.Docker.Enabled, ce.CRI.Enabled = false, false
	var got []string
	for _, s := range runtimeSockets(ce) {
		got = append(got, s.engine+" "+s.path)
	}
	want := []string{
		"podman " + root + "/run/podman/podman.sock",
		"podman " + root + "/run/user/1000/podman/podman.sock",
		"podman " + root + "/run/user/1001/podman/podman.sock",
		"containerd " + root + "/run/containerd/containerd.sock",
		"containerd " + root + "/run/k3s/containerd/containerd.sock",
	}
	if !slices.Equal(got, want) {
		t.Errorf("sockets:\n got %q\nwant %q", got, want)
	}
	t.Setenv("HOST_ROOT", "/host")
	ce.HostRoot = ""
	if got := etcRoot("", ce); got != "/host/etc" {
		t.Errorf("etc below HOST_ROOT: %q", got)
	}
	if got := etcRoot("/elsewhere", ce); got != "/elsewhere" {
		t.Errorf("etc given: %q", got)
	}
	t.Setenv("HOST_ROOT", "")
	if got := etcRoot("", ce); got != "/etc" {
		t.Errorf("etc without a host root: %q", got)
	}
}
