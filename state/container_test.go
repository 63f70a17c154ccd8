package state

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/scap"
)

// Container ids, 64 hex digits, as runtimes write them in cgroup paths.
const (
	idA = "6c607bd199f8164d6e26a55ad0cf65e199f8e7c0f7682b7d957424e802e6e788"
	idB = "bb55c59ef5b2e6753e902b14a929f79c5b8dfcafe29bfaf38d9aa1c86246a23e"
	idC = "64a0b062fe9105499924f9a5c32e99888b4f840eb805007d44dc8f3c3f56043e"
)

func cg(paths ...string) []byte {
	var b []byte
	for i, p := range paths {
		b = append(append(b, []string{"cpu", "memory", "pids", "name=systemd"}[i%4]+"="+p...), 0)
	}
	return b
}

const webJSON = `{"container":{"id":"6c607bd199f8","full_id":"` + idA + `","type":7,"name":"web","image":"nginx:1.25",
"imageid":"fc53a23ddb79","imagerepo":"nginx","imagetag":"1.25","imagedigest":"sha256:ab","privileged":true,
"lookup_state":1,"Mounts":[{"Source":"/proc","Destination":"/host/proc","Mode":"ro","RW":false,"Propagation":"rslave"}],
"labels":{"z":"1","io.kubernetes.pod.name":"web-0","a":true},"LivenessProbe":{"exe":"/bin/check","args":["--live",3]},
"Healthcheck":{"args":["x"]},"host_pid":true,"pod_sandbox_id":"` + idB + `","extra":{"nested":[1,2]}}}`

func TestParseContainerJSON(t *testing.T) {
	c, err := parseContainerJSON([]byte(webJSON))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "6c607bd199f8" || c.FullID != idA || c.Type != CTContainerd || c.Name != "web" || c.Image != "nginx:1.25" ||
		c.ImageID != "fc53a23ddb79" || c.ImageRepo != "nginx" || c.ImageTag != "1.25" || c.ImageDigest != "sha256:ab" ||
		!c.Privileged || !c.HostPID || c.HostIPC || c.SandboxID != idB || c.Failed {
		t.Errorf("record: %+v", *c)
	}
	if len(c.Mounts) != 1 || string(c.Mounts[0].AppendTo(nil)) != "/proc:/host/proc:ro:false:rslave" {
		t.Errorf("mounts: %+v", c.Mounts)
	}
	if len(c.Labels) != 3 || c.Labels[0].Key != "a" || c.Labels[0].Value != "true" || c.Labels[2].Key != "z" {
		t.Errorf("labels: %+v", c.Labels)
	}
	if v, ok := c.Label("io.kubernetes.pod.name"); !ok || v != "web-0" {
		t.Errorf("pod name label: %q %v", v, ok)
	}
	if _, ok := c.Label("b"); ok {
		t.Error("label b found")
	}
	// A probe needs an exe; arguments that are not strings are left out.
	p := c.Probes[ProbeLiveness]
	if !p.Set || string(p.AppendTo(nil)) != "/bin/check --live" || c.Probes[ProbeHealthcheck].Set || c.Probes[ProbeReadiness].Set {
		t.Errorf("probes: %+v", c.Probes)
	}
	if _, err := parseContainerJSON([]byte(`{"container":`)); err == nil {
		t.Error("truncated JSON parsed")
	}
	c, err = parseContainerJSON([]byte(`{"container":{"id":5,"name":"x","privileged":"yes","lookup_state":2}}`))
	if err != nil || c.ID != "" || c.Name != "x" || c.Privileged || !c.Failed {
		t.Errorf("values of the wrong type: %+v %v", c, err)
	}
}

