package field

import (
	"bytes"
	"math"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// Fields that libsinsp made for sysdig's tables and chisels and leaves
// out of its field list (EPF_TABLE_ONLY), which formats and filters take
// all the same: I/O byte counts by direction and kind of fd, process
// table counts, quantized latency and docker infrastructure events.

func evtTableFields() []Def {
	return []Def{
		bufLenField("evt.buflen.in", "evt.buflen of events that read", ioRead, fdAny),
		bufLenField("evt.buflen.out", "evt.buflen of events that write", ioWrite, fdAny),
		bufLenField("evt.buflen.file", "evt.buflen of I/O events on files", ioAny, fdFile),
		bufLenField("evt.buflen.file.in", "evt.buflen of events that read from files", ioRead, fdFile),
		bufLenField("evt.buflen.file.out", "evt.buflen of events that write to files", ioWrite, fdFile),
		bufLenField("evt.buflen.net", "evt.buflen of I/O events on network sockets", ioAny, fdNet),
		bufLenField("evt.buflen.net.in", "evt.buflen of events that read from network sockets", ioRead, fdNet),
		bufLenField("evt.buflen.net.out", "evt.buflen of events that write to network sockets", ioWrite, fdNet),
		count("evt.count.procinfo", "1 for procinfo events of a main thread (one a process)", func(c *Context) bool {
			t := c.Thread()
			return isProcInfo(c.Event) && t != nil && t.IsMain()
		}),
		count("evt.count.threadinfo", "1 for procinfo events (one a thread)", func(c *Context) bool { return isProcInfo(c.Event) }),
		uintField("evt.latency.quantized", event.PTUint64, "evt.latency on a scale for tables: 1 below 100 seconds, 0 from there; none without a latency", latencyQuantized),
		infraField("evt.infra.docker.name", "for docker infrastructure events, the name of the docker event", "Event", false),
		infraField("evt.infra.docker.container.id", "for docker infrastructure events, the short id of the container", "ID", false),
		infraField("evt.infra.docker.container.name", "for docker infrastructure events, the name of the container", "name", false),
		infraField("evt.infra.docker.container.image", "for docker infrastructure events, the image of the container", "Image", true),
	}
}

// I/O directions and fd kinds of the evt.buflen.* fields.
const (
	ioAny = iota
	ioRead
	ioWrite
	fdAny = iota
	fdFile
	fdNet
)

// bufLenField defines an evt.buflen restricted to one I/O direction and
// one kind of fd: the direction is the event's category (any I/O
// category, reads, or writes), the kind the type of the event's fd.
func bufLenField(name, desc string, dir, kind int) Def {
	return uintField(name, event.PTUint64, desc, func(c *Context) (uint64, bool) {
		info := displayInfo(c.Event)
		if info == nil {
			return 0, false
		}
		switch cat := info.Category.Class(); dir {
		case ioRead:
			if cat != event.CatIORead {
				return 0, false
			}
		case ioWrite:
			if cat != event.CatIOWrite {
				return 0, false
			}
		}
		f := evtFD(c)
		switch {
		case f == nil:
			return 0, false
		case kind == fdFile && f.Type != scap.FDFile && f.Type != scap.FDFileV2:
			return 0, false
		case kind == fdNet && !f.IsInet():
			return 0, false
		}
		return bufLen(c)
	})
}

// isProcInfo reports whether e is a procinfo event.
func isProcInfo(e *event.Event) bool {
	info := event.Current().Lookup(e.Type())
	return info != nil && info.Enum == "PROCINFO_E"
}

// latencyQuantized is evt.latency.quantized as sysdig computes it outside
// its curses interface (a screen width of -1): int(-log10(latency)/11)+1
// in unsigned arithmetic, the logarithm capped at 11, which is 1 for any
// latency below 100 s and 0 from there. Events with no latency have none.
func latencyQuantized(c *Context) (uint64, bool) {
	if c.Thread() == nil {
		return 0, false
	}
	v, ok := latency(c)
	if !ok || v == 0 {
		return 0, false
	}
	if math.Log10(float64(v)) >= 11 {
		return 0, true
	}
	return 1, true
}

// infraField defines a field read from the description of a docker
// infrastructure event ("Event: start; ID: …; Image: …; name: …"): the
// value of the first item whose name starts with key, up to the next
// colon. An image loses its @digest part (an image id, sha256:…, is kept
// whole); an id is cut to 12 characters.
func infraField(name, desc, key string, image bool) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		info := event.Current().Lookup(c.Event.Type())
		if info == nil || info.Enum != "INFRASTRUCTURE_EVENT_E" || c.Event.NumParams() < 3 {
			return d, false
		}
		return appendInfraItem(d, cstr(c.Event.Param(2).Raw), key, image)
	})
}

func appendInfraItem(d, desc []byte, key string, image bool) ([]byte, bool) {
	for len(desc) > 0 {
		item := desc
		if i := bytes.IndexByte(desc, ';'); i >= 0 {
			item, desc = desc[:i], desc[i+1:]
		} else {
			desc = nil
		}
		item = bytes.TrimSpace(item)
		if !bytes.HasPrefix(item, []byte(key)) {
			continue
		}
		// libsinsp splits the item at every colon and keeps the second part.
		colon := bytes.IndexByte(item, ':')
		if colon < 0 {
			return d, false
		}
		v := item[colon+1:]
		if i := bytes.IndexByte(v, ':'); i >= 0 {
			v = v[:i]
		}
		if image {
			if at := bytes.IndexByte(v, '@'); at >= 0 {
				v = v[:at]
			} else if bytes.Contains(v, []byte("sha256")) {
				v = item[colon+1:] // an image id: sha256:…
			}
		}
		v = bytes.TrimSpace(v)
		if key == "ID" && len(v) > 12 {
			v = v[:12]
		}
		return append(d, v...), true
	}
	return d, false
}

// cstr cuts b at its first NUL.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
