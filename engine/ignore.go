package engine

import "github.com/kestrel-sec/kestrel/event"

// ignoredTypes returns the event type codes Falco leaves out unless asked
// for all events (-A): the high-volume I/O system calls (reads and writes
// of data, category I/O read or I/O write) except those that also change
// the host model (recvmsg, sendto… carry socket addresses), the set Falco
// computes as the I/O syscalls minus the state syscalls. Today that is
// read, write, readv, writev, pread, pwrite, preadv, pwritev, send, recv
// and sendfile.
func ignoredTypes() *[indexSize]bool {
	schemas := []*event.Schema{event.Current(), event.Legacy()}
	io := map[string]bool{}
	state := map[string]bool{}
	for _, sc := range schemas {
		for t := 2; t < indexSize; t++ {
			info := sc.Lookup(event.Type(t))
			if info == nil {
				continue
			}
			if c := info.Category.Class(); c == event.CatIORead || c == event.CatIOWrite {
				io[info.Name] = true
			}
			if info.Flags&event.FlagModifiesState != 0 {
				state[info.Name] = true
			}
		}
	}
	var out [indexSize]bool
	for t := 2; t < indexSize; t++ {
		if info := event.Current().Lookup(event.Type(t)); info != nil && io[info.Name] && !state[info.Name] {
			out[t] = true
		}
	}
	return &out
}

// IgnoredNames returns the names of the event types skipped without -A.
func IgnoredNames() []string {
	ign := ignoredTypes()
	seen := map[string]bool{}
	var out []string
	for t := 2; t < indexSize; t++ {
		if !ign[t] {
			continue
		}
		if info := event.Current().Lookup(event.Type(t)); info != nil && !seen[info.Name] {
			seen[info.Name] = true
			out = append(out, info.Name)
		}
	}
	return out
}
