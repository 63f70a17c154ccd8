package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// The fdlist.* fields list, comma-separated, something of each fd of a
// poll or ppoll event's fd list. An fd that has no such value adds
// nothing (and no comma), except for fdlist.names, which says <NA>.

func fdlistFields() []Def {
	return []Def{
		fdlistField("fdlist.nums", "numbers of the fds of a poll event", func(d []byte, fd int64, _ *state.FD) ([]byte, bool) {
			return strconv.AppendInt(d, fd, 10), true
		}),
		fdlistField("fdlist.names", "names of the fds of a poll event (<NA> for unnamed ones)", func(d []byte, _ int64, f *state.FD) ([]byte, bool) {
			if f == nil || f.Name == "" {
				return append(d, "<NA>"...), true
			}
			return append(d, f.Name...), true
		}),
		fdlistField("fdlist.cips", "client addresses of the connections among the fds of a poll event", func(d []byte, _ int64, f *state.FD) ([]byte, bool) {
			if f == nil || !f.IsConnSock() {
				return d, false
			}
			return event.AppendIP(d, f.SrcAddr()), true
		}),
		fdlistField("fdlist.sips", "server addresses of the sockets among the fds of a poll event", func(d []byte, _ int64, f *state.FD) ([]byte, bool) {
			switch {
			case f == nil || !f.IsInet():
				return d, false
			case f.IsConnSock():
				return event.AppendIP(d, f.DstAddr()), true
			}
			// sysdig prints the first 4 bytes of a listening IPv6
			// socket's address as an IPv4 address.
			return event.AppendIP(d, f.SrcIP[:4]), true
		}),
		fdlistField("fdlist.cports", "client ports of the connections among the fds of a poll event", func(d []byte, _ int64, f *state.FD) ([]byte, bool) {
			if f == nil || !f.IsConnSock() {
				return d, false
			}
			return strconv.AppendUint(d, uint64(f.SrcPort), 10), true
		}),
		fdlistField("fdlist.sports", "server ports of the connections among the fds of a poll event", func(d []byte, _ int64, f *state.FD) ([]byte, bool) {
			if f == nil || !f.IsConnSock() {
				return d, false
			}
			return strconv.AppendUint(d, uint64(f.DstPort), 10), true
		}),
	}
}

// fdlistField defines a field listing item(fd) for each fd of the event's
// fd list; the field has no value when no fd gives one.
func fdlistField(name, desc string, item func(d []byte, fd int64, f *state.FD) ([]byte, bool)) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		p, ok := pollFDs(c.Event)
		if !ok {
			return d, false
		}
		th := c.Thread()
		if th == nil {
			return d, false
		}
		start := len(d)
		n := p.FDListLen()
		for i := 0; i < n; i++ {
			fd, _ := p.FDListAt(i)
			mark := len(d)
			if mark > start {
				d = append(d, ',')
			}
			var added bool
			if d, added = item(d, fd, th.FDs().Get(fd)); !added {
				d = d[:mark]
			}
		}
		return d, len(d) > start
	})
}

// pollFDs returns the fd list of a poll or ppoll event.
func pollFDs(e *event.Event) (event.Param, bool) {
	switch e.Info().Name {
	case "poll", "ppoll":
	default:
		return event.Param{}, false
	}
	p, ok := e.ParamByName("fds")
	if !ok || p.Empty() {
		return event.Param{}, false
	}
	return p, true
}
