package state

import "bytes"

// Container ids from cgroup paths.
//
// A runtime puts each container in a cgroup whose path names it. The
// forms Kestrel knows (see containerid_test.go for one real-looking path
// of each):
//
//   - runc-based runtimes, 64 hex digits in the last segment of the path,
//     or in a segment that names the runtime (runtime-ID, runtime-ID.scope),
//     which may have cgroups of the container below it:
//     docker:      /docker/ID, /system.slice/docker-ID.scope, /<cgroup-parent>/ID
//     podman:      /libpod_parent/libpod-ID, /libpod_parent/POD/libpod-ID,
//     /machine.slice/libpod-ID.scope[/container], libpod-payload-ID[.scope]
//     (cgroup split mode), rootless /user.slice/user-UID.slice/user@UID.service/
//     user.slice/libpod-ID.scope[/container] and, on cgroup v1,
//     …/podman-PID.scope/ID
//     containerd:  …/cri-containerd-ID.scope, …pod<UID>.slice:cri-containerd:ID
//     (systemd names under cgroupfs), /system.slice/nerdctl-ID.scope
//     cri-o:       …/crio-ID, …/crio-ID.scope
//     kubelet's cgroupfs layout: /kubepods[/burstable|/besteffort]/pod<UID>/ID,
//     whatever the CRI runtime (containerd, docker through dockershim or
//     cri-dockerd), and the systemd one,
//     /kubepods.slice/kubepods-QOS.slice/kubepods-QOS-pod<UID>.slice/<runtime scope>
//   - containerd's own containers (ctr, nerdctl with cgroupfs): /NAMESPACE/NAME
//   - lxc: /lxc/NAME, /lxc.payload/NAME, /lxc.payload.NAME (lxc 4, lxd)
//   - libvirt-lxc: /machine/NAME.libvirt-lxc, machine-lxc\x2dNAME.scope[/libvirt],
//     /libvirt/lxc/NAME
//   - bpm: /bpm-NAME[.scope]
//   - mesos: /mesos/UUID
//
// The same path is on every hierarchy of a container's process: every v1
// controller, the v2 (unified) hierarchy, and both on a hybrid host. The
// model's cgroups are "controller=path" entries: those the probe reports
// with clone and execve events (cpuset, cpu, cpuacct, io, memory), or
// those of /proc/PID/cgroup in a snapshot or a capture.
//
// Kestrel finds the same ids as Falco's container plugin (0.41 and
// later) and sysdig 0.29.3 on every form both know, and differs where
// they err: a bare id counts only as the last segment of a path, and
// never directly under libpod_parent (a podman pod's cgroup); the 64
// digits must all be hex; a named id may have cgroups below it, the
// deepest container winning; the containerd form (which Falco matches on
// any /A/B path) needs a containerd identifier on every hierarchy, no
// systemd unit name, and a namespace other than the cgroup parents of
// other runtimes; libvirt-lxc's /libvirt/lxc/NAME is not read as lxc; a
// bpm name starts a segment. Runtimes that Falco dropped (mesos) keep
// their form; rkt's ids are not in its cgroups and are not found here.
//
// The matcher runs when a thread's cgroups change (clone, execve, the
// snapshot), not for every event. It allocates nothing: what it returns
// points into the cgroups it was given.

// CgroupContainer is what a thread's cgroups tell of its container.
type CgroupContainer struct {
	// ID is the id Kestrel reports (container.id): the first 12 of 64 hex
	// digits; the first 12 characters of a containerd container's name;
	// the whole name for lxc, libvirt-lxc, bpm and mesos. Nil for a host
	// thread.
	ID []byte
	// FullID is the id as the path has it.
	FullID []byte
	// Type is the runtime the path names. CTCRI stands for a container of
	// a Kubernetes pod whose path names no runtime (kubelet's cgroupfs
	// layout): the runtime that answers for the id tells which.
	Type ContainerType
	// Path is the cgroup path that names the container.
	Path []byte
	// OwnerUID is the uid of the user who runs a rootless podman
	// container, from its user's slice (Rootless is set then): whose
	// podman service answers for it.
	OwnerUID uint32
	Rootless bool

	podUID      []byte // as the path has it
	podUIDSlice bool   // from a systemd slice name, where '_' stands for '-'
}

