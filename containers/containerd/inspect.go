package containerd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	containersapi "github.com/containerd/containerd/api/services/containers/v1"
	namespacesapi "github.com/containerd/containerd/api/services/namespaces/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/state"
)

// Annotation and label that containerd's CRI service gives the
// containers of Kubernetes pods.
const (
	annotationSandboxID = "io.kubernetes.cri.sandbox-id"
	labelKind           = "io.cri-containerd.kind"
)

// Inspect returns the record of the container q names: q.FullID is its
// containerd id, looked up in q.Namespace (in every namespace when
// q.Namespace is empty). The fields are those Falco's container plugin
// gives containerd's containers.
func (r *Runtime) Inspect(ctx context.Context, q containers.Query) ([]*state.Container, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	nss := []string{q.Namespace}
	if q.Namespace == "" {
		var err error
		if nss, err = r.namespaces(ctx); err != nil {
			return nil, err
		}
	}
	for _, ns := range nss {
		c, err := r.get(ctx, ns, q.FullID)
		if errors.Is(err, containers.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return []*state.Container{r.record(ctx, ns, q.ID, c)}, nil
	}
	return nil, fmt.Errorf("containerd: container %q: %w", q.FullID, containers.ErrNotFound)
}

// namespaces lists containerd's namespaces.
func (r *Runtime) namespaces(ctx context.Context) ([]string, error) {
	resp, err := namespacesapi.NewNamespacesClient(r.conn).List(ctx, &namespacesapi.ListNamespacesRequest{})
	if err != nil {
		return nil, fmt.Errorf("containerd: list namespaces: %w", err)
	}
	nss := make([]string, 0, len(resp.GetNamespaces()))
	for _, n := range resp.GetNamespaces() {
		nss = append(nss, n.GetName())
	}
	return nss, nil
}

// get reads container id of namespace ns.
func (r *Runtime) get(ctx context.Context, ns, id string) (*containersapi.Container, error) {
	resp, err := containersapi.NewContainersClient(r.conn).Get(inNamespace(ctx, ns),
		&containersapi.GetContainerRequest{ID: id})
	if status.Code(err) == codes.NotFound {
		return nil, fmt.Errorf("containerd: container %q in namespace %q: %w", id, ns, containers.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("containerd: container %q in namespace %q: %w", id, ns, err)
	}
	return resp.GetContainer(), nil
}

// record builds the model's record of container c of namespace ns.
func (r *Runtime) record(ctx context.Context, ns, shortID string, c *containersapi.Container) *state.Container {
	spec := decodeSpec(c.GetSpec().GetValue())
	k := &state.Container{
		ID:        shortID,
		FullID:    c.GetID(),
		Type:      state.CTContainerd,
		Name:      containers.ShortID(c.GetID()),
		Image:     c.GetImage(),
		Labels:    r.labels(c.GetLabels()),
		Mounts:    spec.mounts(),
		SandboxID: c.GetSandbox(),
		IsSandbox: c.GetLabels()[labelKind] == "sandbox",
	}
	if k.ID == "" {
		k.ID = containers.ShortID(k.FullID)
	}
	if k.SandboxID == "" {
		k.SandboxID = spec.Annotations[annotationSandboxID]
	}
	if t := c.GetCreatedAt(); t != nil {
		k.CreatedTime = t.GetSeconds()
	}
	k.ImageRepo, k.ImageTag, _ = containers.SplitImage(k.Image)
	k.HostPID, k.HostNetwork, k.HostIPC = spec.hostNamespaces()
	k.Privileged = spec.privileged()
	k.ImageDigest, k.ImageID = r.image(ctx, ns, k.Image)
	return k
}

// labels returns the labels sorted by key, without those whose value is
// longer than the runtime's label_max_len.
func (r *Runtime) labels(m map[string]string) []state.Label {
	if len(m) == 0 {
		return nil
	}
	ls := make([]state.Label, 0, len(m))
	for k, v := range m {
		if r.labelMaxLen < 0 || len(v) <= r.labelMaxLen {
			ls = append(ls, state.Label{Key: k, Value: v})
		}
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Key < ls[j].Key })
	return ls
}

// decodeSpec decodes the container's OCI runtime spec (JSON); a spec that
// does not decode reads as an empty one.
func decodeSpec(b []byte) *ociSpec {
	var s ociSpec
	if len(b) > 0 && json.Unmarshal(b, &s) != nil {
		s = ociSpec{}
	}
	return &s
}
