package state

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Lookup states of container records (the "lookup_state" key).
const (
	lookupStarted    = 0
	lookupSuccessful = 1
	lookupFailed     = 2
)

// probeKeys are the JSON keys of the health probes, by Probe* index.
var probeKeys = [numProbes]string{"Healthcheck", "LivenessProbe", "ReadinessProbe"}

// parseContainerJSON reads the record of a container event: the JSON
// object sysdig and Falco write, {"container": {"id": …, "name": …, …}}.
// Keys with a value of the wrong type are ignored, as sysdig ignores them.
// Container events are rare; this may allocate.
func parseContainerJSON(b []byte) (*Container, error) {
	var root struct {
		Container map[string]any `json:"container"`
	}
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("container event: %w", err)
	}
	o := jsonObj(root.Container)
	c := &Container{
		ID: o.str("id"), FullID: o.str("full_id"), Name: o.str("name"),
		Image: o.str("image"), ImageID: o.str("imageid"), ImageRepo: o.str("imagerepo"),
		ImageTag: o.str("imagetag"), ImageDigest: o.str("imagedigest"),
		Privileged: o.boolean("privileged"), IsSandbox: o.boolean("is_pod_sandbox"),
		HostPID: o.boolean("host_pid"), HostNetwork: o.boolean("host_network"), HostIPC: o.boolean("host_ipc"),
		IP: o.str("ip"), CNIJSON: o.str("cni_json"), SandboxID: o.str("pod_sandbox_id"),
	}
	if t, ok := o.num("type"); ok && t >= 0 {
		c.Type = ContainerType(t)
	}
	if t, ok := o.num("created_time"); ok {
		c.CreatedTime = int64(t)
	}
	if st, ok := o.num("lookup_state"); ok && st == lookupFailed {
		c.Failed = true
	}
	if ms, ok := o["Mounts"].([]any); ok {
		for _, m := range ms {
			mo := jsonObj(asObj(m))
			c.Mounts = append(c.Mounts, Mount{Source: mo.str("Source"), Dest: mo.str("Destination"),
				Mode: mo.str("Mode"), Propagation: mo.str("Propagation"), RW: mo.boolean("RW")})
		}
	}
	for k, v := range asObj(o["labels"]) {
		c.Labels = append(c.Labels, Label{Key: k, Value: jsonText(v)})
	}
	sort.Slice(c.Labels, func(i, j int) bool { return c.Labels[i].Key < c.Labels[j].Key })
	for i, k := range probeKeys {
		p := jsonObj(asObj(o[k]))
		exe, ok := p["exe"].(string)
		if !ok {
			continue
		}
		c.Probes[i] = Probe{Set: true, Exe: exe}
		args, _ := p["args"].([]any)
		for _, a := range args {
			if s, ok := a.(string); ok {
				c.Probes[i].Args = append(c.Probes[i].Args, s)
			}
		}
	}
	return c, nil
}

type jsonObj map[string]any

func asObj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func (o jsonObj) str(k string) string {
	s, _ := o[k].(string)
	return s
}

func (o jsonObj) boolean(k string) bool {
	b, _ := o[k].(bool)
	return b
}

func (o jsonObj) num(k string) (float64, bool) {
	n, ok := o[k].(float64)
	return n, ok
}

// jsonText is a label value as text: strings as they are, other scalars
// in their JSON form.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
