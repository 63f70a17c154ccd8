package prefilter

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/filter"
)

// maxTypes bounds the event type codes the analysis distinguishes, as
// the engine's index does.
const maxTypes = 1024

// typeSet is a set of event type codes.
type typeSet [maxTypes / 64]uint64

func (s *typeSet) has(t int) bool { return t >= 0 && t < maxTypes && s[t/64]&(1<<(t%64)) != 0 }

func (s *typeSet) add(t int) {
	if t >= 0 && t < maxTypes {
		s[t/64] |= 1 << (t % 64)
	}
}

func allTypes() typeSet {
	var s typeSet
	for i := range s {
		s[i] = ^uint64(0)
	}
	return s
}

func (s typeSet) and(o typeSet) typeSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

func (s typeSet) or(o typeSet) typeSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

func (s typeSet) not() typeSet {
	for i := range s {
		s[i] = ^s[i]
	}
	return s
}

func (s typeSet) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// first returns the lowest code in the set, or -1.
func (s typeSet) first() int {
	for t := 0; t < maxTypes; t++ {
		if s.has(t) {
			return t
		}
	}
	return -1
}

// fromFilter converts the compiler's type set.
func fromFilter(f *filter.TypeSet) typeSet {
	var s typeSet
	for t := 0; t < maxTypes; t++ {
		if f.Has(event.Type(t)) {
			s.add(t)
		}
	}
	return s
}

// openNames are the system calls of the open family, whose exit events
// [driver.OpenFilter] filters.
var openNames = [...]string{"open", "openat", "openat2", "creat"}

// families holds the codes of the open family's events in both schemas:
// exits (what the probe sends and filters) and every direction; and the
// codes of the events that have an fd of their own in the model.
type families struct {
	exit, all typeSet
	withFD    typeSet
}

func openFamilies() families {
	var f families
	f.withFD = typesWithFD()
	for _, sc := range []*event.Schema{event.Current(), event.Legacy()} {
		for t := 2; t < maxTypes; t++ {
			info := sc.Lookup(event.Type(t))
			if info == nil || !info.Known() || !isOpenName(info.Name) {
				continue
			}
			f.all.add(t)
			if !event.Type(t).IsEnter() {
				f.exit.add(t)
			}
		}
	}
	return f
}

// fdFlags mark the events that create, use or destroy an fd: the only
// ones the model gives an fd, and so fd.* fields a value.
const fdFlags = event.FlagCreatesFD | event.FlagUsesFD | event.FlagDestroysFD

// typesWithFD returns the codes of the events with fdFlags, from the
// table the model reads them from: sysdig 0.29.3's where it knows the
// event, the current one's otherwise.
func typesWithFD() typeSet {
	var s typeSet
	for t := 0; t < maxTypes; t++ {
		var fl event.Flags
		if old := event.Legacy().Lookup(event.Type(t)); old != nil && old.Known() {
			fl = old.Flags
		} else if cur := event.Current().Lookup(event.Type(t)); cur != nil {
			fl = cur.Flags
		}
		if fl&fdFlags != 0 {
			s.add(t)
		}
	}
	return s
}

func isOpenName(name string) bool {
	for _, n := range openNames {
		if n == name {
			return true
		}
	}
	return false
}

// typeName names an event type code for reports.
func typeName(t int) string {
	if info := event.Current().Lookup(event.Type(t)); info != nil && info.Known() {
		return info.Name
	}
	return "type " + strconv.Itoa(t)
}

// eventTypes returns the codes of the events whose type is one of names,
// as the compiler derives them, except the generic events for a name
// that has events of its own: a system call with its own events is
// never reported by the generic ones.
func (a *analyzer) eventTypes(names []string) (typeSet, bool) {
	var out typeSet
	for _, n := range names {
		ts, ok := a.names[n]
		if !ok {
			p, err := filter.Compile("evt.type = "+strconv.Quote(n), filter.Options{})
			if err != nil {
				return typeSet{}, false
			}
			ts = fromFilter(p.EventTypes())
			specific := ts
			specific[0] &^= 3 // the generic events, codes 0 and 1
			if !specific.empty() {
				ts = specific
			}
			a.names[n] = ts
		}
		out = out.or(ts)
	}
	return out, true
}
