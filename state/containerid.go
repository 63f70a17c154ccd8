package state

import "bytes"

// cgroupLayout is where a runtime puts a container's id in a cgroup path:
// the path ends with prefix, the 64-hex-digit id, then suffix.
type cgroupLayout struct{ prefix, suffix []byte }

func layout(prefix, suffix string) cgroupLayout {
	return cgroupLayout{[]byte(prefix), []byte(suffix)}
}

// containerEngine is a runtime the model recognises in cgroup paths.
type containerEngine struct {
	typ     ContainerType
	layouts []cgroupLayout
	// record says the model keeps a record of the container (id and
	// runtime) from the cgroups alone, as sysdig does for these runtimes;
	// otherwise the thread gets the id and the record waits for a
	// container event.
	record bool
}

// containerEngines are tried in order, each on every cgroup of the thread,
// as sysdig does: podman (systemd scopes, cgroupfs as podman makes it
// without systemd, and the "payload" split), docker (cgroupfs
// /docker/ID, the kubelet's cgroupfs layout /kubepods/…/ID and systemd
// docker-ID.scope), then the CRI runtimes containerd and cri-o.
var containerEngines = [...]containerEngine{
	{CTPodman, []cgroupLayout{
		layout("/libpod-", ".scope"), layout("/libpod-", ".scope/container"), layout("/libpod-", ""),
		layout("/libpod-payload-", ".scope"), layout("/libpod-payload-", ".scope/container"), layout("/libpod-payload-", ""),
	}, true},
	{CTDocker, []cgroupLayout{layout("/", ""), layout("/docker-", ".scope")}, true},
	{CTCRIO, []cgroupLayout{layout("/crio-", ""), layout("/crio-", ".scope")}, false},
	{CTContainerd, []cgroupLayout{layout("/cri-containerd-", ".scope"), layout(":cri-containerd:", "")}, false},
}

// Lengths of container ids: in cgroup paths, and as reported.
const (
	fullIDLen  = 64
	shortIDLen = 12
)

// ContainerFromCgroups returns the short container id (12 hex digits)
// that a thread's cgroups ("subsys=path" strings, NUL-terminated) name,
// the runtime, and whether the model keeps a record of the container
// from the cgroups alone. id is nil for a host thread; it points into
// cgroups.
func ContainerFromCgroups(cgroups []byte) (id []byte, typ ContainerType, record bool) {
	for i := range containerEngines {
		eng := &containerEngines[i]
		for rest := cgroups; len(rest) > 0; {
			entry := rest
			if n := bytes.IndexByte(rest, 0); n >= 0 {
				entry, rest = rest[:n], rest[n+1:]
			} else {
				rest = nil
			}
			eq := bytes.LastIndexByte(entry, '=')
			if eq < 0 {
				break // a malformed list ends here, as in sysdig
			}
			path := entry[eq+1:]
			for _, l := range eng.layouts {
				if id := matchContainerID(path, l); id != nil {
					return id, eng.typ, eng.record
				}
			}
		}
	}
	return nil, 0, false
}

// matchContainerID returns the short id when path ends with the layout's
// prefix, 64 hex digits and suffix. Both the prefix and the suffix are
// their last occurrences in the path.
func matchContainerID(path []byte, l cgroupLayout) []byte {
	start := bytes.LastIndex(path, l.prefix)
	if start < 0 {
		return nil
	}
	start += len(l.prefix)
	end := bytes.LastIndex(path, l.suffix)
	if end < start || end-start != fullIDLen {
		return nil
	}
	// sysdig compares the offset of the first non-hex character in the
	// whole path (not in the id) with the id length; so does Kestrel, so
	// that both accept the same paths.
	for i := start; i < len(path); i++ {
		if !isHex(path[i]) {
			if i < fullIDLen {
				return nil
			}
			break
		}
	}
	return path[start : start+shortIDLen]
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
