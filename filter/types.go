package filter

import (
	"math/bits"
	"sync"

	"github.com/kestrel-sec/kestrel/event"
)

// maxTypes bounds the event type codes a [TypeSet] holds; codes at or
// above it are always in the set.
const maxTypes = 1024

// TypeSet is a set of event type codes.
type TypeSet struct {
	bits [maxTypes / 64]uint64
}

// Has reports whether t is in the set.
func (s *TypeSet) Has(t event.Type) bool {
	if int(t) >= maxTypes {
		return true
	}
	return s.bits[t/64]&(1<<(t%64)) != 0
}

// All reports whether the set holds every type.
func (s *TypeSet) All() bool {
	for _, w := range s.bits {
		if w != ^uint64(0) {
			return false
		}
	}
	return true
}

// Len returns the number of codes in the set.
func (s *TypeSet) Len() int {
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	return n
}

// Types returns the codes in the set, in order.
func (s *TypeSet) Types() []event.Type {
	var out []event.Type
	for t := 0; t < maxTypes; t++ {
		if s.Has(event.Type(t)) {
			out = append(out, event.Type(t))
		}
	}
	return out
}

// Union adds the types of o to s.
func (s *TypeSet) Union(o *TypeSet) {
	for i := range s.bits {
		s.bits[i] |= o.bits[i]
	}
}

func (s *TypeSet) add(t event.Type) {
	if int(t) < maxTypes {
		s.bits[t/64] |= 1 << (t % 64)
	}
}

func fullSet() TypeSet {
	var s TypeSet
	for i := range s.bits {
		s.bits[i] = ^uint64(0)
	}
	return s
}

// typeInfo is what a condition says about event types: the set of types
// it can hold for, and whether it holds exactly for them (a pure evt.type
// condition), which lets "not" complement it.
type typeInfo struct {
	set   TypeSet
	exact bool
}

func allTypes() typeInfo { return typeInfo{set: fullSet()} }

func (a typeInfo) and(b typeInfo) typeInfo {
	for i := range a.set.bits {
		a.set.bits[i] &= b.set.bits[i]
	}
	a.exact = a.exact && b.exact
	return a
}

func (a typeInfo) or(b typeInfo) typeInfo {
	for i := range a.set.bits {
		a.set.bits[i] |= b.set.bits[i]
	}
	a.exact = a.exact && b.exact
	return a
}

func (a typeInfo) not() typeInfo {
	if !a.exact {
		return allTypes()
	}
	for i := range a.set.bits {
		a.set.bits[i] = ^a.set.bits[i]
	}
	return a
}

// typesNamed returns the codes of the events called name in either
// schema, enter and exit, every version. A name that is not a specific
// event may be a syscall reported by the generic events.
func typesNamed(name string) TypeSet {
	if s, ok := eventTypeTable()[name]; ok {
		return s
	}
	var s TypeSet
	s.add(0)
	s.add(1)
	return s
}

// KnownEventType reports whether name is an event type a filter may
// compare evt.type with: the name of an event of either schema or of a
// system call, as libsinsp accepts; any other value is an error there.
func KnownEventType(name string) bool {
	_, ok := eventTypeTable()[name]
	return ok
}

// eventTypeTable maps every event and syscall name to its codes; built
// once, read only afterwards.
var eventTypeTable = sync.OnceValue(func() map[string]TypeSet {
	schemas := []*event.Schema{event.Current(), event.Legacy()}
	specific := map[string]bool{}
	out := map[string]TypeSet{}
	for _, sc := range schemas {
		for t := 0; t < maxTypes; t++ {
			info := sc.Lookup(event.Type(t))
			if info == nil {
				continue
			}
			s := out[info.Name]
			s.add(event.Type(t))
			out[info.Name] = s
			specific[info.Name] = specific[info.Name] || t > 1
		}
	}
	syscalls := map[string]bool{}
	for id := 0; id < 1<<10; id++ {
		for _, n := range []string{event.SyscallDisplayName(uint16(id)), event.Current().SyscallName(uint16(id)), event.Legacy().SyscallName(uint16(id))} {
			if n != "" {
				syscalls[n] = true
			}
		}
	}
	for n := range syscalls {
		if _, ok := out[n]; !ok {
			out[n] = TypeSet{}
		}
	}
	for n, s := range out {
		if !specific[n] || syscalls[n] {
			s.add(0)
			s.add(1)
			out[n] = s
		}
	}
	return out
})
