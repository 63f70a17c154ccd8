package field

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Kubernetes fields. Kestrel reads them from the labels that the kubelet
// gives a pod's containers (io.kubernetes.pod.name, …): the pod's name,
// uid and namespace from the container's own labels, the pod's labels
// from those of its sandbox container (io.kubernetes.sandbox.id). There
// is no Kubernetes API client: the replication controller, service,
// replica set and deployment fields, and the namespace's id and labels,
// have no value, as in sysdig without an API server.

// Kubelet labels of a pod's containers.
const (
	labelPodName   = "io.kubernetes.pod.name"
	labelPodNS     = "io.kubernetes.pod.namespace"
	labelPodUID    = "io.kubernetes.pod.uid"
	labelSandboxID = "io.kubernetes.sandbox.id"
)

// podLabel defines a field from a label of the event's container.
func podLabel(name, desc, key string) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		_, k := ctrOf(c)
		if k == nil {
			return d, false
		}
		v, ok := k.Label(key)
		if !ok {
			return d, false
		}
		return append(d, v...), true
	})
}

// sandboxOf returns the record of the pod sandbox of the event's container.
func sandboxOf(c *Context) *state.Container {
	_, k := ctrOf(c)
	if k == nil {
		return nil
	}
	if k.IsSandbox {
		return k
	}
	id := k.SandboxID
	if id == "" {
		id, _ = k.Label(labelSandboxID)
	}
	if id == "" {
		return nil
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return c.State.Container(id)
}

// noK8sAPI defines a field only a Kubernetes API client could give.
func noK8sAPI(name, desc string, arg ArgMode) Def {
	return Def{Name: name, Type: event.PTCharBuf, Arg: arg, Desc: desc,
		Text: func(d []byte, _ *Context, _ *Arg) ([]byte, bool) { return d, false }}
}

func k8sFields() []Def {
	defs := []Def{
		podLabel("k8s.pod.name", "name of the Kubernetes pod of the event's container", labelPodName),
		podLabel("k8s.ns.name", "Kubernetes namespace of the pod of the event's container", labelPodNS),
		podLabel("k8s.pod.id", "uid of the Kubernetes pod of the event's container", labelPodUID),
		podLabel("k8s.pod.uid", "uid of the Kubernetes pod of the event's container", labelPodUID),
		strField("k8s.pod.sandbox_id", "short id of the pod sandbox of the event's container",
			func(d []byte, c *Context) ([]byte, bool) { return appendSandboxID(d, c, 12) }),
		strField("k8s.pod.full_sandbox_id", "full id of the pod sandbox of the event's container",
			func(d []byte, c *Context) ([]byte, bool) { return appendSandboxID(d, c, -1) }),
		{Name: "k8s.pod.label", Type: event.PTCharBuf, Arg: ArgRequired, Desc: "a label of the pod of the event's container (k8s.pod.label.KEY)",
			Text: func(d []byte, c *Context, a *Arg) ([]byte, bool) {
				sb := sandboxOf(c)
				if sb == nil || a == nil {
					return d, false
				}
				v, ok := sb.Label(a.Text)
				if !ok {
					return d, false
				}
				return append(d, v...), true
			}},
		strField("k8s.pod.labels", "labels of the pod of the event's container, as key:value, comma-separated",
			func(d []byte, c *Context) ([]byte, bool) {
				sb := sandboxOf(c)
				if sb == nil || len(sb.Labels) == 0 {
					return d, false
				}
				return appendPodLabels(d, sb.Labels), true
			}),
	}
	defs = append(defs,
		podSandboxStr("k8s.pod.ip", "primary IPv4 address of the pod of the event's container (the pod sandbox's container.ip)", func(k *state.Container) string { return k.IP }),
		podSandboxStr("k8s.pod.cni.json", "CNI result of the pod of the event's container, as JSON text (the pod sandbox's container.cni.json)", func(k *state.Container) string { return k.CNIJSON }))
	for _, o := range []string{"rc", "svc", "rs", "deployment"} {
		defs = append(defs,
			noK8sAPI("k8s."+o+".name", "Kubernetes "+o+" name (needs the Kubernetes API)", ArgNone),
			noK8sAPI("k8s."+o+".id", "Kubernetes "+o+" id (needs the Kubernetes API)", ArgNone),
			noK8sAPI("k8s."+o+".label", "Kubernetes "+o+" label (needs the Kubernetes API)", ArgRequired),
			noK8sAPI("k8s."+o+".labels", "Kubernetes "+o+" labels (needs the Kubernetes API)", ArgNone))
	}
	return append(defs,
		noK8sAPI("k8s.ns.id", "Kubernetes namespace id (needs the Kubernetes API)", ArgNone),
		noK8sAPI("k8s.ns.label", "Kubernetes namespace label (needs the Kubernetes API)", ArgRequired),
		noK8sAPI("k8s.ns.labels", "Kubernetes namespace labels (needs the Kubernetes API)", ArgNone))
}

// podSandboxStr defines a text field of the event's pod, as the container
// plugin reads it: from the container's own record when that record has
// the pod's CNI result, otherwise from the record of the pod sandbox
// (found by the first 12 characters of its id). No value when neither has
// one.
func podSandboxStr(name, desc string, v func(k *state.Container) string) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		_, k := ctrOf(c)
		if k == nil {
			return d, false
		}
		if k.CNIJSON == "" {
			id := k.SandboxID
			if id == "" {
				id, _ = k.Label(labelSandboxID)
			}
			if len(id) > 12 {
				id = id[:12]
			}
			if k = c.State.Container(id); id == "" || k == nil {
				return d, false
			}
		}
		return appendNonEmpty(d, v(k))
	})
}

func appendSandboxID(d []byte, c *Context, n int) ([]byte, bool) {
	_, k := ctrOf(c)
	if k == nil {
		return d, false
	}
	id := k.SandboxID
	if id == "" {
		id, _ = k.Label(labelSandboxID)
	}
	if id == "" {
		return d, false
	}
	if n > 0 && len(id) > n {
		id = id[:n]
	}
	return append(d, id...), true
}

// appendPodLabels appends labels as "key:value, key:value", leaving out
// the kubelet's own (io.kubernetes.*) and annotations; a label with no
// value is its key alone.
func appendPodLabels(d []byte, labels []state.Label) []byte {
	first := true
	for _, l := range labels {
		if hasPrefix(l.Key, "annotation.") || hasPrefix(l.Key, "io.kubernetes.") {
			continue
		}
		if !first {
			d = append(d, ", "...)
		}
		first = false
		d = append(d, l.Key...)
		if l.Value != "" {
			d = append(d, ':')
			d = append(d, l.Value...)
		}
	}
	return d
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
