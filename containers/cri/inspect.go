package cri

import (
	"context"
	"fmt"
	"sort"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/state"
)

// Labels the records carry for the Kubernetes fields, as Falco adds them.
const (
	labelContainerName = "io.kubernetes.container.name"
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelSandboxID     = "io.kubernetes.sandbox.id"
)

// Inspect returns the record of the container q.FullID names, then its
// pod sandbox's. When q.FullID is a pod sandbox (its pause container),
// the sandbox's record comes alone. A container that containerd runs
// itself (q.Namespace set) is none of the CRI's.
func (r *Runtime) Inspect(ctx context.Context, q containers.Query) ([]*state.Container, error) {
	if q.Namespace != "" {
		return nil, fmt.Errorf("cri: container %s of containerd namespace %s: %w", q.FullID, q.Namespace, containers.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cs, err := r.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: q.FullID, Verbose: true})
	if status.Code(err) == codes.NotFound {
		return r.inspectSandbox(ctx, q)
	}
	if err != nil {
		return nil, fmt.Errorf("cri: container %s: %w", q.FullID, err)
	}
	if cs.GetStatus() == nil {
		return nil, fmt.Errorf("cri: container %s: no status", q.FullID)
	}
	k := r.container(ctx, q.ID, cs)
	if k.SandboxID == "" {
		return []*state.Container{k}, nil
	}
	sb, err := r.sandbox(ctx, k.SandboxID)
	if err != nil {
		// The container's record stands without its pod's, as in Falco.
		return []*state.Container{k}, nil
	}
	addPod(k, sb)
	return []*state.Container{k, sb}, nil
}

// container builds a container's record from its status, asking the
// runtime what the status does not tell: the image id, the pod sandbox.
func (r *Runtime) container(ctx context.Context, shortID string, cs *runtimeapi.ContainerStatusResponse) *state.Container {
	k := r.containerRecord(shortID, cs.GetStatus(), parseContainerInfo(cs.GetInfo()))
	if k.ImageID == "" {
		k.ImageID = r.imageID(ctx, cs.GetStatus().GetImageRef())
	}
	if k.SandboxID == "" {
		k.SandboxID = r.listedSandboxID(ctx, k.FullID)
	}
	if k.SandboxID != "" {
		setLabel(&k.Labels, labelSandboxID, k.SandboxID)
	}
	return k
}

// inspectSandbox returns the record of pod sandbox q.FullID.
func (r *Runtime) inspectSandbox(ctx context.Context, q containers.Query) ([]*state.Container, error) {
	sb, err := r.sandbox(ctx, q.FullID)
	if status.Code(err) == codes.NotFound {
		return nil, fmt.Errorf("cri: container %s: %w", q.FullID, containers.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if q.ID != "" {
		sb.ID = q.ID
	}
	return []*state.Container{sb}, nil
}

// sandbox reads the record of pod sandbox id.
func (r *Runtime) sandbox(ctx context.Context, id string) (*state.Container, error) {
	resp, err := r.rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		return nil, fmt.Errorf("cri: pod sandbox %s: %w", id, err)
	}
	if resp.GetStatus() == nil {
		return nil, fmt.Errorf("cri: pod sandbox %s: no status", id)
	}
	return r.sandboxRecord(resp.GetStatus(), resp.GetInfo()), nil
}

// listedSandboxID returns the pod sandbox of container id, as the
// container list tells it.
func (r *Runtime) listedSandboxID(ctx context.Context, id string) string {
	resp, err := r.rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{Id: id}})
	if err != nil || len(resp.GetContainers()) != 1 {
		return ""
	}
	return resp.GetContainers()[0].GetPodSandboxId()
}

// imageID asks the image service the id of the image ref names, as Falco
// does when the container's info does not tell it.
func (r *Runtime) imageID(ctx context.Context, ref string) string {
	if ref == "" {
		return ""
	}
	resp, err := r.is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	if err != nil {
		return ""
	}
	return trimAlgorithm(resp.GetImage().GetId())
}

// containerRecord builds the record of a container from its status and
// verbose info.
func (r *Runtime) containerRecord(shortID string, s *runtimeapi.ContainerStatus, info *containerInfo) *state.Container {
	k := &state.Container{
		ID:          shortID,
		FullID:      s.GetId(),
		Type:        r.typ,
		Name:        s.GetMetadata().GetName(),
		Privileged:  info.privileged(),
		SandboxID:   info.SandboxID,
		CreatedTime: s.GetCreatedAt() / 1e9,
		Mounts:      mounts(s.GetMounts()),
		Labels:      r.labels(s.GetLabels(), nil),
	}
	if k.ID == "" {
		k.ID = containers.ShortID(k.FullID)
	}
	if k.Name == "" {
		k.Name = s.GetLabels()[labelContainerName]
	}
	k.Image, k.ImageDigest = image(s, info)
	k.ImageRepo, k.ImageTag, _ = containers.SplitImage(k.Image)
	k.ImageID = info.configImageID()
	if k.ImageID == "" {
		k.ImageID = trimAlgorithm(s.GetImageId())
	}
	k.HostPID, k.HostNetwork, k.HostIPC = info.hostNamespaces()
	return k
}

