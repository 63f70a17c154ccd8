package field

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// Fields that classify an event: its category, I/O direction, whether it
// waits, failure counters and open modes.
func evtClassFields() []Def {
	return []Def{
		strField("evt.category", "event category (file, net, process, memory, …); for I/O events the kind of fd (file, net, ipc)", categoryText),
		{Name: "evt.type.is", Type: event.PTUint32, Arg: ArgRequired, CheckArg: typeIsArg,
			Desc: "1 when the event has the type named by the argument (evt.type.is.open) or that code (evt.type.is.3), else 0",
			Text: typeIsText, Num: typeIsNum},
		strField("syscall.type", "name of the system call, for syscall events only (not switch or internal events)", syscallType),
		jsonBool(boolField("evt.is_io", "true for events that read from or write to an fd", flagSet(event.FlagReadsFromFD|event.FlagWritesToFD))),
		jsonBool(boolField("evt.is_io_read", "true for events that read from an fd", flagSet(event.FlagReadsFromFD))),
		jsonBool(boolField("evt.is_io_write", "true for events that write to an fd", flagSet(event.FlagWritesToFD))),
		strField("evt.io_dir", "read or write, for events that read from or write to an fd", ioDir),
		jsonBool(boolField("evt.is_wait", "true for events that make the thread wait (poll, select, nanosleep)", flagSet(event.FlagWaits))),
		jsonBool(boolField("evt.is_syslog", "true for writes to /dev/log", isSyslog)),
		count("evt.count", "always 1, for counting events", func(*Context) bool { return true }),
		count("evt.count.error", "1 for events that returned an error", failedEvent),
		count("evt.count.error.file", "1 for failed events on files", errorOn(errFile)),
		count("evt.count.error.net", "1 for failed events on network sockets", errorOn(errNet)),
		count("evt.count.error.memory", "1 for failed memory events", errorOn(errMemory)),
		count("evt.count.error.other", "1 for failed events that are not file, network or memory ones", errorOn(errOther)),
		count("evt.count.exit", "1 for exit events", func(c *Context) bool { return !c.Event.Type().IsEnter() }),
		jsonBool(boolField("evt.is_open_read", "true for open events (open, openat, openat2) that open for reading", openFlag(openRead))),
		jsonBool(boolField("evt.is_open_write", "true for open events (open, openat, openat2) that open for writing", openFlag(openWrite))),
		jsonBool(boolField("evt.is_open_exec", "true for open or creat events that create a file with an execute permission bit", openFlag(openExec))),
		jsonBool(boolField("evt.is_open_create", "true for open exit events (open, openat, openat2, open_by_handle_at) that created the file", openCreated)),
	}
}

// eventFD returns the fd the current event is about, or nil.
func evtFD(c *Context) *state.FD {
	if c.State == nil {
		return nil
	}
	f, _, ok := c.State.EventFD(c.Event)
	if !ok {
		return nil
	}
	return f
}

func isIOCategory(cat event.Category) bool {
	cl := cat.Class()
	return cl == event.CatIORead || cl == event.CatIOWrite || cl == event.CatIOOther
}

// eventCategory returns the category sysdig gives e: a generic event's
// comes from its syscall.
func eventCategory(e *event.Event, info *event.Info) event.Category {
	if e.Type() <= 1 && e.NumParams() > 0 {
		return syscallCategory(uint16(e.Param(0).Uint()))
	}
	return info.Category.Class()
}

func categoryText(d []byte, c *Context) ([]byte, bool) {
	e := c.Event
	info := displayInfo(e)
	if info == nil {
		return append(d, "unknown"...), true
	}
	cat := eventCategory(e, info)
	if isIOCategory(cat) {
		if e.Type() <= 1 {
			return append(d, "unknown"...), true
		}
		return append(d, fdCategory(evtFD(c))...), true
	}
	return append(d, categoryName(cat)...), true
}

