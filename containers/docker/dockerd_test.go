package docker_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/containers/docker"
	"github.com/kestrel-sec/kestrel/internal/ctrtest"
	"github.com/kestrel-sec/kestrel/state"
)

// dockerd is a private Docker daemon and a client of it.
type dockerd struct {
	*ctrtest.Dockerd
	sock   string
	client *docker.Client
}

func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	d := &dockerd{Dockerd: ctrtest.PrivateDockerd(t)}
	d.sock = d.Sock
	var err error
	d.client, err = docker.Open(context.Background(), docker.Options{Socket: d.sock, Engine: state.CTDocker, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.client.Close() })
	return d
}

func (d *dockerd) cmd(t *testing.T, args ...string) (string, error) { return d.Cmd(t, args...) }

func (d *dockerd) run(t *testing.T, args ...string) string { return d.Run(t, args...) }

// dockerInspect is what `docker inspect` says of a container.
type dockerInspect struct {
	ID      string `json:"Id"`
	Created time.Time
	Name    string
	Image   string
	Config  struct {
		Image  string
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

// expectDocker returns the record `docker inspect` implies, and the
// image's tags and digests.
func (d *dockerd) expect(t *testing.T, id string) *state.Container {
	t.Helper()
	out, err := d.cmd(t, "inspect", "--type", "container", id)
	if err != nil {
		t.Fatal(err)
	}
	var di []dockerInspect
	if err := json.Unmarshal([]byte(out), &di); err != nil || len(di) != 1 {
		t.Fatalf("docker inspect %s: %v: %s", id, err, out)
	}
	c := di[0]
	k := &state.Container{
		ID: containers.ShortID(c.ID), FullID: c.ID, Type: state.CTDocker,
		Name: strings.TrimPrefix(c.Name, "/"), Image: c.Config.Image, ImageID: strings.TrimPrefix(c.Image, "sha256:"),
		Privileged:  c.HostConfig.Privileged,
		HostPID:     c.HostConfig.PidMode == "host",
		HostNetwork: c.HostConfig.NetworkMode == "host",
		HostIPC:     c.HostConfig.IpcMode == "host",
		IP:          c.NetworkSettings.IPAddress,
		CreatedTime: c.Created.Unix(),
	}
	k.ImageRepo, k.ImageTag, k.ImageDigest = containers.SplitImage(c.Config.Image)
	for key, v := range c.Config.Labels {
		k.Labels = append(k.Labels, state.Label{Key: key, Value: v})
	}
	sort.Slice(k.Labels, func(i, j int) bool { return k.Labels[i].Key < k.Labels[j].Key })
	for _, m := range c.Mounts {
		k.Mounts = append(k.Mounts, state.Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode,
			RW: m.RW, Propagation: m.Propagation})
	}
	return k
}

// TestDockerd checks the Docker engine itself: records and events.
// (dockerd cannot run --privileged containers on a host without
// CAP_SYS_RESOURCE, so privileged mode is left to the podman tests.)
func TestDockerd(t *testing.T) {
	d := startDockerd(t)
	mountDir := t.TempDir()
	t.Run("inspect", func(t *testing.T) {
		id := d.run(t, "--network", "none", "--pid", "host", "--label", "io.kubernetes.pod.name=web-1",
			"--label", "app=web", "-v", mountDir+":/data:ro", "--health-cmd", "cat /tmp/ok",
			ctrtest.Image, "sleep", "300")
		recs, err := d.client.Inspect(context.Background(), containers.Query{ID: id[:12], FullID: id, Type: state.CTDocker})
		if err != nil {
			t.Fatal(err)
		}
		want := d.expect(t, id)
		want.Probes[state.ProbeHealthcheck] = state.Probe{Set: true, Exe: "/bin/sh", Args: []string{"-c", "cat /tmp/ok"}}
		if len(recs) != 1 {
			t.Fatalf("%d records, want 1", len(recs))
		}
		compare(t, recs[0], want)
		if k := recs[0]; !k.HostPID || len(k.Mounts) != 1 || k.Mounts[0].Mode != "ro" || k.ImageTag != "test" {
			t.Errorf("host pid %v, mounts %+v, tag %q", k.HostPID, k.Mounts, k.ImageTag)
		}
	})
	t.Run("not-found", func(t *testing.T) {
		full := randomHex(32)
		_, err := d.client.Inspect(context.Background(), containers.Query{ID: full[:12], FullID: full, Type: state.CTDocker})
		if !errors.Is(err, containers.ErrNotFound) {
			t.Fatalf("Inspect of an unknown id: %v, want ErrNotFound", err)
		}
	})
	t.Run("watch", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		ch := make(chan containers.Event, 64)
		done := make(chan error, 1)
		w := shortTimeout(t, d.sock, state.CTDocker)
		go func() { done <- w.Watch(ctx, ch) }()
		time.Sleep(3 * shortWait) // an idle stream outlives the timeout
		id := d.run(t, "--network", "none", ctrtest.Image, "sleep", "0")
		if _, err := d.cmd(t, "wait", id); err != nil {
			t.Fatal(err)
		}
		if _, err := d.cmd(t, "rm", id); err != nil {
			t.Fatal(err)
		}
		expectEvents(t, ctx, ch, done, id)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch after cancel: %v, want context.Canceled", err)
		}
	})
}
