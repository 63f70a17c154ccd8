package state

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// More container ids, 64 hex digits.
const (
	idD = "7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8"
	idE = "17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f"
	idF = "d52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366"
	// A pod uid, as the API server has it and as a systemd slice name
	// writes it.
	podUID      = "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc"
	podUIDSlice = "63b3ebfc_2890_11e9_8154_16bf8ef8d9dc"
	// A static pod's uid: the hash of its manifest.
	staticPodUID = "bd12dd3393227d950605a2444b13c27a"
)

// The text of /proc/PID/cgroup for a process in cgroup path p.
//
// v1: a cgroup v1 host (systemd on every hierarchy, as runc puts a
// container); v2: a cgroup v2 host; hybrid: this VM's layout, v1
// controllers and the v2 hierarchy, where runc puts a container in the
// same path on all of them.
func v1(p string) string {
	return "12:pids:" + p + "\n11:memory:" + p + "\n10:cpu,cpuacct:" + p + "\n9:devices:" + p + "\n8:blkio:" + p +
		"\n7:net_cls,net_prio:" + p + "\n6:freezer:" + p + "\n5:perf_event:" + p + "\n4:hugetlb:" + p +
		"\n3:cpuset:" + p + "\n2:rdma:" + p + "\n1:name=systemd:" + p + "\n"
}

func v2(p string) string { return "0::" + p + "\n" }

func hybrid(p string) string {
	return "9:name=systemd:" + p + "\n8:pids:" + p + "\n7:blkio:" + p + "\n6:freezer:" + p + "\n5:devices:" + p +
		"\n4:memory:" + p + "\n3:cpuset:" + p + "\n2:cpuacct:" + p + "\n1:cpu:" + p + "\n0::" + p + "\n"
}

// entries turns /proc/PID/cgroup text into the model's entries as the
// probe reports them with clone and execve: one per controller; the v2
// hierarchy's controllers are those v1 does not hold (hugetlb on this VM's
// hybrid layout, all of them on a v2 host).
func entries(text string) []byte {
	var b []byte
	hasV1 := false
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.HasPrefix(line, "0::") {
			hasV1 = true
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		_, rest, _ := strings.Cut(line, ":")
		ctrls, path, _ := strings.Cut(rest, ":")
		if ctrls == "" {
			ctrls = "cpuset,cpu,io,memory,hugetlb,pids"
			if hasV1 {
				ctrls = "hugetlb"
			}
		}
		for _, c := range strings.Split(ctrls, ",") {
			b = append(append(b, c+"="+path...), 0)
		}
	}
	return b
}

type cgroupCase struct {
	name, source string
	text         string // /proc/PID/cgroup
	id, fullID   string
	typ          ContainerType
	pod          string // pod uid
	owner        int    // rootless podman's owner, -1 for none
}

