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
	// Stub is set for a record made from a thread's cgroups alone, before
	// (or without) a runtime's answer: it has the id and runtime only.
	Stub bool
	// gen is the record's place in the order records were put in the
	// model (see [State.ContainerGen]).
	gen uint64
	// unused: no thread referred to it at the last sweep.
	unused bool
}

// Gen returns the generation the model gave the record when it was put
// in: records put later have higher ones.
func (c *Container) Gen() uint64 { return c.gen }

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
	gen      uint64 // of the latest record put
	swept    uint64 // gen at the last sweep
	// watcher is told of each container first seen in a thread's
	// cgroups; seen holds the ids it was told of.
	watcher ContainerWatcher
	seen    map[string]struct{}
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
	s.ctrs.gen++
	c.gen = s.ctrs.gen
	s.ctrs.byID[c.ID] = c
}

// PutContainer adds or replaces the record of container c.ID, as a
// runtime's answer: events from then on see it. The model owns c from
// then on.
func (s *State) PutContainer(c *Container) {
	if c.ID == "" {
		return
	}
	c.ID = s.intern([]byte(c.ID))
	s.putContainer(c)
}

// RemoveContainer forgets container id: its runtime said it is gone.
// Threads still in it keep its id, and have no record until a runtime
// knows it again.
func (s *State) RemoveContainer(id string) {
	delete(s.ctrs.byID, id)
	delete(s.ctrs.seen, id)
}

// ContainerGen returns the generation of the latest record put in the
// model: it changes whenever a record is added or replaced.
func (s *State) ContainerGen() uint64 { return s.ctrs.gen }

// EachContainer calls fn with every container record, in no order.
func (s *State) EachContainer(fn func(c *Container)) {
	for _, c := range s.ctrs.byID {
		fn(c)
	}
}

// ContainerWatcher is told of each container the model first sees in the
// cgroups of a thread (see [State.WatchContainers]).
type ContainerWatcher interface {
	// ContainerSeen is called on the goroutine that owns the model, with
	// what the cgroups tell of the container and the id the model
	// reports for it. c's bytes are valid only during the call. It must
	// not block.
	ContainerSeen(c *CgroupContainer, id string)
}

// WatchContainers tells w of each container the model sees in threads'
// cgroups: those of the threads it has now, at once, and each one it
// first sees later. A container removed with [State.RemoveContainer] is
// told of again when it is seen again.
func (s *State) WatchContainers(w ContainerWatcher) {
	s.ctrs.watcher = w
	s.ctrs.seen = make(map[string]struct{})
	for _, t := range s.threads {
		if t.ContainerID == "" {
			continue
		}
		if _, ok := s.ctrs.seen[t.ContainerID]; ok {
			continue
		}
		c := MatchCgroups(t.Cgroups)
		if c.Found() {
			s.ctrs.seen[t.ContainerID] = struct{}{}
			w.ContainerSeen(&c, t.ContainerID)
		}
	}
}

// resolveContainer sets t.ContainerID from t's cgroups. A container of a
// runtime whose ids the cgroups tell (docker, podman) that has no record
// yet gets one with its id and runtime alone, as sysdig keeps.
func (s *State) resolveContainer(t *Thread) {
	m := &s.ctrs.memo
	if !m.set || !bytes.Equal(m.cgroups, t.Cgroups) {
		c := MatchCgroups(t.Cgroups)
		typ, record := c.record()
		m.cgroups = append(m.cgroups[:0], t.Cgroups...)
		m.id, m.typ, m.record, m.set = "", typ, record, true
		if c.Found() {
			m.id = s.intern(c.ID)
			s.tellWatcher(&c, m.id)
		}
	}
	t.ContainerID = m.id
	if m.id == "" {
		return
	}
	typ, record := m.typ, m.record
	if record && s.Container(t.ContainerID) == nil {
		s.putContainer(&Container{ID: t.ContainerID, Type: typ, Stub: true})
	}
}

// tellWatcher tells the container watcher of container id, the first time
// the model sees it.
func (s *State) tellWatcher(c *CgroupContainer, id string) {
	w := s.ctrs.watcher
	if w == nil {
		return
	}
	if _, ok := s.ctrs.seen[id]; ok {
		return
	}
	if len(s.ctrs.seen) >= MaxContainers {
		s.ctrs.overflow++
		return
	}
	s.ctrs.seen[id] = struct{}{}
	w.ContainerSeen(c, id)
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
