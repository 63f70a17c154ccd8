package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

// 2026-11-24T10:00:00Z
const start = uint64(1795514400) * 1_000_000_000

// Event types of the legacy schema used here.
const (
	openE, openX                   = 2, 3
	closeE, closeX                 = 4, 5
	cloneE, cloneX                 = 222, 223
	execveE, execveX               = 292, 293
	procexit                       = 186
	containerJSON                  = 272 // PPME_CONTAINER_JSON_E
	containerJSON2                 = 324 // PPME_CONTAINER_JSON_2_E
	oRDONLY, oCLOEXEC              = 1, 4096
	forkFlags                      = 8388608 | 16777216
	ctDocker, ctContainerd, ctCRIO = 0, 7, 8
)

// fullID is a container's 64-hex-digit id, derived from its name.
func fullID(name string) string {
	h := sha256.Sum256([]byte("kestrel/" + name))
	return hex.EncodeToString(h[:])
}

// ctr is a container of the capture and the process running in it.
type ctr struct {
	name   string
	cgroup string // the cgroup path of its processes
	json   map[string]any
	evType event.Type // container event type; 0: the capture has no record
	pid    int64
	comm   string
	exe    string
}

func cgroups(path string) []byte {
	var b []byte
	for _, sub := range []string{"cpuset", "cpu", "cpuacct", "memory", "devices", "pids"} {
		b = append(append(b, sub+"="+path...), 0)
	}
	return b
}