// Namespace returns the containerd namespace of a container that
// containerd runs itself (cgroup /NAMESPACE/NAME), nil for the others.
func (c *CgroupContainer) Namespace() []byte {
	if c.Type != CTContainerd || len(c.Path) == 0 || c.Path[0] != '/' {
		return nil
	}
	ns, _, ok := bytes.Cut(c.Path[1:], []byte{'/'})
	if !ok || bytes.HasSuffix(ns, []byte(".slice")) || bytes.HasSuffix(ns, []byte(".scope")) {
		return nil
	}
	return ns
}

// Found reports whether the cgroups name a container.
func (c *CgroupContainer) Found() bool { return c.ID != nil }

// HasPod reports whether the path tells the uid of the container's
// Kubernetes pod.
func (c *CgroupContainer) HasPod() bool { return c.podUID != nil }

// AppendPodUID appends the uid of the container's Kubernetes pod, as the
// API server has it (a systemd slice name writes its dashes as '_').
func (c *CgroupContainer) AppendPodUID(dst []byte) []byte {
	if !c.podUIDSlice {
		return append(dst, c.podUID...)
	}
	for _, b := range c.podUID {
		if b == '_' {
			b = '-'
		}
		dst = append(dst, b)
	}
	return dst
}

// record returns the runtime of the record the model keeps of a container
// that only its cgroups tell of, and whether it keeps one: as sysdig
// 0.29.3 keeps for docker, podman, lxc, libvirt-lxc and bpm, and not for
// the CRI runtimes until their lookup answers. sysdig's docker engine
// claims every bare 64-hex-digit id, Kubernetes pods' included, so their
// record says docker.
func (c *CgroupContainer) record() (ContainerType, bool) {
	switch c.Type {
	case CTCRI:
		return CTDocker, true
	case CTDocker, CTPodman, CTLXC, CTLibvirtLXC, CTBPM:
		return c.Type, true
	}
	return c.Type, false
}

// ContainerFromCgroups returns the id Kestrel reports for the container
// that a thread's cgroups ("controller=path" entries, NUL-terminated)
// name, the runtime of the record the model keeps of it, and whether it
// keeps one from the cgroups alone. id is nil for a host thread; it
// points into cgroups.
func ContainerFromCgroups(cgroups []byte) (id []byte, typ ContainerType, record bool) {
	c := MatchCgroups(cgroups)
	if c.ID == nil {
		return nil, 0, false
	}
	typ, record = c.record()
	return c.ID, typ, record
}

// MatchCgroups returns the container that a thread's cgroups
// ("controller=path" entries, NUL-terminated, as the model keeps them)
// name. An entry without '=' ends the list, as in sysdig.
func MatchCgroups(cgroups []byte) CgroupContainer {
	return matchList(cgroupList{rest: cgroups})
}

// MatchProcCgroup returns the container that the text of /proc/PID/cgroup
// ("hierarchy:controllers:path" lines; "0::path" for the v2 hierarchy)
// names.
func MatchProcCgroup(text []byte) CgroupContainer {
	return matchList(cgroupList{rest: text, proc: true})
}

// AppendPodUID appends the uid of the Kubernetes pod that t's cgroups
// name, and reports whether they name one.
func (t *Thread) AppendPodUID(dst []byte) ([]byte, bool) {
	c := MatchCgroups(t.Cgroups)
	if !c.HasPod() {
		return dst, false
	}
	return c.AppendPodUID(dst), true
}

// cgroupList walks the paths of a list of cgroups.
type cgroupList struct {
	rest []byte
	proc bool // /proc/PID/cgroup text, not the model's entries
}

