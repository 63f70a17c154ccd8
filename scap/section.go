package scap

// Section is the metadata of one capture section: what the blocks before
// its first event say about the machine and the host state when the
// capture started. Concatenated captures have one Section each.
type Section struct {
	Major, Minor uint16
	Machine      *Machine // nil when the capture has no machine block
	Interfaces   []Interface
	Users        []User
	Groups       []Group
	Threads      []Thread
	FDs          []FDList // one per thread that had an fd block, in file order
}

// Machine is the machine-info block.
type Machine struct {
	NumCPUs     uint32
	MemoryBytes uint64
	MaxPID      uint64
	Hostname    string
	BootTS      uint64 // ns since the epoch; 0 in files from older producers
	Flags       uint64
}

// Interface types in interface-list blocks.
const (
	IfaceIPv4            = 1
	IfaceIPv6            = 2
	IfaceIPv4NoLinkSpeed = 3
	IfaceIPv6NoLinkSpeed = 4
)

// Interface is one address of a network interface. Addresses are raw
// network-order bytes: 4 for IPv4, 16 for IPv6.
type Interface struct {
	Type      uint16
	Name      string
	Addr      []byte
	Netmask   []byte
	Broadcast []byte
	LinkSpeed uint64
}

// IPv6 reports whether the interface entry holds an IPv6 address.
func (i *Interface) IPv6() bool { return i.Type == IfaceIPv6 || i.Type == IfaceIPv6NoLinkSpeed }

// User is one entry of the user list.
type User struct {
	UID, GID uint32
	Name     string
	Home     string
	Shell    string
}

// Group is one entry of the group list.
type Group struct {
	GID  uint32
	Name string
}

// Thread is one thread of the process list. String lists (Args, Env,
// Cgroups) are kept in their on-disk form: NUL-terminated strings back to
// back.
type Thread struct {
	TID, PID, PTID int64
	SID, VPGID     int64 // -1 when the producer did not record them
	PGID           int64 // -1 when absent
	Comm           string
	Exe            string // argv[0]
	ExePath        string
	Args           []byte
	Cwd            string
	FDLimit        uint64
	Flags          uint32 // PPM_CL_* clone flags
	UID, GID       uint32
	VMSize, VMRSS  uint32 // KiB
	VMSwap         uint32
	PFMajor        uint64
	PFMinor        uint64
	Env            []byte
	VTID, VPID     int64 // -1 when absent
	Cgroups        []byte
	Root           string

	// The fields below come from the optional tail of version 9 entries.
	LoginUID         uint32 // 0xFFFFFFFF when unset or absent
	ExeWritable      bool
	HasCaps          bool
	CapInheritable   uint64
	CapPermitted     uint64
	CapEffective     uint64
	PidnsInitStartTS uint64
	TTY              uint32
	ExeUpperLayer    bool
	ExeLowerLayer    bool
	ExeFromMemfd     bool
	ExeIno           uint64
	ExeInoCtime      uint64
	ExeInoMtime      uint64

	// CloneTS is when the thread started, in ns since the epoch (0 when
	// unknown). Capture files do not store it; a /proc snapshot sets it.
	CloneTS uint64
}

// FD types of fd-list entries (scap_fd_type).
const (
	FDUnknown      = 0
	FDFile         = 1
	FDDirectory    = 2
	FDIPv4Sock     = 3
	FDIPv6Sock     = 4
	FDIPv4ServSock = 5
	FDIPv6ServSock = 6
	FDFifo         = 7
	FDUnixSock     = 8
	FDEvent        = 9
	FDUnsupported  = 10
	FDSignalFD     = 11
	FDEventPoll    = 12
	FDInotify      = 13
	FDTimerFD      = 14
	FDNetlink      = 15
	FDFileV2       = 16
	FDBPF          = 17
	FDUserfaultFD  = 18
	FDIOUring      = 19
	FDMemFD        = 20
	FDPidFD        = 21
)

// FD is one open file descriptor of an fd list. Which fields are set
// depends on Type: sockets fill the addresses and ports (raw network-order
// bytes), unix sockets the ids and Name, files Name, OpenFlags and Dev.
type FD struct {
	FD        int64
	Ino       uint64
	Type      uint8
	Name      string
	OpenFlags uint32 // PPM_O_* (FILE_V2)
	Dev       uint32 // FILE_V2, when present
	HasDev    bool
	SrcIP     []byte // local address for listening sockets
	DstIP     []byte
	SrcPort   uint16
	DstPort   uint16
	L4Proto   uint8
	SrcID     uint64 // unix sockets: kernel socket ids
	DstID     uint64
}

// FDList is the fd table of one thread.
type FDList struct {
	TID int64
	FDs []FD
}
