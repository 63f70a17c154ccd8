package prefilter

import (
	"strings"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
)

// fdClass is how a field depends on the model's fds.
type fdClass uint8

const (
	fdNone  fdClass = iota // reads no fd
	fdEvent                // reads the event's own fd (or its directory fd)
	fdTable                // reads other fds of the table, or unknown
)

// fdFreeFields are fields outside the fd.*, proc.*… families that read
// no fd: the event's header, type, result and open flags, and clocks.
const fdFreeFields = " evt.type evt.type.is evt.dir evt.num evt.cpu evt.res evt.rawres evt.failed" +
	" evt.is_open_read evt.is_open_write evt.is_open_exec evt.is_open_create" +
	" evt.is_io evt.is_io_read evt.is_io_write evt.is_wait evt.is_async evt.asynctype" +
	" evt.count evt.count.exit evt.count.procinfo evt.count.threadinfo evt.hostname evt.source" +
	" evt.pluginname evt.plugininfo syscall.type evt.time evt.time.s evt.time.iso8601" +
	" evt.datetime evt.datetime.s evt.rawtime evt.rawtime.s evt.rawtime.ns evt.reltime" +
	" evt.reltime.s evt.reltime.ns evt.outputtime evt.deltatime evt.deltatime.s evt.deltatime.ns" +
	" evt.latency evt.latency.s evt.latency.ns evt.latency.human evt.latency.quantized evt.wait_latency "

// eventFDFields are fields outside fd.* that read the event's fd.
const eventFDFields = " evt.abspath evt.buffer evt.buflen evt.category evt.io_dir evt.is_syslog "

// fdFreeFamilies are the field families that read no fd, with the
// exceptions of tableFields.
const fdFreeFamilies = "container. k8s. group. user. thread. proc."

// tableFields read fds other than the event's.
const tableFields = " fd.types proc.fdopencount proc.fdusage evt.args evt.info "

// classOf classifies a field by its registered name; a field not known
// to read no fd, or only the event's, reads the table.
func classOf(name string) fdClass {
	switch {
	case strings.Contains(tableFields, " "+name+" "), strings.HasPrefix(name, "proc.std"):
		return fdTable
	case strings.Contains(fdFreeFields, " "+name+" "):
		return fdNone
	case strings.HasPrefix(name, "fd."), strings.HasPrefix(name, "fs.path."),
		strings.HasPrefix(name, "evt.buflen."), strings.HasPrefix(name, "evt.count.error"),
		strings.Contains(eventFDFields, " "+name+" "):
		return fdEvent
	}
	for _, fam := range strings.Fields(fdFreeFamilies) {
		if strings.HasPrefix(name, fam) {
			return fdNone
		}
	}
	return fdTable
}

// deps returns on which event types a check may read fds a dropped open
// would have created: through the event's fd on the events that have
// one, but the open family's (whose fd is the one it opens, and whose
// directory fds are always sent); through the table on any event.
func (a *analyzer) deps(n *filter.Check) (evt, tab dep) {
	worst := fdNone
	filter.Inspect(n, func(x filter.Node) bool {
		f, ok := x.(*filter.Field)
		if !ok {
			return true
		}
		c := fdTable
		if def, arg, err := a.fields.Resolve(f.Name, f.Arg, f.HasArg); err == nil {
			c = classOf(def.Name)
			if def.Name == "evt.arg" || def.Name == "evt.rawarg" {
				c = a.argClass(arg)
			}
		}
		worst = max(worst, c)
		return true
	})
	why := n.String()
	switch worst {
	case fdEvent:
		evt = dep{a.fam.withFD.and(a.fam.all.not()), why}
	case fdTable:
		tab = dep{allTypes(), why}
	}
	return evt, tab
}

// Field values for which a check is false on a file fd, and on an event
// whose fd the model lacks: what fd.type, fd.typechar, fd.l4proto and
// fd.sockfamily show only for other kinds of fds.
const (
	nonFileTypes     = " ipv4 ipv6 unix pipe event signalfd eventpoll inotify timerfd netlink "
	nonFileTypeChars = " 4 6 u p e s l i t n "
	socketProtos     = " tcp udp icmp raw "
	socketFamilies   = " ip unix "
)

// socketFields have no value on a file fd, nor without an fd.
const socketFields = " fd.cip fd.sip fd.lip fd.rip fd.cnet fd.snet fd.lnet fd.rnet "

// fileFalse reports whether a check is false, with or without the fd,
// when the event's fd is a file: it tests for a socket or another kind
// of fd by =, in (or, on the address fields, which no file has, !=).
func fileFalse(name string, op filter.Operator, vals []string) bool {
	if op.Modifier() != filter.ModNone || len(vals) == 0 {
		return false
	}
	if strings.Contains(socketFields, " "+name+" ") {
		return op == filter.OpEq || op == filter.OpIn || op == filter.OpNe
	}
	if op != filter.OpEq && op != filter.OpIn {
		return false
	}
	var allowed string
	switch name {
	case "fd.type":
		allowed = nonFileTypes
	case "fd.typechar":
		allowed = nonFileTypeChars
	case "fd.l4proto":
		allowed = socketProtos
	case "fd.sockfamily":
		allowed = socketFamilies
	default:
		return false
	}
	for _, v := range vals {
		if !strings.Contains(allowed, " "+v+" ") {
			return false
		}
	}
	return true
}

// argClass classifies evt.arg.NAME and evt.rawarg.NAME: they show fds
// (by name, from the table) only where some event has an fd, a list of
// fds or a dynamic parameter called NAME; an argument by position may be
// any of them.
func (a *analyzer) argClass(arg *field.Arg) fdClass {
	if arg == nil || arg.IsNum {
		return fdTable
	}
	if c, ok := a.args[arg.Text]; ok {
		return c
	}
	c := fdNone
	for _, sc := range []*event.Schema{event.Current(), event.Legacy()} {
		for t := 0; t < maxTypes; t++ {
			info := sc.Lookup(event.Type(t))
			if info == nil {
				continue
			}
			for _, p := range info.Params {
				if p.Name == arg.Text && fdParam(p.Type) {
					c = fdTable
				}
			}
		}
	}
	a.args[arg.Text] = c
	return c
}

func fdParam(t event.ParamType) bool {
	switch t {
	case event.PTFD, event.PTFD32, event.PTFDList, event.PTDyn:
		return true
	}
	return false
}