// next returns the next path; ok is false at the end of the list or at a
// malformed entry.
func (l *cgroupList) next() (path []byte, ok bool) {
	for len(l.rest) > 0 {
		sep := byte(0)
		if l.proc {
			sep = '\n'
		}
		entry := l.rest
		if n := bytes.IndexByte(l.rest, sep); n >= 0 {
			entry, l.rest = l.rest[:n], l.rest[n+1:]
		} else {
			l.rest = nil
		}
		if !l.proc {
			// "controller=path", and "name=NAME=path" for a named v1
			// hierarchy: a path starts with '/', a name holds none.
			eq := bytes.IndexByte(entry, '=')
			if eq < 0 {
				return nil, false
			}
			path := entry[eq+1:]
			if len(path) > 0 && path[0] != '/' {
				if eq = bytes.IndexByte(path, '='); eq >= 0 {
					path = path[eq+1:]
				}
			}
			return path, true
		}
		if len(entry) == 0 {
			continue
		}
		i := bytes.IndexByte(entry, ':')
		if i < 0 {
			return nil, false
		}
		j := bytes.IndexByte(entry[i+1:], ':')
		if j < 0 {
			return nil, false
		}
		return entry[i+1+j+1:], true
	}
	return nil, false
}

// matchList tries the paths in order; the first that names a container
// wins (as in Falco's container plugin, which tries every runtime on one
// path before the next path).
func matchList(list cgroupList) CgroupContainer {
	all := list
	var prev []byte
	for {
		path, ok := list.next()
		if !ok {
			return CgroupContainer{}
		}
		// Hierarchies mostly share a path: one that named no container
		// does not again.
		if prev != nil && bytes.Equal(path, prev) {
			continue
		}
		prev = path
		c, loose := matchCgroupPath(path)
		if c.ID == nil {
			continue
		}
		if loose && !uniform(all, path) {
			continue
		}
		return c
	}
}

// uniform reports whether every path of the list is path. A runtime puts
// its container in the same cgroup on every hierarchy; a cgroup made by
// hand on one controller (like /process_api/ID on the memory controller
// of a Firecracker guest) is not a container.
func uniform(list cgroupList, path []byte) bool {
	for {
		p, ok := list.next()
		if !ok {
			return true
		}
		if !bytes.Equal(p, path) {
			return false
		}
	}
}

// matchCgroupPath returns the container that one cgroup path names.
// loose is set for a form that host cgroups can also have (containerd's
// /NAMESPACE/NAME), which counts only when the thread has that path on
// every hierarchy.
func matchCgroupPath(p []byte) (c CgroupContainer, loose bool) {
	if len(p) < 3 {
		return c, false
	}
	if len(p) > fullIDLen && matchRunc(p, &c) {
		return c, false
	}
	if matchNamed(p, &c) {
		return c, false
	}
	if matchContainerd(p, &c) {
		return c, true
	}
	return CgroupContainer{}, false
}

// Lengths of container ids: in cgroup paths, and as reported.
const (
	fullIDLen  = 64
	shortIDLen = 12
)

// matchRunc finds the deepest segment of p that names a container of a
// runc-based runtime. A bare id counts only as the last segment; a named
// one (runtime-ID, runtime-ID.scope) also with cgroups below it: podman's
// and crun's "container" subgroup, systemd or a runtime running inside
// the container.
func matchRunc(p []byte, c *CgroupContainer) bool {
	end := len(p)
	leaf := true
	for end >= fullIDLen {
		start := bytes.LastIndexByte(p[:end], '/') + 1
		seg := p[start:end]
		if len(seg) >= fullIDLen && runcSegment(p, start, seg, leaf, c) {
			return true
		}
		if start == 0 {
			break
		}
		end, leaf = start-1, false
	}
	return false
}

