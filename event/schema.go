package event

// Type is an event code: the on-disk `type` of a record (PPME_* in the
// Falco libraries). Even codes are enter events, odd codes exit events.
type Type uint16

// PluginEventE is PPME_PLUGINEVENT_E, the record of an event of a source
// plugin (k8saudit, cloudtrail…): its plugin's id and its data.
const PluginEventE Type = 322

// IsEnter reports whether t is an enter event (even code). Tracepoint and
// meta events exist only as even codes and count as enter events.
func (t Type) IsEnter() bool { return t&1 == 0 }

// Dir returns the direction character sysdig prints: '>' for enter, '<' for exit.
func (t Type) Dir() byte {
	if t.IsEnter() {
		return '>'
	}
	return '<'
}

// ParamType is the type of an event parameter (enum ppm_param_type).
type ParamType uint8

// PrintFmt is a parameter's print format (enum ppm_print_format).
type PrintFmt uint8

// Print formats.
const (
	FmtNA PrintFmt = iota
	FmtDec
	FmtHex
	FmtPaddedDec
	FmtID
	FmtDir
	FmtOct
)

// Flags are the schema flags of an event type (enum ppm_event_flags).
type Flags uint32

// Schema flags.
const (
	FlagCreatesFD        Flags = 1 << 0
	FlagDestroysFD       Flags = 1 << 1
	FlagUsesFD           Flags = 1 << 2
	FlagReadsFromFD      Flags = 1 << 3
	FlagWritesToFD       Flags = 1 << 4
	FlagModifiesState    Flags = 1 << 5
	FlagUnused           Flags = 1 << 6
	FlagWaits            Flags = 1 << 7
	FlagSkipParseReset   Flags = 1 << 8
	FlagOldVersion       Flags = 1 << 9
	FlagDropSimpleCons   Flags = 1 << 10
	FlagLargePayload     Flags = 1 << 11
	FlagConverterManaged Flags = 1 << 12
)

// Category is an event category (enum ppm_event_category): a class in the low
// bits and, in the current schema, source bits above them.
type Category uint32

// Categories. The class values are those of the Falco libraries; the source
// bits are never stored on disk.
const (
	CatUnknown    Category = 0
	CatOther      Category = 1
	CatFile       Category = 2
	CatNet        Category = 3
	CatIPC        Category = 4
	CatMemory     Category = 5
	CatProcess    Category = 6
	CatSleep      Category = 7
	CatSystem     Category = 8
	CatSignal     Category = 9
	CatUser       Category = 10
	CatTime       Category = 11
	CatIORead     Category = 32
	CatIOWrite    Category = 33
	CatIOOther    Category = 34
	CatWait       Category = 64
	CatScheduler  Category = 128
	CatInternal   Category = 256
	CatSyscall    Category = 1 << 10
	CatTracepoint Category = 1 << 11
	CatPlugin     Category = 1 << 12
	CatMetaEvent  Category = 1 << 13
	CatIter       Category = 1 << 14

	catClassMask Category = 0x3ff
)

// Class returns the category without the source bits.
func (c Category) Class() Category { return c & catClassMask }

// String returns the category name as sysdig's evt.category prints it.
func (c Category) String() string {
	switch c.Class() {
	case CatOther:
		return "other"
	case CatFile:
		return "file"
	case CatNet:
		return "net"
	case CatIPC:
		return "IPC"
	case CatMemory:
		return "memory"
	case CatProcess:
		return "process"
	case CatSleep:
		return "sleep"
	case CatSystem:
		return "system"
	case CatSignal:
		return "signal"
	case CatUser:
		return "user"
	case CatTime:
		return "time"
	case CatIORead, CatIOWrite, CatIOOther:
		return "I/O"
	case CatWait:
		return "wait"
	case CatScheduler:
		return "scheduler"
	case CatInternal:
		return "internal"
	}
	return "unknown"
}

// FlagName is one named value of a flag or enum table.
type FlagName struct {
	Name  string
	Value uint32
}

// FlagTable is a table of PPM_* flag or enum names (flags_table.c), in the
// order the Falco libraries scan it when rendering.
type FlagTable struct {
	Name    string
	Entries []FlagName
}

// DynType is one alternative of a dynamic (PT_DYN) parameter.
type DynType struct {
	Type ParamType
	Fmt  PrintFmt
}

// DynTable lists the alternatives of a dynamic parameter, by index.
type DynTable struct {
	Name  string
	Types []DynType
}

// ParamInfo describes one parameter of an event schema.
type ParamInfo struct {
	Name  string
	Type  ParamType
	Fmt   PrintFmt
	Flags *FlagTable // flag or enum table for FLAGS, ENUMFLAGS and MODE values
	Dyn   *DynTable  // alternatives for PT_DYN values
	DirFD int8       // for PT_FSRELPATH: index of the dirfd parameter, or -1
}

// Info is the schema of one event code.
type Info struct {
	Name     string // syscall or event name ("open", "procinfo")
	Enum     string // PPME_* name without the prefix
	Category Category
	Flags    Flags
	Params   []ParamInfo
}

// Known reports whether the code is defined (not an unused NA slot).
func (i *Info) Known() bool { return i != nil && i.Flags&FlagUnused == 0 && i.Name != "NA" }

// Large reports whether the type's parameter lengths are u32 (EF_LARGE_PAYLOAD).
func (i *Info) Large() bool { return i.Flags&FlagLargePayload != 0 }

// Schema is a complete event table: every event code, the flag tables and
// the syscall names, as one version of the Falco libraries defines them.
type Schema struct {
	Name     string
	Events   []Info
	Syscalls []string // PPM_SC syscall names, indexed by code
}

// Lookup returns the schema of code t, or nil if t is beyond the table.
func (s *Schema) Lookup(t Type) *Info {
	if int(t) >= len(s.Events) {
		return nil
	}
	return &s.Events[t]
}

// SyscallName returns the name of PPM_SC code id, or "" if unknown.
func (s *Schema) SyscallName(id uint16) string {
	if int(id) >= len(s.Syscalls) {
		return ""
	}
	return s.Syscalls[id]
}

// Current returns the event table of current Falco libraries (454 codes):
// the superset Kestrel reads with.
func Current() *Schema { return &currentSchema }

// Legacy returns the event table of the early-2022 libraries that sysdig
// 0.29.3 uses (336 codes): what a capture for old readers must follow.
func Legacy() *Schema { return &legacySchema }

// Display returns the schema sysdig would use to print an event of code t
// with n parameters: the legacy one while it knows the code and the
// parameters, the current one otherwise. Printing with it reproduces
// sysdig's names and flag tables exactly for the captures sysdig reads, and
// still shows every parameter of events from current producers, which
// sysdig 0.29.3 would cut to its own count (a deliberate difference).
func Display(t Type, n int) *Info {
	if old := legacySchema.Lookup(t); old != nil && old.Known() && n <= len(old.Params) {
		return old
	}
	return currentSchema.Lookup(t)
}

// TypeName returns the name of a parameter type without its PT_ prefix
// ("CHARBUF", "UINT64").
func TypeName(t ParamType) string {
	if int(t) < len(paramTypeNames) {
		return paramTypeNames[t]
	}
	return "UNKNOWN"
}