// cgroupCases are the cgroup forms of the runtimes, each with the layout
// or matcher it comes from: the runtimes' documentation and behavior,
// Falco's container plugin (plugins/container/src/matchers and its
// tests), sysdig 0.29.3's container engines, and the runtimes run on
// this VM (podman 4.3 cgroupfs, containerd 1.6 ctr and CRI, docker 20.10,
// runc; ../shared/guides/containers).
var cgroupCases = []cgroupCase{
	// docker
	{"docker cgroupfs", "docker 20.10 on this VM; Falco docker matcher /ID", v1("/docker/" + idC), idC[:12], idC, CTDocker, "", -1},
	{"docker cgroupfs hybrid", "docker 20.10 on this VM", hybrid("/docker/" + idC), idC[:12], idC, CTDocker, "", -1},
	{"docker systemd", "Falco docker matcher docker-ID.scope", v2("/system.slice/docker-" + idD + ".scope"), idD[:12], idD, CTDocker, "", -1},
	{"docker systemd v1", "Falco docker matcher docker-ID.scope", v1("/system.slice/docker-" + idD + ".scope"), idD[:12], idD, CTDocker, "", -1},
	{"docker --cgroup-parent (ECS)", "Falco docker matcher /ID under any parent", v1("/ecs/5a1d0e1f2b9c4a7e8d6f3b2a1c0d9e8f/" + idC), idC[:12], idC, CTDocker, "", -1},
	{"docker rootless systemd", "docker rootless with the systemd driver", v2("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" + idD + ".scope"), idD[:12], idD, CTDocker, "", -1},
	{"docker in docker", "dockerd in a container: the innermost", v1("/docker/" + idA + "/docker/" + idC), idC[:12], idC, CTDocker, "", -1},
	{"systemd in a docker container", "a scope's processes below it (kind node)", v2("/system.slice/docker-" + idD + ".scope/init.scope"), idD[:12], idD, CTDocker, "", -1},

	// podman
	{"podman cgroupfs", "podman 4.3 on this VM; Falco podman matcher libpod-ID", hybrid("/libpod_parent/libpod-" + idA), idA[:12], idA, CTPodman, "", -1},
	{"podman in a pod", "podman 4.3 pod on this VM", hybrid("/libpod_parent/" + idB + "/libpod-" + idA), idA[:12], idA, CTPodman, "", -1},
	{"podman systemd", "Falco podman matcher libpod-ID.scope", v1("/machine.slice/libpod-" + idA + ".scope"), idA[:12], idA, CTPodman, "", -1},
	{"podman systemd crun", "Falco podman matcher libpod-ID.scope/container", v2("/machine.slice/libpod-" + idA + ".scope/container"), idA[:12], idA, CTPodman, "", -1},
	{"podman pod systemd", "podman pod slice, systemd", v2("/machine.slice/machine-libpod_pod_" + idB + ".slice/libpod-" + idA + ".scope/container"), idA[:12], idA, CTPodman, "", -1},
	{"podman rootless", "sysdig 0.29.3 podman engine: user-UID.slice", v2("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + idA + ".scope/container"), idA[:12], idA, CTPodman, "", 1000},
	{"podman rootless no scope", "Falco matcher tests", v2("/user.slice/user-1001.slice/user@1001.service/libpod-" + idA), idA[:12], idA, CTPodman, "", 1001},
	{"podman rootless cgroup v1", "sysdig 0.29.3 podman engine: podman-PID.scope/ID on name=systemd",
		"11:memory:/user.slice\n10:cpu,cpuacct:/user.slice\n3:pids:/user.slice/user-1000.slice/user@1000.service\n1:name=systemd:/user.slice/user-1000.slice/user@1000.service/podman-4242.scope/" + idA + "\n",
		idA[:12], idA, CTPodman, "", 1000},
	{"podman in root's session", "root's containers are not rootless", v2("/user.slice/user-0.slice/user@0.service/user.slice/libpod-" + idA + ".scope/container"), idA[:12], idA, CTPodman, "", -1},
	{"podman cgroup split", "Falco podman matcher libpod-payload-ID", v2("/system.slice/system-ceph-f952f5be-565c-11f0-ab72-0affea283157.slice/ceph-f952f5be-565c-11f0-ab72-0affea283157@mon.ip-10-0-25-96.service/libpod-payload-" + idE), idE[:12], idE, CTPodman, "", -1},
	{"podman cgroup split scope", "Falco podman matcher libpod-payload-ID.scope", v2("/system.slice/ceph@mon.service/libpod-payload-" + idE + ".scope"), idE[:12], idE, CTPodman, "", -1},

	// containerd
	{"containerd CRI systemd (EKS AL2023, AKS, GKE v2)", "Falco cri matcher cri-containerd-ID.scope; kubelet systemd slices",
		v2("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDSlice + ".slice/cri-containerd-" + idB + ".scope"), idB[:12], idB, CTContainerd, podUID, -1},
	{"containerd CRI systemd guaranteed", "kubelet: guaranteed pods have no QoS slice",
		v1("/kubepods.slice/kubepods-pod" + podUIDSlice + ".slice/cri-containerd-" + idB + ".scope"), idB[:12], idB, CTContainerd, podUID, -1},
	{"containerd CRI, systemd names under cgroupfs", "Falco cri matcher :cri-containerd:ID; a static pod's uid",
		v2("/kubepods-burstable-pod" + staticPodUID + ".slice:cri-containerd:" + idF), idF[:12], idF, CTContainerd, staticPodUID, -1},
	{"containerd CRI cgroupfs (k3s, EKS AL2, GKE COS v1)", "Falco cri matcher /ID; kubelet cgroupfs layout",
		v1("/kubepods/besteffort/pod" + podUID + "/" + idB), idB[:12], idB, CTCRI, podUID, -1},
	{"containerd CRI cgroupfs v2 (k3s)", "kubelet cgroupfs layout on cgroup v2", v2("/kubepods/burstable/pod" + podUID + "/" + idB), idB[:12], idB, CTCRI, podUID, -1},
	{"containerd CRI cgroupfs guaranteed", "kubelet: /kubepods/pod<UID>", v1("/kubepods/pod" + podUID + "/" + idB), idB[:12], idB, CTCRI, podUID, -1},
	{"containerd CRI on this VM", "containerd 1.6 CRI on this VM, CgroupParent as kubelet's", hybrid("/kubepods/besteffort/pod1111-2222-3333/" + idB), idB[:12], idB, CTCRI, "1111-2222-3333", -1},
	{"kind node", "kubelet in a docker container (kind): the innermost",
		v2("/system.slice/docker-" + idD + ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + podUIDSlice + ".slice/cri-containerd-" + idB + ".scope"),
		idB[:12], idB, CTContainerd, podUID, -1},
	{"minikube docker driver", "kubelet cgroupfs in a docker container", v1("/docker/" + idD + "/kubepods/burstable/pod" + podUID + "/" + idB), idB[:12], idB, CTCRI, podUID, -1},
	{"nerdctl systemd", "Falco cri matcher nerdctl-ID.scope", v2("/system.slice/nerdctl-" + idD + ".scope"), idD[:12], idD, CTContainerd, "", -1},
	{"ctr run", "containerd 1.6 ctr run on this VM: /NAMESPACE/NAME", hybrid("/default/ctr-sleeper"), "ctr-sleeper", "ctr-sleeper", CTContainerd, "", -1},
	{"ctr run, long name", "Falco containerd matcher: the name cut to 12", v2("/k8s.io/my-test_container"), "my-test_cont", "my-test_container", CTContainerd, "", -1},
	{"ctr run, dotted names", "Falco containerd matcher tests", v1("/my.namespace/container.name"), "container.na", "container.name", CTContainerd, "", -1},

	// cri-o
	{"cri-o systemd (OpenShift)", "Falco cri matcher crio-ID.scope", v2("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDSlice + ".slice/crio-" + idE + ".scope"), idE[:12], idE, CTCRIO, podUID, -1},
	{"cri-o systemd v1", "Falco cri matcher crio-ID.scope", v1("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDSlice + ".slice/crio-" + idE + ".scope"), idE[:12], idE, CTCRIO, podUID, -1},
	{"cri-o systemd crun", "crun's container subgroup", v2("/kubepods.slice/kubepods-pod" + podUIDSlice + ".slice/crio-" + idE + ".scope/container"), idE[:12], idE, CTCRIO, podUID, -1},
	{"cri-o cgroupfs", "Falco cri matcher crio-ID", v1("/kubepods/besteffort/pod" + podUID + "/crio-" + idE), idE[:12], idE, CTCRIO, podUID, -1},
	{"cri-dockerd systemd", "Falco cri matcher docker-ID.scope", v2("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDSlice + ".slice/docker-" + idC + ".scope"), idC[:12], idC, CTDocker, podUID, -1},

	// lxc, libvirt-lxc, bpm, mesos
	{"lxc", "Falco lxc matcher /lxc/NAME", v1("/lxc/web01"), "web01", "web01", CTLXC, "", -1},
	{"lxc systemd", "Falco lxc matcher /lxc.payload/NAME", v1("/lxc.payload/web01/init.scope"), "web01", "web01", CTLXC, "", -1},
	{"lxc 4 (lxd)", "Falco lxc matcher /lxc.payload.NAME", v2("/lxc.payload.web01/system.slice/nginx.service"), "web01", "web01", CTLXC, "", -1},
	{"libvirt-lxc", "Falco libvirt-lxc matcher NAME.libvirt-lxc", v1("/machine/web01.libvirt-lxc"), "web01", "web01", CTLibvirtLXC, "", -1},
	{"libvirt-lxc systemd", `Falco libvirt-lxc matcher -lxc\x2dNAME.scope`, v1(`/machine.slice/machine-lxc\x2d2293906\x2dweb01.scope`), `2293906\x2dweb01`, `2293906\x2dweb01`, CTLibvirtLXC, "", -1},
	{"libvirt-lxc systemd subgroup", `Falco libvirt-lxc matcher .scope/libvirt`, v2(`/machine.slice/machine-lxc\x2d2293906\x2dweb01.scope/libvirt`), `2293906\x2dweb01`, `2293906\x2dweb01`, CTLibvirtLXC, "", -1},
	{"libvirt-lxc legacy", "Falco libvirt-lxc matcher /libvirt/lxc/NAME", v1("/libvirt/lxc/web01"), "web01", "web01", CTLibvirtLXC, "", -1},
	{"bpm", "Falco bpm matcher bpm-NAME", v1("/bpm-redis.0"), "redis.0", "redis.0", CTBPM, "", -1},
	{"bpm systemd", "Falco bpm matcher bpm-NAME.scope", v2("/system.slice/bpm-redis.0.scope"), "redis.0", "redis.0", CTBPM, "", -1},
	{"mesos", "sysdig 0.29.3 mesos engine /mesos/UUID", v1("/mesos/a9f41620-b165-4d24-abe0-af0af92e7b20"), "a9f41620-b165-4d24-abe0-af0af92e7b20", "a9f41620-b165-4d24-abe0-af0af92e7b20", CTMesos, "", -1},

	// hosts
	{"host v1", "", v1("/"), "", "", 0, "", -1},
	{"host v2", "", v2("/"), "", "", 0, "", -1},
	{"init", "", v2("/init.scope"), "", "", 0, "", -1},
	{"user session", "", v2("/user.slice/user-1000.slice/session-3.scope"), "", "", 0, "", -1},
	{"user service", "Falco matcher tests", v2("/user.slice/user-1000.slice/user@1000.service/init.scope"), "", "", 0, "", -1},
	{"host service", "", v1("/system.slice/containerd.service"), "", "", 0, "", -1},
	{"systemd mount unit", "", v2("/system.slice/home.mount"), "", "", 0, "", -1},
	{"lxcfs", "", v1("/system.slice/lxcfs.service"), "", "", 0, "", -1},
	{"this VM's shell", "memory alone in a cgroup of its own", "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/572acbb71f33ebd0956e62e6f82376de\n1:cpu:/\n0::/\n", "", "", 0, "", -1},
	{"runc under the caller's cgroup", "runc without cgroupsPath on this VM", "9:name=systemd:/runc-test1\n4:memory:/process_api/572acbb71f33ebd0956e62e6f82376de/runc-test1\n0::/runc-test1\n", "", "", 0, "", -1},
	{"podman's conmon cgroupfs", "conmon on this VM", "9:name=systemd:/\n8:pids:/libpod_parent/conmon\n4:memory:/libpod_parent/conmon\n1:cpu:/libpod_parent/conmon\n0::/\n", "", "", 0, "", -1},
	{"podman's conmon, every hierarchy", "conmon is not the container", v1("/libpod_parent/conmon"), "", "", 0, "", -1},
	{"podman's conmon systemd", "podman's conmon scope", v2("/machine.slice/libpod-conmon-" + idA + ".scope"), "", "", 0, "", -1},
	{"podman pod's conmon", "conmon of a container in a pod", hybrid("/libpod_parent/" + idB + "/conmon"), "", "", 0, "", -1},
	{"podman pod's cgroup", "64 hex digits naming a pod, not a container", hybrid("/libpod_parent/" + idB), "", "", 0, "", -1},
	{"cri-o's conmon", "CRI-O's conmon scope", v2("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDSlice + ".slice/crio-conmon-" + idE + ".scope"), "", "", 0, "", -1},
	{"pod cgroup", "kubelet's pod cgroup", v1("/kubepods/burstable/pod" + podUID), "", "", 0, "", -1},
	{"pod slice", "kubelet's pod slice", v2("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDSlice + ".slice"), "", "", 0, "", -1},
	{"QoS cgroup", "", v1("/kubepods/besteffort"), "", "", 0, "", -1},
	{"transient unit named by 64 hex digits", "", v2("/system.slice/run-" + idC + ".scope"), "", "", 0, "", -1},
	{"64 hex digits then a unit", "", v2("/system.slice/" + idC + ".service"), "", "", 0, "", -1},
	{"short id", "", v1("/docker/" + idC[:63]), "", "", 0, "", -1},
	{"not hex", "", v1("/docker/" + strings.Replace(idC, "6", "g", 1)), "", "", 0, "", -1},
	{"id too long", "Falco matcher tests", v2("/user.slice/user-1000.slice/user@1000.service/libpod-" + idA + idA), "", "", 0, "", -1},
	{"lxc monitor", "lxc 4's monitor process", v2("/lxc.monitor.web01"), "", "", 0, "", -1},
	{"not a containerd name", "", v2("/default/a..b"), "", "", 0, "", -1},
}

func TestCgroupForms(t *testing.T) {
	if len(cgroupCases) < 30 {
		t.Fatalf("%d cases", len(cgroupCases))
	}
	for _, c := range cgroupCases {
		for _, f := range []struct {
			form string
			got  CgroupContainer
		}{
			{"/proc", MatchProcCgroup([]byte(c.text))},
			{"model", MatchCgroups(entries(c.text))},
		} {
			g := f.got
			pod := string(g.AppendPodUID(nil))
			owner := -1
			if g.Rootless {
				owner = int(g.OwnerUID)
			}
			if string(g.ID) != c.id || string(g.FullID) != c.fullID || g.Found() != (c.id != "") ||
				(c.id != "" && g.Type != c.typ) || pod != c.pod || g.HasPod() != (c.pod != "") || owner != c.owner {
				t.Errorf("%s (%s), %s form: got id %q full %q %v pod %q owner %d, want %q %q %v pod %q owner %d\n%s",
					c.name, c.source, f.form, g.ID, g.FullID, g.Type, pod, owner, c.id, c.fullID, c.typ, c.pod, c.owner, c.text)
			}
		}
	}
}

// TestCgroupFormsSnapshot reads each case's /proc/PID/cgroup as the
// snapshot does (v1 hierarchies; see procfs_thread.go) and matches the
// entries it keeps.
func TestCgroupFormsSnapshot(t *testing.T) {
	dir := t.TempDir()
	r := newProcReader(dir, SnapshotOptions{}, 1)
	for _, c := range cgroupCases {
		if strings.HasPrefix(c.text, "0::") {
			continue // v2 alone: the snapshot keeps no entry of it
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup"), []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		g := MatchCgroups(r.cgroups(dir))
		if string(g.ID) != c.id || (c.id != "" && g.Type != c.typ) {
			t.Errorf("%s: got %q %v, want %q %v", c.name, g.ID, g.Type, c.id, c.typ)
		}
	}
}

// TestContainerFromCgroups checks what the model keeps: the id, and the
// record sysdig 0.29.3 keeps from the cgroups alone.
func TestContainerFromCgroups(t *testing.T) {
	for _, c := range []struct {
		name    string
		cgroups []byte
		id      string
		typ     ContainerType
		record  bool
	}{
		{"host", cg("/", "/user.slice/user-1000.slice/session-1.scope"), "", 0, false},
		{"podman cgroupfs", cg("/libpod_parent/libpod-" + idA), idA[:12], CTPodman, true},
		{"podman in a pod", cg("/libpod_parent/" + idB + "/libpod-" + idA), idA[:12], CTPodman, true},
		{"podman systemd", cg("/machine.slice/libpod-" + idA + ".scope"), idA[:12], CTPodman, true},
		{"podman systemd container", cg("/machine.slice/libpod-" + idA + ".scope/container"), idA[:12], CTPodman, true},
		{"podman's conmon", cg("/libpod_parent/conmon", "/"), "", 0, false},
		{"docker cgroupfs", cg("/docker/" + idC), idC[:12], CTDocker, true},
		{"docker systemd", cg("/system.slice/docker-" + idC + ".scope"), idC[:12], CTDocker, true},
		// sysdig's docker engine claims the bare ids of kubelet's cgroupfs layout.
		{"kubelet cgroupfs", cg("/kubepods/besteffort/pod1111-2222-3333/" + idB), idB[:12], CTDocker, true},
		{"containerd systemd", cg("/kubepods.slice/kubepods-burstable.slice/cri-containerd-" + idB + ".scope"), idB[:12], CTContainerd, false},
		{"containerd cgroupfs", cg("/kubepods/burstable/podx:cri-containerd:" + idB), idB[:12], CTContainerd, false},
		{"cri-o", cg("/kubepods/pod1/crio-" + idB), idB[:12], CTCRIO, false},
		{"cri-o systemd", cg("/kubepods.slice/crio-" + idB + ".scope"), idB[:12], CTCRIO, false},
		{"ctr run", cg("/default/ctr-sleeper", "/default/ctr-sleeper"), "ctr-sleeper", CTContainerd, false},
		{"ctr-like path on one controller", cg("/default/ctr-sleeper", "/"), "", 0, false},
		{"lxc", cg("/lxc/web01"), "web01", CTLXC, true},
		{"libvirt-lxc", cg("/libvirt/lxc/web01"), "web01", CTLibvirtLXC, true},
		{"bpm", cg("/bpm-redis"), "redis", CTBPM, true},
		{"mesos", cg("/mesos/a9f41620-b165-4d24-abe0-af0af92e7b20"), "a9f41620-b165-4d24-abe0-af0af92e7b20", CTMesos, false},
		{"runc under a caller's cgroup", cg("/runc-test1", "/process_api/572acbb71f33ebd0956e62e6f82376de/runc-test1"), "", 0, false},
		{"short id", cg("/docker/" + idC[:63]), "", 0, false},
		{"not hex", cg("/docker/" + strings.Replace(idC, "6", "g", 1)), "", 0, false},
		{"second cgroup", cg("/", "/docker/"+idC), idC[:12], CTDocker, true},
		{"malformed list", append([]byte("nosep\x00"), cg("/docker/"+idC)...), "", 0, false},
		{"empty", nil, "", 0, false},
	} {
		id, typ, rec := ContainerFromCgroups(c.cgroups)
		if string(id) != c.id || (c.id != "" && (typ != c.typ || rec != c.record)) {
			t.Errorf("%s: got %q %v %v, want %q %v %v", c.name, id, typ, rec, c.id, c.typ, c.record)
		}
	}
}

func TestThreadPodUID(t *testing.T) {
	th := &Thread{Cgroups: entries(v2("/kubepods.slice/kubepods-pod" + podUIDSlice + ".slice/cri-containerd-" + idB + ".scope"))}
	if uid, ok := th.AppendPodUID(nil); !ok || string(uid) != podUID {
		t.Errorf("pod uid %q %v", uid, ok)
	}
	th.Cgroups = cg("/docker/" + idC)
	if uid, ok := th.AppendPodUID(nil); ok {
		t.Errorf("pod uid %q for a docker container", uid)
	}
}

func TestCgroupMatchAllocs(t *testing.T) {
	for _, c := range cgroupCases {
		text, ents := []byte(c.text), entries(c.text)
		if n := testing.AllocsPerRun(20, func() { MatchProcCgroup(text); MatchCgroups(ents) }); n != 0 {
			t.Errorf("%s: %v allocations per call", c.name, n)
		}
	}
	buf := make([]byte, 0, 64)
	c := MatchCgroups(entries(v2("/kubepods.slice/kubepods-pod" + podUIDSlice + ".slice/crio-" + idE + ".scope")))
	if n := testing.AllocsPerRun(20, func() { buf = c.AppendPodUID(buf[:0]) }); n != 0 {
		t.Errorf("AppendPodUID: %v allocations per call", n)
	}
}

// probeEntries returns cgroups as the probe reports them on a host with
// cgroup v2: cpuset, cpu, cpuacct, io and memory, all in path p.
func probeEntries(p string) []byte {
	var b []byte
	for _, c := range []string{"cpuset", "cpu", "cpuacct", "io", "memory"} {
		b = append(append(b, c+"="+p...), 0)
	}
	return b
}

// BenchmarkMatchCgroups matches the cgroups of a busy host's threads, as
// the probe reports them: mostly host services and sessions, then
// containers of every runtime.
func BenchmarkMatchCgroups(b *testing.B) {
	host := [][]byte{
		probeEntries("/"),
		probeEntries("/init.scope"),
		probeEntries("/system.slice/containerd.service"),
		probeEntries("/system.slice/kubelet.service"),
		probeEntries("/system.slice/snap.amazon-ssm-agent.amazon-ssm-agent.service"),
		probeEntries("/user.slice/user-1000.slice/session-3.scope"),
		probeEntries("/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-org.gnome.Terminal-4242.scope"),
		probeEntries("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDSlice + ".slice/crio-conmon-" + idE + ".scope"),
		probeEntries("/system.slice/lxcfs.service"),
		entries(hybrid("/")),
	}
	ctrs := [][]byte{
		probeEntries("/docker/" + idC),
		probeEntries("/system.slice/docker-" + idD + ".scope"),
		probeEntries("/machine.slice/libpod-" + idA + ".scope/container"),
		probeEntries("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDSlice + ".slice/cri-containerd-" + idB + ".scope"),
		probeEntries("/kubepods/besteffort/pod" + podUID + "/" + idB),
		probeEntries("/kubepods.slice/kubepods-pod" + podUIDSlice + ".slice/crio-" + idE + ".scope"),
		probeEntries("/default/ctr-sleeper"),
		probeEntries("/lxc.payload.web01/system.slice/nginx.service"),
	}
	for _, set := range []struct {
		name  string
		lists [][]byte
	}{{"host", host}, {"containers", ctrs}} {
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				MatchCgroups(set.lists[i%len(set.lists)])
			}
		})
	}
}

// FuzzMatchCgroups: any text matches without a panic, and what names a
// container is a part of the text.
func FuzzMatchCgroups(f *testing.F) {
	for _, c := range cgroupCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, c := range []CgroupContainer{MatchProcCgroup([]byte(text)), MatchCgroups([]byte(text))} {
			if !c.Found() {
				continue
			}
			if len(c.ID) == 0 || len(c.ID) > len(c.FullID) || !bytes.Contains(c.Path, c.FullID) ||
				!strings.Contains(text, string(c.Path)) || !strings.HasPrefix(string(c.FullID), string(c.ID)) {
				t.Errorf("%q: id %q full %q path %q", text, c.ID, c.FullID, c.Path)
			}
			c.AppendPodUID(nil)
		}
	})
}
