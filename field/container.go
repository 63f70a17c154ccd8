package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/glob"
	"github.com/kestrel-sec/kestrel/state"
)

// Container fields. A host thread (no container id) has container.id,
// container.name and container.type "host" and no other value; a thread
// in a container the model has no record of has its id alone.

// ctrOf returns the event's thread and its container record (nil for a
// host thread or an unknown container).
func ctrOf(c *Context) (*state.Thread, *state.Container) {
	t := c.Thread()
	if t == nil || t.ContainerID == "" {
		return t, nil
	}
	return t, c.State.Container(t.ContainerID)
}

// ctrStr defines a text field of the event's container record: no value
// for host threads, unknown containers or an empty value.
func ctrStr(name, desc string, v func(k *state.Container) string) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		_, k := ctrOf(c)
		if k == nil {
			return d, false
		}
		s := v(k)
		if s == "" {
			return d, false
		}
		return append(d, s...), true
	})
}

// ctrHost defines a field that is "host" for host threads.
func ctrHost(name, desc string, v func(d []byte, k *state.Container) ([]byte, bool)) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		t, k := ctrOf(c)
		if t == nil {
			return d, false
		}
		if t.ContainerID == "" {
			return append(d, "host"...), true
		}
		if k == nil {
			return d, false
		}
		return v(d, k)
	})
}

// ctrBool defines a boolean of docker-compatible containers.
func ctrBool(name, desc string, v func(k *state.Container) bool) Def {
	return boolField(name, desc, func(c *Context) (bool, bool) {
		_, k := ctrOf(c)
		if k == nil || !k.Type.DockerCompatible() {
			return false, false
		}
		return v(k), true
	})
}