func containers() []ctr {
	web, db, app, sb, crio, kube, bare, nojson := fullID("web"), fullID("db"), fullID("app"), fullID("sandbox"),
		fullID("crio"), fullID("kube"), fullID("bare"), fullID("nojson")
	podUID := "5b7c3a10-8d1e-4c6f-9a2b-3e4f5a6b7c8d"
	return []ctr{
		{name: "web", cgroup: "/docker/" + web, evType: containerJSON, pid: 3000, comm: "nginx", exe: "/usr/sbin/nginx",
			json: record(web, ctDocker, "web", "docker.io/library/nginx:1.25", "nginx", "docker.io/library/nginx", "1.25", "sha256:"+fullID("nginx-digest"), false,
				[]any{mount("/var/run/docker.sock", "/var/run/docker.sock", "", true, "rprivate"), mount("/srv/www", "/usr/share/nginx/html", "ro", false, "rprivate")},
				map[string]any{"maintainer": "NGINX Docker Maintainers", "com.example.tier": "front"},
				map[string]any{"Healthcheck": probe("/bin/sh", "-c", "curl -f http://localhost/ || exit 1")})},
		{name: "db", cgroup: "/system.slice/docker-" + db + ".scope", evType: containerJSON2, pid: 3100, comm: "postgres", exe: "/usr/lib/postgresql/16/bin/postgres",
			json: record(db, ctDocker, "db", "postgres:16", fullID("pgimg")[:12], "postgres", "16", "", true,
				[]any{mount("/proc", "/host/proc", "ro", false, "rslave"), mount("/etc", "/host/etc", "", true, "rprivate"), mount("/var/lib/pg", "/var/lib/postgresql/data", "", true, "")},
				map[string]any{}, nil)},
		{name: "sandbox", cgroup: "", evType: containerJSON2,
			json: withSandbox(record(sb, ctContainerd, "k8s_POD_web-0_prod", "registry.k8s.io/pause:3.9", fullID("pause")[:12], "registry.k8s.io/pause", "3.9", "", false, nil,
				map[string]any{"app": "web", "tier": "frontend", "flag": "", "io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "prod",
					"io.kubernetes.pod.uid": podUID, "annotation.kubernetes.io/config.seen": "2026-11-24"}, nil), "", true)},
		{name: "app", cgroup: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod5b7c3a10.slice/cri-containerd-" + app + ".scope",
			evType: containerJSON2, pid: 3200, comm: "sh", exe: "/bin/sh",
			json: withSandbox(record(app, ctContainerd, "app", "ghcr.io/example/app:v2", fullID("appimg")[:12], "ghcr.io/example/app", "v2", "sha256:"+fullID("app-digest"), true,
				[]any{mount("/var/lib/kubelet/pods/"+podUID+"/volumes/kubernetes.io~secret/token", "/var/run/secrets/kubernetes.io/serviceaccount", "ro", false, "rprivate"),
					mount("/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "", true, "rprivate")},
				map[string]any{"io.kubernetes.container.name": "app", "io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "prod",
					"io.kubernetes.pod.uid": podUID, "io.kubernetes.sandbox.id": sb},
				map[string]any{"LivenessProbe": probe("/bin/check", "--live"), "ReadinessProbe": probe("/bin/check", "--ready", "--timeout=2")}), sb, false)},
		{name: "crio", cgroup: "/kubepods/burstable/pod" + podUID + "/crio-" + crio, evType: containerJSON2, pid: 3300, comm: "java", exe: "/usr/bin/java",
			json: record(crio, ctCRIO, "billing", "quay.io/example/billing@sha256:"+fullID("billing"), "", "quay.io/example/billing", "", "sha256:"+fullID("billing"), false, nil,
				map[string]any{"io.kubernetes.pod.name": "billing-7f9c", "io.kubernetes.pod.namespace": "finance", "io.kubernetes.sandbox.id": fullID("crio-sandbox")}, nil)},
		// A kubelet cgroupfs path: sysdig's docker engine claims the id; no record in the capture.
		{name: "kube", cgroup: "/kubepods/besteffort/pod" + podUID + "/" + kube, pid: 3400, comm: "sleep", exe: "/bin/sleep"},
		// A docker container with no record: its id and runtime alone.
		{name: "bare", cgroup: "/docker/" + bare, pid: 3500, comm: "redis-server", exe: "/usr/local/bin/redis-server"},
		// A cri-o container with no record: its id alone.
		{name: "nojson", cgroup: "/kubepods.slice/crio-" + nojson + ".scope", pid: 3600, comm: "python3", exe: "/usr/bin/python3"},
	}
}

func record(id string, typ int, name, image, imageID, repo, tag, digest string, priv bool, mounts []any, labels map[string]any, extra map[string]any) map[string]any {
	if mounts == nil {
		mounts = []any{}
	}
	c := map[string]any{
		"id": id[:12], "full_id": id, "type": typ, "name": name, "image": image, "imageid": imageID,
		"imagerepo": repo, "imagetag": tag, "imagedigest": digest, "privileged": priv, "is_pod_sandbox": false,
		"lookup_state": 1, "created_time": 1795510800, "lowerdir": "", "Mounts": mounts, "User": "",
		"ip": "172.17.0.2", "port_mappings": []any{}, "labels": labels, "env": []any{},
		"memory_limit": 0, "swap_limit": 0, "cpu_shares": 1024, "cpu_quota": 0, "cpu_period": 100000,
		"cpuset_cpu_count": 0, "metadata_deadline": 0,
	}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func withSandbox(c map[string]any, sandbox string, isSandbox bool) map[string]any {
	c["is_pod_sandbox"] = isSandbox
	if sandbox != "" {
		c["pod_sandbox_id"] = sandbox
	}
	return c
}

func mount(src, dst, mode string, rw bool, prop string) map[string]any {
	return map[string]any{"Source": src, "Destination": dst, "Mode": mode, "RW": rw, "Propagation": prop}
}

func probe(exe string, args ...string) map[string]any {
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return map[string]any{"exe": exe, "args": a}
}

func section(cs []ctr) *scap.Section {
	sec := &scap.Section{
		Major: 1, Minor: 2,
		Machine: &scap.Machine{NumCPUs: 2, MemoryBytes: 8 << 30, Hostname: "kestrel-containers"},
		Users:   []scap.User{{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"}},
		Groups:  []scap.Group{{GID: 0, Name: "root"}},
		Threads: []scap.Thread{
			{TID: 1, PID: 1, SID: 1, VPGID: 1, PGID: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd",
				Cwd: "/", FDLimit: 1 << 20, VTID: 1, VPID: 1, Root: "/", LoginUID: ^uint32(0), Cgroups: cgroups("/init.scope")},
		},
	}
	for _, c := range cs {
		if c.pid == 0 {
			continue
		}
		sec.Threads = append(sec.Threads, scap.Thread{TID: c.pid, PID: c.pid, PTID: 1, SID: c.pid, VPGID: c.pid, PGID: c.pid,
			Comm: c.comm, Exe: c.exe, ExePath: c.exe, Cwd: "/", FDLimit: 1 << 20, VTID: 1, VPID: 1, Root: "/",
			LoginUID: ^uint32(0), Cgroups: cgroups(c.cgroup), PidnsInitStartTS: start - 3600_000_000_000})
	}
	return sec
}

type writer struct {
	w   *scap.Writer
	ts  uint64
	ev  event.Event
	err error
}

type vals = map[string]any

func (s *writer) emit(tid int64, t event.Type, v vals) {
	if s.err != nil {
		return
	}
	s.ts += 1000 + uint64(t)*3
	rec, err := evtest.Record(event.Legacy(), s.ts, tid, t, v)
	if err != nil {
		s.err = fmt.Errorf("event %d: %w", t, err)
		return
	}
	if err := s.ev.Reset(rec); err != nil {
		s.err = err
		return
	}
	s.err = s.w.WriteEvent(&s.ev)
}

func capture(out io.Writer) error {
	cs := containers()
	w, err := scap.NewWriter(out, section(cs), scap.WriterOptions{})
	if err != nil {
		return fmt.Errorf("section: %w", err)
	}
	s := &writer{w: w, ts: start}
	for _, c := range cs {
		if c.evType == 0 {
			continue
		}
		b, err := json.Marshal(map[string]any{"container": c.json})
		if err != nil {
			return fmt.Errorf("container %s: %w", c.name, err)
		}
		s.emit(-1, c.evType, vals{"json": string(b)})
	}
	s.hostOpen()
	child := int64(4000)
	for _, c := range cs {
		if c.pid == 0 {
			continue
		}
		s.inContainer(c, child)
		child++
	}
	if s.err != nil {
		return s.err
	}
	return w.Close()
}

// hostOpen: a host process reads a file.
func (s *writer) hostOpen() {
	s.emit(1, openE, vals{"name": "/etc/hostname", "flags": oRDONLY, "mode": 0})
	s.emit(1, openX, vals{"fd": 9, "name": "/etc/hostname", "flags": oRDONLY, "mode": 0, "dev": 0x803})
	s.emit(1, closeE, vals{"fd": 9})
	s.emit(1, closeX, vals{"res": 0})
}

// inContainer: the container's process opens a file, forks a child that
// executes a shell command and exits.
func (s *writer) inContainer(c ctr, child int64) {
	cg := cgroups(c.cgroup)
	s.emit(c.pid, openE, vals{"name": "/etc/passwd", "flags": oRDONLY | oCLOEXEC, "mode": 0})
	s.emit(c.pid, openX, vals{"fd": 5, "name": "/etc/passwd", "flags": oRDONLY | oCLOEXEC, "mode": 0, "dev": 0x2a})
	common := vals{"exe": c.exe, "tid": c.pid, "pid": c.pid, "ptid": 1, "cwd": "/", "fdlimit": 1 << 20,
		"vm_size": 20000, "vm_rss": 8000, "comm": c.comm, "flags": forkFlags, "uid": 0, "gid": 0, "vtid": 1, "vpid": 1, "cgroups": cg}
	s.emit(c.pid, cloneE, nil)
	parent := copyVals(common)
	parent["res"] = child
	s.emit(c.pid, cloneX, parent)
	kid := copyVals(common)
	kid["res"], kid["tid"], kid["pid"], kid["ptid"], kid["vtid"], kid["vpid"] = 0, child, child, c.pid, 7, 7
	s.emit(child, cloneX, kid)
	s.emit(child, execveE, vals{"filename": "/bin/sh"})
	s.emit(child, execveX, vals{"res": 0, "exe": "/bin/sh", "args": []string{"-c", "id"}, "tid": child, "pid": child, "ptid": c.pid,
		"cwd": "/", "fdlimit": 1 << 20, "vm_size": 2400, "vm_rss": 900, "comm": "sh", "cgroups": cg,
		"env": []string{"PATH=/usr/bin:/bin", "HOSTNAME=" + c.name}, "pgid": c.pid, "loginuid": -1})
	s.emit(child, openE, vals{"name": "/etc/group", "flags": oRDONLY, "mode": 0})
	s.emit(child, openX, vals{"fd": 3, "name": "/etc/group", "flags": oRDONLY, "mode": 0, "dev": 0x2a})
	s.emit(child, procexit, vals{"status": 0})
	s.emit(c.pid, closeE, vals{"fd": 5})
	s.emit(c.pid, closeX, vals{"res": 0})
}

func copyVals(v vals) vals {
	out := make(vals, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}