// Runtimes' names for their containers' cgroups: the text before the id.
var (
	prefixLibpod        = []byte("libpod-")
	prefixLibpodPayload = []byte("libpod-payload-")
	prefixCRIO          = []byte("crio-")
	prefixDocker        = []byte("docker-")
	prefixCRIContainerd = []byte("cri-containerd-")
	prefixNerdctl       = []byte("nerdctl-")
	infixCRIContainerd  = []byte(":cri-containerd:")
	suffixScope         = []byte(".scope")
)

// runcSegment matches one segment, which starts at offset start of p.
func runcSegment(p []byte, start int, seg []byte, leaf bool, c *CgroupContainer) bool {
	core, scope := seg, false
	if bytes.HasSuffix(core, suffixScope) {
		core, scope = core[:len(core)-len(suffixScope)], true
	}
	if len(core) < fullIDLen {
		return false
	}
	id := core[len(core)-fullIDLen:]
	if !allHex(id) {
		return false
	}
	prefix := core[:len(core)-fullIDLen]
	parents := p[:start]
	var typ ContainerType
	switch {
	case len(prefix) == 0:
		if scope || !leaf {
			return false
		}
		var ok bool
		if typ, ok = bareIDType(parents, c); !ok {
			return false
		}
	case bytes.Equal(prefix, prefixLibpod), bytes.Equal(prefix, prefixLibpodPayload):
		typ = CTPodman
		rootlessOwner(p, c)
	case bytes.Equal(prefix, prefixCRIO):
		typ = CTCRIO
	case scope && bytes.Equal(prefix, prefixDocker):
		typ = CTDocker
	case scope && (bytes.Equal(prefix, prefixCRIContainerd) || bytes.Equal(prefix, prefixNerdctl)):
		typ = CTContainerd
	case !scope && bytes.HasSuffix(prefix, infixCRIContainerd):
		typ = CTContainerd
		// The pod's slice name is in the same segment.
		podFromSlice(prefix[:len(prefix)-len(infixCRIContainerd)], c)
	default:
		return false
	}
	c.ID, c.FullID, c.Type, c.Path = id[:shortIDLen], id, typ, p
	if c.podUID == nil {
		podFromParents(parents, c)
	}
	return true
}

// bareIDType returns the runtime of a bare id in a cgroup under parents
// (with a trailing '/'), and false when the cgroup is not a container's.
func bareIDType(parents []byte, c *CgroupContainer) (ContainerType, bool) {
	parent := parents
	if n := len(parent); n > 0 && parent[n-1] == '/' {
		parent = parent[:n-1]
	}
	parent = parent[bytes.LastIndexByte(parent, '/')+1:]
	switch {
	case string(parent) == "libpod_parent":
		return 0, false // a podman pod's cgroup, its containers below it
	case string(parent) == "docker":
		return CTDocker, true
	case bytes.HasPrefix(parent, []byte("podman-")) && bytes.HasSuffix(parent, suffixScope):
		rootlessOwner(parents, c) // rootless podman on cgroup v1
		return CTPodman, true
	case bytes.Contains(parents, []byte("kubepods")):
		return CTCRI, true
	}
	return CTDocker, true // docker with a --cgroup-parent
}

// rootlessOwner sets the owner of a rootless podman container from its
// user's slice, /user.slice/user-UID.slice/….
func rootlessOwner(p []byte, c *CgroupContainer) {
	rest, ok := bytes.CutPrefix(p, []byte("/user.slice/user-"))
	if !ok {
		return
	}
	var uid uint64
	n := 0
	for n < len(rest) && n < 10 && rest[n] >= '0' && rest[n] <= '9' {
		uid = uid*10 + uint64(rest[n]-'0')
		n++
	}
	if n == 0 || uid == 0 || uid > 1<<32-1 || !bytes.HasPrefix(rest[n:], []byte(".slice/")) {
		return // root's containers are not rootless, whatever runs them
	}
	c.OwnerUID, c.Rootless = uint32(uid), true
}