// fdCategory names the kind of fd an I/O event is about.
func fdCategory(f *state.FD) string {
	if f == nil {
		return "unknown"
	}
	switch f.Type {
	case scap.FDFile, scap.FDFileV2, scap.FDDirectory:
		return "file"
	case scap.FDIPv4Sock, scap.FDIPv6Sock, scap.FDIPv4ServSock, scap.FDIPv6ServSock:
		return "net"
	case scap.FDFifo, scap.FDUnixSock, scap.FDEvent, scap.FDSignalFD, scap.FDInotify:
		return "ipc"
	}
	return "unknown"
}

func categoryName(cat event.Category) string {
	switch cat {
	case event.CatOther:
		return "other"
	case event.CatFile:
		return "file"
	case event.CatNet:
		return "net"
	case event.CatIPC:
		return "IPC"
	case event.CatMemory:
		return "memory"
	case event.CatProcess:
		return "process"
	case event.CatSleep:
		return "sleep"
	case event.CatSystem:
		return "system"
	case event.CatSignal:
		return "signal"
	case event.CatUser:
		return "user"
	case event.CatTime:
		return "time"
	case catProcessing:
		return "processing"
	case event.CatWait:
		return "wait"
	case event.CatScheduler:
		return "scheduler"
	}
	return "unknown"
}

// catProcessing is the category of user-level processing events.
const catProcessing event.Category = 12

func typeIsNum(c *Context, a *Arg) (int64, bool) {
	if a == nil {
		return 0, false
	}
	t := c.Event.Type()
	if a.IsNum {
		if a.Index >= 0 && int(t) == a.Index {
			return 1, true
		}
		return 0, true
	}
	if info := c.Event.Info(); info != nil && info.Name == a.Text {
		return 1, true
	}
	return 0, true
}

func typeIsText(d []byte, c *Context, a *Arg) ([]byte, bool) {
	v, ok := typeIsNum(c, a)
	if !ok {
		return d, false
	}
	return append(d, byte('0'+v)), true
}

func syscallType(d []byte, c *Context) ([]byte, bool) {
	e := c.Event
	info := displayInfo(e)
	if info == nil || info.Flags&event.FlagSkipParseReset != 0 || (info.Name == "switch" && e.Type().IsEnter()) {
		return d, false
	}
	return appendEventType(d, e), true
}

func flagSet(f event.Flags) func(*Context) (bool, bool) {
	return func(c *Context) (bool, bool) {
		info := displayInfo(c.Event)
		return info != nil && info.Flags&f != 0, true
	}
}

func ioDir(d []byte, c *Context) ([]byte, bool) {
	info := displayInfo(c.Event)
	switch {
	case info == nil:
		return d, false
	case info.Flags&event.FlagWritesToFD != 0:
		return append(d, "write"...), true
	case info.Flags&event.FlagReadsFromFD != 0:
		return append(d, "read"...), true
	}
	return d, false
}

func isSyslog(c *Context) (bool, bool) {
	info := displayInfo(c.Event)
	if info == nil || info.Flags&event.FlagWritesToFD == 0 {
		return false, true
	}
	f := evtFD(c)
	return f != nil && containsDevLog(f.Name), true
}

func containsDevLog(s string) bool {
	const pat = "/dev/log"
	for i := 0; i+len(pat) <= len(s); i++ {
		if s[i:i+len(pat)] == pat {
			return true
		}
	}
	return false
}

// count defines a counter field: 1 when cond holds, no value otherwise.
func count(name, desc string, cond func(*Context) bool) Def {
	return uintField(name, event.PTUint32, desc, func(c *Context) (uint64, bool) {
		if cond(c) {
			return 1, true
		}
		return 0, false
	})
}

func failedEvent(c *Context) bool {
	v, ok := resultValue(c.Event)
	return ok && v < 0
}

// Kinds of failure, by what the failed event was about.
const (
	errFile = iota
	errNet
	errMemory
	errOther
)

