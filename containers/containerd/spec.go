package containerd

import (
	"strings"

	"github.com/kestrel-sec/kestrel/state"
)

// ociSpec is the part of an OCI runtime spec the records read.
type ociSpec struct {
	Process *struct {
		ApparmorProfile string `json:"apparmorProfile"`
		SelinuxLabel    string `json:"selinuxLabel"`
	} `json:"process"`
	Mounts []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Annotations map[string]string `json:"annotations"`
	Linux       *struct {
		Namespaces []struct {
			Type string `json:"type"`
		} `json:"namespaces"`
		MaskedPaths       []string  `json:"maskedPaths"`
		ReadonlyPaths     []string  `json:"readonlyPaths"`
		Seccomp           *struct{} `json:"seccomp"`
		RootfsPropagation string    `json:"rootfsPropagation"`
	} `json:"linux"`
}

// mounts returns the spec's mounts as Falco reports a containerd
// container's: the mode from a "mode=" option, read-write unless an "ro"
// option says otherwise, and the rootfs propagation as every mount's
// propagation.
func (s *ociSpec) mounts() []state.Mount {
	if len(s.Mounts) == 0 {
		return nil
	}
	propagation := ""
	if s.Linux != nil {
		propagation = s.Linux.RootfsPropagation
	}
	ms := make([]state.Mount, 0, len(s.Mounts))
	for _, m := range s.Mounts {
		mount := state.Mount{Source: m.Source, Dest: m.Destination, RW: true, Propagation: propagation}
		for _, o := range m.Options {
			if o == "ro" {
				mount.RW = false
			} else if mode, ok := strings.CutPrefix(o, "mode="); ok {
				mount.Mode = mode
			}
		}
		ms = append(ms, mount)
	}
	return ms
}

// hostNamespaces reports which of the host's pid, network and ipc
// namespaces the container shares: those the spec does not ask a new one of.
func (s *ociSpec) hostNamespaces() (pid, network, ipc bool) {
	pid, network, ipc = true, true, true
	if s.Linux == nil {
		return pid, network, ipc
	}
	for _, ns := range s.Linux.Namespaces {
		switch ns.Type {
		case "pid":
			pid = false
		case "network":
			network = false
		case "ipc":
			ipc = false
		}
	}
	return pid, network, ipc
}

// privileged reports whether the spec is what containerd makes of a
// privileged container, as Falco tells it: no masked or read-only paths,
// no SELinux label, no AppArmor profile but "unconfined", no seccomp
// filter, and no read-only sysfs or cgroup mount.
func (s *ociSpec) privileged() bool {
	if s.Linux == nil || s.Process == nil {
		return false
	}
	if s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil || s.Linux.Seccomp != nil {
		return false
	}
	if s.Process.SelinuxLabel != "" || (s.Process.ApparmorProfile != "" && s.Process.ApparmorProfile != "unconfined") {
		return false
	}
	for _, m := range s.Mounts {
		if m.Type != "sysfs" && m.Type != "cgroup" {
			continue
		}
		for _, o := range m.Options {
			if o == "ro" {
				return false
			}
		}
	}
	return true
}
