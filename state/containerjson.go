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

// containerRecord is the JSON record of a container event, as sysdig and
// Falco write it; readers need every key.
type containerRecord struct {
	ID             string            `json:"id"`
	FullID         string            `json:"full_id"`
	Type           int               `json:"type"`
	Name           string            `json:"name"`
	Image          string            `json:"image"`
	ImageID        string            `json:"imageid"`
	ImageRepo      string            `json:"imagerepo"`
	ImageTag       string            `json:"imagetag"`
	ImageDigest    string            `json:"imagedigest"`
	Privileged     bool              `json:"privileged"`
	IsPodSandbox   bool              `json:"is_pod_sandbox"`
	LookupState    int               `json:"lookup_state"`
	CreatedTime    int64             `json:"created_time"`
	LowerDir       string            `json:"lowerdir"`
	Mounts         []mountRecord     `json:"Mounts"`
	User           string            `json:"User"`
	IP             string            `json:"ip"`
	CNIJSON        string            `json:"cni_json,omitempty"`
	PodSandboxID   string            `json:"pod_sandbox_id,omitempty"`
	PortMappings   []any             `json:"port_mappings"`
	Labels         map[string]string `json:"labels"`
	Env            []string          `json:"env"`
	MemoryLimit    int64             `json:"memory_limit"`
	SwapLimit      int64             `json:"swap_limit"`
	CPUShares      int64             `json:"cpu_shares"`
	CPUQuota       int64             `json:"cpu_quota"`
	CPUPeriod      int64             `json:"cpu_period"`
	CPUSetCount    int               `json:"cpuset_cpu_count"`
	Deadline       int64             `json:"metadata_deadline"`
	HostPID        bool              `json:"host_pid"`
	HostNetwork    bool              `json:"host_network"`
	HostIPC        bool              `json:"host_ipc"`
	Healthcheck    *probeRecord      `json:"Healthcheck,omitempty"`
	LivenessProbe  *probeRecord      `json:"LivenessProbe,omitempty"`
	ReadinessProbe *probeRecord      `json:"ReadinessProbe,omitempty"`
}

type mountRecord struct {
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

type probeRecord struct {
	Exe  string   `json:"exe"`
	Args []string `json:"args"`
}

// AppendJSON appends the record of a container event for c, the JSON
// object {"container": {…}} that sysdig and Falco write and read. A stub
// (a container known by its cgroups alone) says its lookup has started;
// a record whose lookup failed says so.
func (c *Container) AppendJSON(dst []byte) []byte {
	r := containerRecord{
		ID: c.ID, FullID: c.FullID, Type: int(c.Type), Name: c.Name, Image: c.Image,
		ImageID: c.ImageID, ImageRepo: c.ImageRepo, ImageTag: c.ImageTag, ImageDigest: c.ImageDigest,
		Privileged: c.Privileged, IsPodSandbox: c.IsSandbox, LookupState: lookupSuccessful,
		CreatedTime: c.CreatedTime, Mounts: make([]mountRecord, len(c.Mounts)), IP: c.IP,
		CNIJSON: c.CNIJSON, PodSandboxID: c.SandboxID, PortMappings: []any{},
		Labels: make(map[string]string, len(c.Labels)), Env: []string{}, CPUShares: 1024,
		CPUPeriod: 100000, HostPID: c.HostPID, HostNetwork: c.HostNetwork, HostIPC: c.HostIPC,
	}
	switch {
	case c.Failed:
		r.LookupState = lookupFailed
	case c.Stub:
		r.LookupState = lookupStarted
	}
	for i, m := range c.Mounts {
		r.Mounts[i] = mountRecord{Source: m.Source, Destination: m.Dest, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation}
	}
	for _, l := range c.Labels {
		r.Labels[l.Key] = l.Value
	}
	probes := [numProbes]**probeRecord{&r.Healthcheck, &r.LivenessProbe, &r.ReadinessProbe}
	for i, p := range c.Probes {
		if p.Set {
			*probes[i] = &probeRecord{Exe: p.Exe, Args: append([]string{}, p.Args...)}
		}
	}
	b, err := json.Marshal(struct {
		Container containerRecord `json:"container"`
	}{r})
	if err != nil { // cannot happen: every value marshals
		return dst
	}
	return append(dst, b...)
}