// errorOn returns a condition that holds for failed events of one kind:
// decided by the event's fd when it has one, else by the event type.
func errorOn(kind int) func(*Context) bool {
	return func(c *Context) bool {
		if !failedEvent(c) {
			return false
		}
		if kind == errMemory {
			return memoryEvent(c)
		}
		return errorKind(c) == kind
	}
}

func memoryEvent(c *Context) bool {
	info := displayInfo(c.Event)
	return info != nil && info.Category.Class() == event.CatMemory
}

func errorKind(c *Context) int {
	if f := evtFD(c); f != nil {
		switch f.Type {
		case scap.FDFile, scap.FDFileV2, scap.FDDirectory:
			return errFile
		case scap.FDIPv4Sock, scap.FDIPv6Sock, scap.FDIPv4ServSock, scap.FDIPv6ServSock, scap.FDUnixSock:
			return errNet
		}
		return errOther
	}
	info := displayInfo(c.Event)
	if info == nil {
		return errOther
	}
	switch info.Enum {
	case "SYSCALL_OPEN_X", "SYSCALL_CREAT_X", "SYSCALL_OPENAT_X", "SYSCALL_OPENAT_2_X", "SYSCALL_OPENAT2_X", "SYSCALL_OPEN_BY_HANDLE_AT_X":
		return errFile
	case "SOCKET_ACCEPT_X", "SOCKET_ACCEPT_5_X", "SOCKET_ACCEPT4_X", "SOCKET_ACCEPT4_5_X", "SOCKET_CONNECT_X":
		return errNet
	}
	if info.Category.Class() == event.CatMemory {
		return errMemory
	}
	return errOther
}

// Open modes.
const (
	openRead = iota
	openWrite
	openExec
)

// PPM open flags and mode bits.
const (
	ppmORdOnly   = 1 << 0
	ppmOWrOnly   = 1 << 1
	ppmOCreat    = 1 << 2
	ppmOTmpFile  = 1 << 13
	ppmOFCreated = 1 << 14            // set by the driver when the call created the file
	ppmSExec     = 1<<0 | 1<<3 | 1<<6 // S_IXOTH, S_IXGRP, S_IXUSR
)

func openFlag(mode int) func(*Context) (bool, bool) {
	return func(c *Context) (bool, bool) {
		info := displayInfo(c.Event)
		if info == nil {
			return false, true
		}
		switch info.Enum {
		case "SYSCALL_OPEN_X", "SYSCALL_OPENAT_E", "SYSCALL_OPENAT_2_X", "SYSCALL_OPENAT2_X":
		case "SYSCALL_CREAT_X":
			return mode == openExec && paramUint(c.Event, "mode")&ppmSExec != 0, true
		default:
			return false, true
		}
		flags := paramUint(c.Event, "flags")
		switch mode {
		case openRead:
			return flags&ppmORdOnly != 0, true
		case openWrite:
			return flags&ppmOWrOnly != 0, true
		}
		return flags&(ppmOTmpFile|ppmOCreat) != 0 && paramUint(c.Event, "mode")&ppmSExec != 0, true
	}
}

// openCreated is evt.is_open_create, as libs 0.25 computes it: an open
// exit whose flags say the call created the file, or that opened an
// O_TMPFILE file successfully.
func openCreated(c *Context) (bool, bool) {
	info := event.Current().Lookup(c.Event.Type())
	if info == nil {
		return false, true
	}
	switch info.Enum {
	case "SYSCALL_OPEN_X", "SYSCALL_OPENAT_2_X", "SYSCALL_OPENAT2_X", "SYSCALL_OPEN_BY_HANDLE_AT_X":
	default:
		return false, true
	}
	flags := paramUint(c.Event, "flags")
	if flags&ppmOFCreated != 0 {
		return true, true
	}
	if flags&ppmOTmpFile != 0 {
		v, ok := resultValue(c.Event)
		return ok && v >= 0, true
	}
	return false, true
}

func paramUint(e *event.Event, name string) uint64 {
	p, _, ok := paramNamed(e, name)
	if !ok {
		return 0
	}
	return p.Uint()
}