// podFromParents sets the pod uid from the cgroups above a container's:
// the nearest pod<UID> (kubelet's cgroupfs layout) or …-pod<UID>.slice
// (its systemd layout), under a kubepods cgroup.
func podFromParents(parents []byte, c *CgroupContainer) {
	k := bytes.Index(parents, []byte("kubepods"))
	if k < 0 {
		return
	}
	end := len(parents)
	for end > k {
		if parents[end-1] == '/' {
			end--
		}
		start := bytes.LastIndexByte(parents[:end], '/') + 1
		if start <= k {
			return
		}
		seg := parents[start:end]
		if uid, ok := bytes.CutPrefix(seg, []byte("pod")); ok && len(uid) > 0 && allUIDChars(uid, '-') {
			c.podUID, c.podUIDSlice = uid, false
			return
		}
		if podFromSlice(seg, c) {
			return
		}
		end = start
	}
}

// podFromSlice sets the pod uid from a systemd slice name,
// kubepods[-QOS]-pod<UID>.slice, where '_' stands for '-'.
func podFromSlice(seg []byte, c *CgroupContainer) bool {
	name, ok := bytes.CutSuffix(seg, []byte(".slice"))
	if !ok || !bytes.Contains(name, []byte("kubepods")) {
		return false
	}
	i := bytes.LastIndex(name, []byte("-pod"))
	if i < 0 {
		return false
	}
	uid := name[i+len("-pod"):]
	if len(uid) == 0 || !allUIDChars(uid, '_') {
		return false
	}
	c.podUID, c.podUIDSlice = uid, true
	return true
}

// allUIDChars reports whether s is hex digits and dash (a pod uid: a UUID,
// or 32 hex digits for a static pod).
func allUIDChars(s []byte, dash byte) bool {
	for _, b := range s {
		if !isHex(b) && b != dash {
			return false
		}
	}
	return true
}

var hexDigit = func() (t [256]bool) {
	for _, b := range []byte("0123456789abcdefABCDEF") {
		t[b] = true
	}
	return t
}()

func isHex(b byte) bool { return hexDigit[b] }

func allHex(s []byte) bool {
	for _, b := range s {
		if !hexDigit[b] {
			return false
		}
	}
	return true
}

var (
	lxcLayouts = [...][]byte{
		[]byte("/lxc/"),         // lxc without systemd
		[]byte("/lxc.payload/"), // lxc with systemd
		[]byte("/lxc.payload."), // lxc 4.0, lxd
	}
	libvirtSuffix  = []byte(".libvirt-lxc")
	libvirtSystemd = []byte(`-lxc\x2d`)
	libvirtLegacy  = []byte("/libvirt/lxc/")
	bpmPrefix      = []byte("/bpm-")
	mesosPrefix    = []byte("/mesos/")
)

// matchNamed matches the runtimes whose ids are names: lxc, libvirt-lxc,
// bpm and mesos.
func matchNamed(p []byte, c *CgroupContainer) bool {
	if bytes.Contains(p, []byte("lxc")) && (matchLibvirtLXC(p, c) || matchLXC(p, c)) {
		return true
	}
	if i := bytes.Index(p, bpmPrefix); i >= 0 {
		id := p[i+len(bpmPrefix):]
		if j := bytes.Index(id, suffixScope); j >= 0 {
			id = id[:j]
		}
		if len(id) > 0 && allNameChars(id) {
			return named(p, id, CTBPM, c)
		}
	}
	if i := bytes.Index(p, mesosPrefix); i >= 0 {
		// Mesos names a task's cgroup by the UUID of its container.
		id := p[i+len(mesosPrefix):]
		if len(id) == 36 && allUIDChars(id, '-') {
			return named(p, id, CTMesos, c)
		}
	}
	return false
}

func named(p, id []byte, typ ContainerType, c *CgroupContainer) bool {
	c.ID, c.FullID, c.Type, c.Path = id, id, typ, p
	return true
}

