package state

import (
	"bytes"

	"github.com/kestrel-sec/kestrel/event"
)

// ContainerType is a container runtime, numbered as the "type" of the
// container records in capture files.
type ContainerType uint8

// Container types.
const (
	CTDocker ContainerType = iota
	CTLXC
	CTLibvirtLXC
	CTMesos
	CTRkt
	CTCustom
	CTCRI
	CTContainerd
	CTCRIO
	CTBPM
	CTStatic
	CTPodman
)

var containerTypeNames = [...]string{
	CTDocker: "docker", CTLXC: "lxc", CTLibvirtLXC: "libvirt-lxc", CTMesos: "mesos", CTRkt: "rkt",
	CTCustom: "custom", CTCRI: "cri", CTContainerd: "containerd", CTCRIO: "cri-o", CTBPM: "bpm",
	CTStatic: "static", CTPodman: "podman",
}

// String returns the name container.type prints.
func (t ContainerType) String() string {
	if int(t) < len(containerTypeNames) {
		return containerTypeNames[t]
	}
	return "unknown"
}

// DockerCompatible reports whether the runtime reports privileged mode
// and the host namespaces the way docker does (docker and the CRI runtimes).
func (t ContainerType) DockerCompatible() bool {
	switch t {
	case CTDocker, CTCRI, CTContainerd, CTCRIO, CTPodman:
		return true
	}
	return false
}

// Mount is one mount of a container.
type Mount struct {
	Source, Dest, Mode, Propagation string
	RW                              bool
}

// AppendTo appends the mount as source:dest:mode:rdwr:propagation.
func (m *Mount) AppendTo(dst []byte) []byte {
	dst = append(dst, m.Source...)
	dst = append(dst, ':')
	dst = append(dst, m.Dest...)
	dst = append(dst, ':')
	dst = append(dst, m.Mode...)
	dst = append(dst, ':')
	if m.RW {
		dst = append(dst, "true"...)
	} else {
		dst = append(dst, "false"...)
	}
	dst = append(dst, ':')
	return append(dst, m.Propagation...)
}

// Label is a container label.
type Label struct{ Key, Value string }

// Health probe kinds, in Container.Probes.
const (
	ProbeHealthcheck = iota
	ProbeLiveness
	ProbeReadiness
	numProbes
)

// Probe is a health probe: the command line a runtime runs in the
// container to check it.
type Probe struct {
	Set  bool
	Exe  string
	Args []string
}

// AppendTo appends the probe's command line, exe and args separated by spaces.
func (p *Probe) AppendTo(dst []byte) []byte {
	dst = append(dst, p.Exe...)
	for _, a := range p.Args {
		dst = append(dst, ' ')
		dst = append(dst, a...)
	}
	return dst
}

// Container is what the model knows of one container: a record from the
// container events of a capture (or a runtime), or, for a container only
// seen in a thread's cgroups, its id and runtime alone.
type Container struct {
	ID          string // the short id, 12 characters for the runc-based runtimes
	FullID      string
	Type        ContainerType
	Name        string
	Image       string
	ImageID     string
	ImageRepo   string
	ImageTag    string
	ImageDigest string
	Privileged  bool
	HostPID     bool
	HostNetwork bool
	HostIPC     bool
	IP          string
	CNIJSON     string
	SandboxID   string // the pod sandbox's full id, for containers of Kubernetes pods
	IsSandbox   bool   // the container is a pod sandbox
	CreatedTime int64  // seconds since the epoch
	Mounts      []Mount
	Labels      []Label // sorted by key
	Probes      [numProbes]Probe
	// Failed is set for a record whose lookup failed.
	Failed bool
}

// Label returns the value of label key.
func (c *Container) Label(key string) (string, bool) {
	lo, hi := 0, len(c.Labels)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.Labels[m].Key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(c.Labels) && c.Labels[lo].Key == key {
		return c.Labels[lo].Value, true
	}
	return "", false
}

// MaxContainers bounds the container table.
const MaxContainers = 1 << 14

// containerTable holds the containers the model knows, and the thread
// that container events are attributed to.
type containerTable struct {
	byID     map[string]*Container
	overflow uint64
	// meta is the thread of a container event: no process, named after
	// the container ("container:ID"), in the container.
	meta Thread
	// The latest cgroups resolved and what they gave: threads of one
	// process, and the processes of one container or slice, share them.
	memo struct {
		cgroups []byte
		id      string
		typ     ContainerType
		record  bool
		set     bool
	}
}

// Container returns the container id, or nil when the model has no record of it.
func (s *State) Container(id string) *Container {
	if id == "" {
		return nil
	}
	return s.ctrs.byID[id]
}

// ContainerOverflow counts container records not kept: the table was full.
func (s *State) ContainerOverflow() uint64 { return s.ctrs.overflow }

// putContainer adds or replaces a container record.
func (s *State) putContainer(c *Container) {
	if s.ctrs.byID == nil {
		s.ctrs.byID = make(map[string]*Container)
	}
	if _, ok := s.ctrs.byID[c.ID]; !ok && len(s.ctrs.byID) >= MaxContainers {
		s.ctrs.overflow++
		return
	}
	s.ctrs.byID[c.ID] = c
}

// resolveContainer sets t.ContainerID from t's cgroups. A container of a
// runtime whose ids the cgroups tell (docker, podman) that has no record
// yet gets one with its id and runtime alone, as sysdig keeps.
func (s *State) resolveContainer(t *Thread) {
	m := &s.ctrs.memo
	if !m.set || !bytes.Equal(m.cgroups, t.Cgroups) {
		id, typ, record := ContainerFromCgroups(t.Cgroups)
		m.cgroups = append(m.cgroups[:0], t.Cgroups...)
		m.id, m.typ, m.record, m.set = "", typ, record, true
		if id != nil {
			m.id = s.intern(id)
		}
	}
	t.ContainerID = m.id
	if m.id == "" {
		return
	}
	typ, record := m.typ, m.record
	if record && s.Container(t.ContainerID) == nil {
		s.putContainer(&Container{ID: t.ContainerID, Type: typ})
	}
}

// containerFromEvent sets t's container from the cgroups of an execve or
// clone event, when the event has them.
func (s *State) containerFromEvent(t *Thread, e *event.Event) {
	if p, ok := e.ParamByName("cgroups"); ok && !p.Empty() {
		s.resolveContainer(t)
	}
}

// applyContainer handles a container event: a JSON record (the current
// form) or the old id/type/name/image event. The event's thread is a
// stand-in in the container (tid -1, named "container:ID"), as sysdig has.
func (s *State) applyContainer(e *event.Event) {
	var c *Container
	switch e.NumParams() {
	case 1:
		p := e.Param(0)
		var err error
		if c, err = parseContainerJSON(cstr(p.Bytes())); err != nil {
			return
		}
	case 4:
		c = &Container{
			ID:    string(cstr(e.Param(0).Bytes())),
			Type:  ContainerType(e.Param(1).Uint()),
			Name:  string(cstr(e.Param(2).Bytes())),
			Image: string(cstr(e.Param(3).Bytes())),
		}
	default:
		return
	}
	if c.ID == "" {
		return
	}
	c.ID = s.intern([]byte(c.ID))
	s.putContainer(c)
	if e.TID() != -1 {
		return
	}
	m := &s.ctrs.meta
	name := "container:" + c.ID
	*m = Thread{TID: -1, PID: -1, PTID: -1, VTID: -2, VPID: -2, SID: -1, VPGID: -1, PGID: -1,
		Comm: name, Exe: name, LoginUID: noUID, ContainerID: c.ID, lastFD: -1}
	s.last = m
}
