package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/state"
)

// Labels that kubelet (through dockershim or cri-dockerd) gives the
// containers of a pod.
const (
	labelSandboxID = "io.kubernetes.sandbox.id"
	// sandboxNamePrefix starts the name of a pod's sandbox container.
	sandboxNamePrefix = "k8s_POD"
)

// Inspect returns the record of the container q names (q.FullID, else
// q.ID), with q.ID as its id. A container of a Kubernetes pod (label
// io.kubernetes.sandbox.id) comes with its pod sandbox's record second,
// IsSandbox set, when the engine knows the sandbox. An id the engine does
// not know gives an error wrapping [containers.ErrNotFound].
func (c *Client) Inspect(ctx context.Context, q containers.Query) ([]*state.Container, error) {
	id := q.FullID
	if id == "" {
		id = q.ID
	}
	if id == "" {
		return nil, fmt.Errorf("inspect: no container id: %w", containers.ErrNotFound)
	}
	if err := c.ready(ctx); err != nil {
		return nil, fmt.Errorf("inspect %s: %w", id, err)
	}
	r, err := c.inspect(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", id, err)
	}
	rec := c.record(ctx, r)
	if q.ID != "" {
		rec.ID = q.ID
	}
	sb := c.sandbox(ctx, r, rec)
	if sb == nil {
		return []*state.Container{rec}, nil
	}
	return []*state.Container{rec, sb}, nil
}

// inspected is an engine's answer to a container inspect: the typed
// response, and the fields the current types no longer have.
type inspected struct {
	container.InspectResponse
	// IPAddress is NetworkSettings.IPAddress, which engines before API
	// 1.52 report.
	IPAddress string
}

// notFound reports whether err says the engine has no such container:
// HTTP 404, or Podman's HTTP 500 "no such container" for a container it is
// removing.
func notFound(err error) bool {
	return cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "no such container")
}

// inspect asks the engine for one container.
func (c *Client) inspect(ctx context.Context, id string) (*inspected, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("%w: %v", containers.ErrNotFound, err)
		}
		return nil, err
	}
	var legacy struct {
		NetworkSettings *struct{ IPAddress string }
	}
	if err := json.Unmarshal(res.Raw, &legacy); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	r := &inspected{InspectResponse: res.Container}
	if legacy.NetworkSettings != nil {
		r.IPAddress = legacy.NetworkSettings.IPAddress
	}
	return r, nil
}

// record maps an inspected container to the model's record. Requests it
// makes on the way (the image, a container whose network it shares) are
// best effort: their fields stay empty when they fail.
func (c *Client) record(ctx context.Context, r *inspected) *state.Container {
	cfg := r.Config
	if cfg == nil {
		cfg = &container.Config{}
	}
	k := &state.Container{
		ID:          containers.ShortID(r.ID),
		FullID:      r.ID,
		Type:        c.engine,
		Name:        strings.TrimPrefix(r.Name, "/"),
		Image:       cfg.Image,
		CreatedTime: createdTime(r.Created),
		Mounts:      mounts(r.Mounts),
		Labels:      c.labels(cfg.Labels),
	}
	k.IsSandbox = strings.HasPrefix(k.Name, sandboxNamePrefix)
	c.imageFields(ctx, k, r.Image)
	hostFields(k, r.HostConfig)
	k.IP = c.ip(ctx, r)
	k.Probes = probes(cfg)
	return k
}

// sandbox returns the record of the pod sandbox of rec, when rec is a
// container of a Kubernetes pod and the engine knows its sandbox. A
// container without probes of its own takes the sandbox's liveness and
// readiness probes, as kubelet's annotations live on the sandbox.
func (c *Client) sandbox(ctx context.Context, r *inspected, rec *state.Container) *state.Container {
	id, ok := rec.Label(labelSandboxID)
	if !ok || id == "" || id == r.ID || rec.IsSandbox {
		return nil
	}
	sr, err := c.inspect(ctx, id)
	if err != nil {
		return nil
	}
	sb := c.record(ctx, sr)
	sb.IsSandbox = true
	inheritProbes(rec, sb, r.Config)
	return sb
}

// createdTime converts the engine's creation time (RFC 3339) to seconds
// since the epoch; 0 when it does not parse.
func createdTime(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0
	}
	return t.Unix()
}

// mounts maps the engine's mount points, in its order.
func mounts(mps []container.MountPoint) []state.Mount {
	if len(mps) == 0 {
		return nil
	}
	out := make([]state.Mount, len(mps))
	for i, m := range mps {
		out[i] = state.Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode,
			RW: m.RW, Propagation: string(m.Propagation)}
	}
	return out
}

// labels returns the labels sorted by key, leaving out those whose value
// is longer than the limit.
func (c *Client) labels(m map[string]string) []state.Label {
	out := make([]state.Label, 0, len(m))
	for k, v := range m {
		if c.labelMaxLen >= 0 && len(v) > c.labelMaxLen {
			continue
		}
		out = append(out, state.Label{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if len(out) == 0 {
		return nil
	}
	return out
}

// hostFields sets privileged mode and the host namespaces.
func hostFields(k *state.Container, h *container.HostConfig) {
	if h == nil {
		return
	}
	k.Privileged = h.Privileged
	k.HostPID = h.PidMode == "host"
	k.HostNetwork = h.NetworkMode == "host"
	k.HostIPC = h.IpcMode == "host"
}

// ip returns the container's IPv4 address: NetworkSettings.IPAddress;
// else, for a container in another's network namespace
// (--network container:ID), that container's; else the first of its
// networks (by name) that has an IPv4 address.
func (c *Client) ip(ctx context.Context, r *inspected) string {
	if r.IPAddress != "" {
		return r.IPAddress
	}
	if h := r.HostConfig; h != nil && h.NetworkMode.IsContainer() {
		if o, err := c.inspect(ctx, h.NetworkMode.ConnectedContainer()); err == nil {
			return firstIP(o)
		}
		return ""
	}
	return firstIP(r)
}

// firstIP returns NetworkSettings.IPAddress, else the IPv4 address of
// the first network by name that has one.
func firstIP(r *inspected) string {
	if r.IPAddress != "" || r.NetworkSettings == nil {
		return r.IPAddress
	}
	names := make([]string, 0, len(r.NetworkSettings.Networks))
	for n := range r.NetworkSettings.Networks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if e := r.NetworkSettings.Networks[n]; e != nil && e.IPAddress.Is4() {
			return e.IPAddress.String()
		}
	}
	return ""
}