// sandboxRecord builds the record of a pod sandbox from its status and
// verbose info: its labels are the pod's, with the pod's name, namespace
// and uid and the sandbox's id added as Falco adds them.
func (r *Runtime) sandboxRecord(s *runtimeapi.PodSandboxStatus, verbose map[string]string) *state.Container {
	info := parseSandboxInfo(verbose)
	md := s.GetMetadata()
	pod := map[string]string{labelPodUID: md.GetUid(), labelPodName: md.GetName(),
		labelPodNamespace: md.GetNamespace(), labelSandboxID: s.GetId()}
	k := &state.Container{
		ID:          containers.ShortID(s.GetId()),
		FullID:      s.GetId(),
		Type:        r.typ,
		Name:        md.GetName(),
		SandboxID:   s.GetId(),
		IsSandbox:   true,
		CreatedTime: s.GetCreatedAt() / 1e9,
		Labels:      r.labels(s.GetLabels(), pod),
		CNIJSON:     info.cniResult(),
	}
	opts := s.GetLinux().GetNamespaces().GetOptions()
	k.HostPID = opts.GetPid() == runtimeapi.NamespaceMode_NODE
	k.HostNetwork = opts.GetNetwork() == runtimeapi.NamespaceMode_NODE
	k.HostIPC = opts.GetIpc() == runtimeapi.NamespaceMode_NODE
	if !k.HostNetwork {
		k.IP = s.GetNetwork().GetIp()
	}
	return k
}

// addPod gives a container's record what Falco copies to it from its pod
// sandbox: the pod's IP and CNI result, its name, namespace and uid
// labels, and the host namespaces the pod shares.
func addPod(k, sb *state.Container) {
	k.IP, k.CNIJSON = sb.IP, sb.CNIJSON
	k.HostPID, k.HostNetwork, k.HostIPC = sb.HostPID, sb.HostNetwork, sb.HostIPC
	for _, key := range []string{labelPodUID, labelPodName, labelPodNamespace} {
		if v, ok := sb.Label(key); ok {
			setLabel(&k.Labels, key, v)
		}
	}
}

// mounts returns a container's mounts, with the propagation names Falco
// prints.
func mounts(ms []*runtimeapi.Mount) []state.Mount {
	if len(ms) == 0 {
		return nil
	}
	out := make([]state.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, state.Mount{
			Source:      m.GetHostPath(),
			Dest:        m.GetContainerPath(),
			RW:          !m.GetReadonly(),
			Propagation: propagationName(m.GetPropagation()),
		})
	}
	return out
}

// propagationName names a mount propagation as Falco prints it.
func propagationName(p runtimeapi.MountPropagation) string {
	switch p {
	case runtimeapi.MountPropagation_PROPAGATION_PRIVATE:
		return "private"
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		return "rslave"
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		return "rshared"
	}
	return "unknown"
}

// labels returns the labels m, without those whose value is longer than
// the runtime's label_max_len, and the labels add, sorted by key.
func (r *Runtime) labels(m, add map[string]string) []state.Label {
	if len(m)+len(add) == 0 {
		return nil
	}
	ls := make([]state.Label, 0, len(m)+len(add))
	for k, v := range m {
		if _, ok := add[k]; !ok && (r.labelMaxLen < 0 || len(v) <= r.labelMaxLen) {
			ls = append(ls, state.Label{Key: k, Value: v})
		}
	}
	for k, v := range add {
		ls = append(ls, state.Label{Key: k, Value: v})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Key < ls[j].Key })
	return ls
}

// setLabel sets label key of the sorted labels ls to v.
func setLabel(ls *[]state.Label, key, v string) {
	i := sort.Search(len(*ls), func(i int) bool { return (*ls)[i].Key >= key })
	if i < len(*ls) && (*ls)[i].Key == key {
		(*ls)[i].Value = v
		return
	}
	*ls = append(*ls, state.Label{})
	copy((*ls)[i+1:], (*ls)[i:])
	(*ls)[i] = state.Label{Key: key, Value: v}
}