func matchLXC(p []byte, c *CgroupContainer) bool {
	for _, l := range lxcLayouts {
		i := bytes.Index(p, l)
		if i < 0 {
			continue
		}
		id := p[i+len(l):]
		if j := bytes.IndexByte(id, '/'); j >= 0 {
			id = id[:j]
		}
		if len(id) > 0 {
			return named(p, id, CTLXC, c)
		}
	}
	return false
}

func matchLibvirtLXC(p []byte, c *CgroupContainer) bool {
	// Without systemd: /machine/NAME.libvirt-lxc.
	if name, ok := bytes.CutSuffix(p, libvirtSuffix); ok {
		id := name[bytes.LastIndexByte(name, '/')+1:]
		if len(id) > 0 {
			return named(p, id, CTLibvirtLXC, c)
		}
	}
	// With systemd: /machine.slice/machine-lxc\x2dNAME.scope, and the
	// libvirt subgroup below it.
	if i := bytes.Index(p, libvirtSystemd); i >= 0 {
		rest := p[i+len(libvirtSystemd):]
		name, ok := bytes.CutSuffix(rest, []byte(".scope/libvirt"))
		if !ok {
			name, ok = bytes.CutSuffix(rest, suffixScope)
		}
		if ok && len(name) > 0 && bytes.IndexByte(name, '/') < 0 {
			return named(p, name, CTLibvirtLXC, c)
		}
	}
	// Old libvirt: /libvirt/lxc/NAME.
	if i := bytes.Index(p, libvirtLegacy); i >= 0 && i+len(libvirtLegacy) < len(p) {
		return named(p, p[i+len(libvirtLegacy):], CTLibvirtLXC, c)
	}
	return false
}

// allNameChars reports whether s is letters, digits, '.', '_' and '-'.
func allNameChars(s []byte) bool {
	for _, b := range s {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

// Namespaces that are cgroup parents of other runtimes, whose children
// that fit none of their forms are not containerd containers.
var notContainerdNamespaces = [...]string{"docker", "libpod_parent", "kubepods", "lxc", "mesos", "machine"}

// systemd's unit types: a cgroup named like one is systemd's.
var systemdUnitSuffixes = [...]string{".slice", ".scope", ".service", ".mount", ".socket", ".swap", ".device", ".target"}

// maxContainerdNameLen is the longest containerd container name counted.
const maxContainerdNameLen = 64

// matchContainerd matches the cgroup containerd gives its own containers
// (ctr run, nerdctl with cgroupfs): /NAMESPACE/NAME, both containerd
// identifiers (letters and digits, single '.', '_' or '-' between them).
func matchContainerd(p []byte, c *CgroupContainer) bool {
	if p[0] != '/' {
		return false
	}
	ns, name, ok := bytes.Cut(p[1:], []byte{'/'})
	if !ok || len(name) > maxContainerdNameLen || !isIdentifier(ns) || !isIdentifier(name) {
		return false
	}
	for _, s := range notContainerdNamespaces {
		if string(ns) == s {
			return false
		}
	}
	for _, s := range systemdUnitSuffixes {
		if bytes.HasSuffix(ns, []byte(s)) || bytes.HasSuffix(name, []byte(s)) {
			return false
		}
	}
	id := name
	if len(id) > shortIDLen {
		id = id[:shortIDLen]
	}
	c.ID, c.FullID, c.Type, c.Path = id, name, CTContainerd, p
	return true
}

// isIdentifier reports whether s is a containerd identifier: runs of
// letters and digits joined by single '.', '_' or '-'.
func isIdentifier(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	sep := true // at the start, as after a separator
	for _, b := range s {
		switch {
		case b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9':
			sep = false
		case b == '.' || b == '_' || b == '-':
			if sep {
				return false
			}
			sep = true
		default:
			return false
		}
	}
	return !sep
}