// TestContainerState follows the container id of threads: from the
// section, through a clone and an execve that moves into a container,
// and the records from container events.
func TestContainerState(t *testing.T) {
	st := &stream{t: t, s: FromSection(&scap.Section{Threads: []scap.Thread{
		{TID: 10, PID: 10, PTID: 1, Comm: "runc", Exe: "runc", Cgroups: cg("/")},
		{TID: 20, PID: 20, PTID: 1, Comm: "nginx", Exe: "nginx", Cgroups: cg("/docker/" + idC)},
	}})}
	s := st.s
	if th := s.Thread(10); th.ContainerID != "" {
		t.Errorf("host thread in container %q", th.ContainerID)
	}
	th := s.Thread(20)
	if th.ContainerID != idC[:12] {
		t.Fatalf("docker thread: container %q", th.ContainerID)
	}
	if k := s.Container(idC[:12]); k == nil || k.Type != CTDocker || k.Name != "" {
		t.Fatalf("docker placeholder: %+v", k)
	}
	// A container event replaces the placeholder; its thread is the
	// container's stand-in.
	st.apply(-1, 324, map[string]any{"json": `{"container":{"id":"` + idC[:12] + `","type":0,"name":"web"}}`})
	if k := s.Container(idC[:12]); k == nil || k.Name != "web" {
		t.Fatalf("record: %+v", k)
	}
	if m := s.Thread(-1); m == nil || m.Comm != "container:"+idC[:12] || m.ContainerID != idC[:12] || m.VPID != -2 {
		t.Fatalf("stand-in thread: %+v", m)
	}
	// runc forks (the child in the host's cgroups), then the child joins
	// the container's cgroups and executes.
	st.apply(10, cloneX, map[string]any{"res": 11, "exe": "runc", "tid": 10, "pid": 10, "ptid": 1, "comm": "runc", "cgroups": cg("/")})
	if c := s.Thread(11); c == nil || c.ContainerID != "" {
		t.Fatalf("child: %+v", c)
	}
	st.apply(11, execveX, map[string]any{"res": 0, "exe": "sh", "tid": 11, "pid": 11, "ptid": 10, "comm": "sh",
		"cgroups": cg("/kubepods.slice/crio-" + idA + ".scope")})
	if c := s.Thread(11); c.ContainerID != idA[:12] || s.Container(idA[:12]) != nil {
		t.Fatalf("after execve: %q, record %+v", c.ContainerID, s.Container(idA[:12]))
	}
	// A clone from the container's thread: the event's cgroups.
	st.apply(20, cloneX, map[string]any{"res": 21, "exe": "nginx", "tid": 20, "pid": 20, "ptid": 1, "comm": "nginx", "cgroups": cg("/docker/" + idC)})
	if c := s.Thread(21); c == nil || c.ContainerID != idC[:12] {
		t.Fatalf("clone in container: %+v", c)
	}
}

func TestContainerTableBound(t *testing.T) {
	s := New()
	for i := 0; i < MaxContainers+5; i++ {
		s.putContainer(&Container{ID: strconv.Itoa(i)})
	}
	if len(s.ctrs.byID) != MaxContainers || s.ContainerOverflow() != 5 {
		t.Errorf("%d containers, %d overflow", len(s.ctrs.byID), s.ContainerOverflow())
	}
}

func TestContainerJSONRoundTrip(t *testing.T) {
	in := &Container{ID: "0123456789ab", FullID: "0123456789ab" + strings.Repeat("c", 52), Type: CTPodman,
		Name: "web", Image: "localhost/busybox:test", ImageID: "fc53a23ddb79", ImageRepo: "localhost/busybox",
		ImageTag: "test", ImageDigest: "sha256:00aa", Privileged: true, HostPID: true, HostNetwork: true,
		HostIPC: true, IP: "10.88.0.7", CNIJSON: `{"ips":[]}`, SandboxID: strings.Repeat("d", 64),
		CreatedTime: 1795510800, Mounts: []Mount{{Source: "/tmp/x", Dest: "/x", Mode: "ro", Propagation: "rprivate"}},
		Labels: []Label{{"a", "1"}, {"io.kubernetes.pod.name", "p"}},
		Probes: [numProbes]Probe{ProbeHealthcheck: {Set: true, Exe: "/bin/sh", Args: []string{"-c", "true"}}},
	}
	out, err := parseContainerJSON(in.AppendJSON(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	stub := &Container{ID: "0123456789ab", Type: CTDocker, Stub: true}
	if b := stub.AppendJSON(nil); !strings.Contains(string(b), `"lookup_state":0`) {
		t.Errorf("stub record %s: want lookup_state 0", b)
	}
}
