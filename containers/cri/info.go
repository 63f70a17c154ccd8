package cri

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kestrel-sec/kestrel/containers"
)

// maxCNIResult bounds a pod's CNI result, as Falco does.
const maxCNIResult = 4096

// Annotations of the runtimes' OCI specs the records read.
const (
	annotationImageName     = "io.kubernetes.cri.image-name" // containerd
	annotationCRIOImage     = "io.kubernetes.cri-o.Image"
	annotationCRIOImageName = "io.kubernetes.cri-o.ImageName"
	annotationCRIOCNIResult = "io.kubernetes.cri-o.CNIResult"
)

// securityContext is the part of a container's CRI security context its
// verbose info tells.
type securityContext struct {
	Privileged       *bool `json:"privileged"`
	NamespaceOptions *struct {
		Network namespaceMode `json:"network"`
		Pid     namespaceMode `json:"pid"`
		Ipc     namespaceMode `json:"ipc"`
	} `json:"namespace_options"`
}

// containerInfo is the part of a container's verbose info (the JSON text
// under "info") the record reads: containerd's and CRI-O's forms.
type containerInfo struct {
	SandboxID  string `json:"sandboxID"`
	Privileged *bool  `json:"privileged"`
	Config     struct {
		Image struct {
			Image string `json:"image"`
		} `json:"image"`
		Linux struct {
			SecurityContext securityContext `json:"security_context"`
		} `json:"linux"`
	} `json:"config"`
	RuntimeSpec struct {
		Annotations map[string]string `json:"annotations"`
		Linux       struct {
			SecurityContext securityContext `json:"security_context"`
		} `json:"linux"`
	} `json:"runtimeSpec"`
}

// parseContainerInfo decodes a container's verbose info; info that is
// absent or does not decode reads as empty.
func parseContainerInfo(verbose map[string]string) *containerInfo {
	var info containerInfo
	if s, ok := verbose["info"]; ok && json.Unmarshal([]byte(s), &info) != nil {
		info = containerInfo{}
	}
	return &info
}

// privileged reports whether the container is privileged, from the first
// of the places the runtimes tell it in: the runtime spec's security
// context (older containerd), the container config's (containerd), the
// info's own flag (CRI-O).
func (i *containerInfo) privileged() bool {
	for _, p := range []*bool{i.RuntimeSpec.Linux.SecurityContext.Privileged,
		i.Config.Linux.SecurityContext.Privileged, i.Privileged} {
		if p != nil {
			return *p
		}
	}
	return false
}

// hostNamespaces reports which of the host's pid, network and ipc
// namespaces the container's config asks to share.
func (i *containerInfo) hostNamespaces() (pid, network, ipc bool) {
	o := i.Config.Linux.SecurityContext.NamespaceOptions
	if o == nil {
		return false, false, false
	}
	node := namespaceMode(runtimeapi.NamespaceMode_NODE)
	return o.Pid == node, o.Network == node, o.Ipc == node
}

// annotation returns the first of the runtime spec's annotations keys
// that is set.
func (i *containerInfo) annotation(keys ...string) (string, bool) {
	for _, key := range keys {
		if v, ok := i.RuntimeSpec.Annotations[key]; ok {
			return v, true
		}
	}
	return "", false
}

// namespaceMode is a CRI namespace mode in JSON: its number, or its name.
type namespaceMode int32

// UnmarshalJSON decodes a number or an enum name.
func (m *namespaceMode) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		*m = namespaceMode(runtimeapi.NamespaceMode_value[s])
		return nil
	}
	var n int32
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*m = namespaceMode(n)
	return nil
}

// image returns the image of a container and its digest, as Falco reads
// them: image_ref is either "sha256:DIGEST" or "REPO@sha256:DIGEST"; in
// the second form the image is REPO with the tag of the status's image.
// An image that is a bare id gives way to the name in the runtime's
// annotations.
func image(s *runtimeapi.ContainerStatus, info *containerInfo) (name, digest string) {
	ref, name := s.GetImageRef(), s.GetImage().GetImage()
	withTag := false
	switch i := strings.Index(ref, "sha256:"); {
	case i == 0:
		digest = ref
	case i > 0 && ref[i-1] == '@':
		name, digest, withTag = ref[:i-1], ref[i:], true
	}
	if name == "" || strings.HasPrefix(name, "sha256") {
		if v, ok := info.annotation(annotationImageName, annotationCRIOImage, annotationCRIOImageName); ok {
			name, withTag = v, false
		}
	}
	if withTag {
		if _, tag, _ := containers.SplitImage(s.GetImage().GetImage()); tag != "" {
			name += ":" + tag
		}
	}
	if digest == "" {
		_, _, digest = containers.SplitImage(name)
	}
	return name, digest
}

// configImageID returns the image id a container's verbose config
// names: the kubelet creates containers from the image's id
// ("sha256:HEX"), and Falco takes HEX from there. Another client may
// have given a name, which is no id.
func (i *containerInfo) configImageID() string {
	return trimAlgorithm(i.Config.Image.Image)
}

// trimAlgorithm returns the hex digits of a "sha256:HEX" id, or "".
func trimAlgorithm(id string) string {
	hex, ok := strings.CutPrefix(id, "sha256:")
	if !ok {
		return ""
	}
	return hex
}

// sandboxInfo is the part of a pod sandbox's verbose info the record
// reads: containerd's CNI result, CRI-O's annotation of it.
type sandboxInfo struct {
	CNIResult *struct {
		Interfaces json.RawMessage `json:"Interfaces"`
	} `json:"cniResult"`
	RuntimeSpec struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"runtimeSpec"`
}

// parseSandboxInfo decodes a pod sandbox's verbose info.
func parseSandboxInfo(verbose map[string]string) *sandboxInfo {
	var info sandboxInfo
	if s, ok := verbose["info"]; ok && json.Unmarshal([]byte(s), &info) != nil {
		info = sandboxInfo{}
	}
	return &info
}

// cniResult returns the pod's CNI result as Falco keeps it: containerd's
// interfaces by name, without the loopback and the host's veth ends and
// without their MAC addresses and network namespaces, as compact JSON
// with sorted keys; or CRI-O's annotation. At most maxCNIResult bytes.
func (i *sandboxInfo) cniResult() string {
	var s string
	switch {
	case i.CNIResult != nil && len(i.CNIResult.Interfaces) > 0 && string(i.CNIResult.Interfaces) != "null":
		s = compactInterfaces(i.CNIResult.Interfaces)
	default:
		s = i.RuntimeSpec.Annotations[annotationCRIOCNIResult]
	}
	s = strings.TrimSuffix(s, "\n")
	if len(s) > maxCNIResult {
		s = s[:maxCNIResult]
	}
	return s
}

// compactInterfaces encodes the interfaces that Falco keeps, keys sorted.
func compactInterfaces(raw json.RawMessage) string {
	var ifaces map[string]map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&ifaces); err != nil {
		return ""
	}
	for name, cfg := range ifaces {
		if name == "lo" || strings.HasPrefix(name, "veth") {
			delete(ifaces, name)
			continue
		}
		delete(cfg, "Mac")
		delete(cfg, "Sandbox")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ifaces); err != nil {
		return ""
	}
	return b.String()
}