func containerFields() []Def {
	return []Def{
		strField("container.id", "short id of the event's container (12 characters for runc-based runtimes), or host",
			func(d []byte, c *Context) ([]byte, bool) {
				t := c.Thread()
				if t == nil {
					return d, false
				}
				if t.ContainerID == "" {
					return append(d, "host"...), true
				}
				return append(d, t.ContainerID...), true
			}),
		ctrHost("container.full_id", "full id of the event's container, or host",
			func(d []byte, k *state.Container) ([]byte, bool) { return appendNonEmpty(d, k.FullID) }),
		ctrHost("container.name", "name of the event's container, or host",
			func(d []byte, k *state.Container) ([]byte, bool) { return appendNonEmpty(d, k.Name) }),
		ctrHost("container.type", "runtime of the event's container (docker, cri-o, containerd, podman, …), or host",
			func(d []byte, k *state.Container) ([]byte, bool) { return append(d, k.Type.String()...), true }),
		ctrStr("container.image", "image the container runs, as the runtime names it", func(k *state.Container) string { return k.Image }),
		ctrStr("container.image.id", "id of the container's image", func(k *state.Container) string { return k.ImageID }),
		ctrStr("container.image.repository", "repository of the container's image", func(k *state.Container) string { return k.ImageRepo }),
		ctrStr("container.image.tag", "tag of the container's image", func(k *state.Container) string { return k.ImageTag }),
		ctrStr("container.image.digest", "registry digest of the container's image", func(k *state.Container) string { return k.ImageDigest }),
		{Name: "container.label", Type: event.PTCharBuf, Arg: ArgRequired,
			Desc: "a label of the event's container (container.label.KEY or container.label[KEY])",
			Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
				_, k := ctrOf(c)
				if k == nil || a == nil {
					return d, false
				}
				v, ok := k.Label(unquote(a.Text))
				if !ok {
					return d, false
				}
				return append(d, v...), true
			}},
		strField("container.labels", "labels of the event's container as key:value, comma-separated, without the kubelet's own (io.kubernetes.*) and annotations",
			func(d []byte, c *Context) ([]byte, bool) {
				_, k := ctrOf(c)
				if k == nil {
					return d, false
				}
				start := len(d)
				d = appendPodLabels(d, k.Labels)
				return d, len(d) > start
			}),
		ctrStr("container.ip", "primary IPv4 address of the container", func(k *state.Container) string { return k.IP }),
		ctrStr("container.cni.json", "CNI result of the container's pod, as JSON text", func(k *state.Container) string { return k.CNIJSON }),
		ctrBool("container.privileged", "true for a container running in privileged mode", func(k *state.Container) bool { return k.Privileged }),
		ctrBool("container.host_pid", "true for a container in the host's pid namespace", func(k *state.Container) bool { return k.HostPID }),
		ctrBool("container.host_network", "true for a container in the host's network namespace", func(k *state.Container) bool { return k.HostNetwork }),
		ctrBool("container.host_ipc", "true for a container in the host's IPC namespace", func(k *state.Container) bool { return k.HostIPC }),
		strField("container.mounts", "the container's mounts, comma-separated, each source:dest:mode:rdwr:propagation",
			func(d []byte, c *Context) ([]byte, bool) {
				_, k := ctrOf(c)
				if k == nil {
					return d, false
				}
				for i := range k.Mounts {
					if i > 0 {
						d = append(d, ',')
					}
					d = k.Mounts[i].AppendTo(d)
				}
				return d, true
			}),
		mountField("container.mount", "one mount of the container, by index or by a glob on its source, as source:dest:mode:rdwr:propagation",
			false, func(d []byte, m *state.Mount) []byte { return m.AppendTo(d) }),
		mountField("container.mount.source", "source of a mount of the container, by index or by a glob on its destination",
			true, func(d []byte, m *state.Mount) []byte { return append(d, m.Source...) }),
		mountField("container.mount.dest", "destination of a mount of the container, by index or by a glob on its source",
			false, func(d []byte, m *state.Mount) []byte { return append(d, m.Dest...) }),
		mountField("container.mount.mode", "mode of a mount of the container, by index or by a glob on its source",
			false, func(d []byte, m *state.Mount) []byte { return append(d, m.Mode...) }),
		mountField("container.mount.rdwr", "true when a mount of the container (by index or by a glob on its source) is writable",
			false, func(d []byte, m *state.Mount) []byte { return strconv.AppendBool(d, m.RW) }),
		mountField("container.mount.propagation", "propagation of a mount of the container, by index or by a glob on its source",
			false, func(d []byte, m *state.Mount) []byte { return append(d, m.Propagation...) }),
		probeField("container.healthcheck", "the container's health check command line, NONE when it has none", state.ProbeHealthcheck),
		probeField("container.liveness_probe", "the container's liveness probe command line, NONE when it has none", state.ProbeLiveness),
		probeField("container.readiness_probe", "the container's readiness probe command line, NONE when it has none", state.ProbeReadiness),
		uintField("container.start_ts", event.PTAbsTime, "start of the container: the start time of its pid namespace's init (ns since the epoch)",
			func(c *Context) (uint64, bool) {
				t := c.Thread()
				if t == nil || t.ContainerID == "" || t.PidnsInitStartTS == 0 {
					return 0, false
				}
				return t.PidnsInitStartTS, true
			}),
		numField("container.duration", event.PTRelTime, "nanoseconds since container.start_ts",
			func(c *Context) (int64, bool) {
				t := c.Thread()
				if t == nil || t.ContainerID == "" || t.PidnsInitStartTS == 0 {
					return 0, false
				}
				return int64(c.Event.TS() - t.PidnsInitStartTS), true
			}),
	}
}

func appendNonEmpty(d []byte, s string) ([]byte, bool) {
	if s == "" {
		return d, false
	}
	return append(d, s...), true
}

// mountField defines a container.mount* field: its argument is a mount's
// index, or a glob matched against the mounts' sources (destinations when
// byDest), the first match winning.
func mountField(name, desc string, byDest bool, v func(d []byte, m *state.Mount) []byte) Def {
	return Def{Name: name, Type: event.PTCharBuf, Arg: ArgRequired, Desc: desc,
		Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
			_, k := ctrOf(c)
			if k == nil || a == nil {
				return d, false
			}
			m := findMount(k, a, byDest)
			if m == nil {
				return d, false
			}
			return v(d, m), true
		}}
}

func findMount(k *state.Container, a *Arg, byDest bool) *state.Mount {
	if a.IsNum {
		if a.Index < 0 || a.Index >= len(k.Mounts) {
			return nil
		}
		return &k.Mounts[a.Index]
	}
	for i := range k.Mounts {
		m := &k.Mounts[i]
		s := m.Source
		if byDest {
			s = m.Dest
		}
		if glob.Match(a.Text, s, false) {
			return m
		}
	}
	return nil
}

func probeField(name, desc string, kind int) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		_, k := ctrOf(c)
		if k == nil {
			return d, false
		}
		if p := &k.Probes[kind]; p.Set {
			return p.AppendTo(d), true
		}
		return append(d, "NONE"...), true
	})
}
