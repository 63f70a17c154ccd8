package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Sweep removes, from a model of the live host, the threads that have
// had no event for idle (before now, ns since the epoch) and that no
// longer exist under procRoot: a thread whose exit the stream did not
// show (an event lost, a late event the model could not place) would
// otherwise stay, with its fds, for ever. It returns how many it
// removed. It reads procRoot for each idle thread: call it rarely.
func (s *State) Sweep(procRoot string, now uint64, idle time.Duration) int {
	n := 0
	for tid, t := range s.threads {
		if t.seen+uint64(idle) > now || tid <= 0 {
			continue
		}
		_, err := os.Stat(filepath.Join(procRoot, strconv.FormatInt(tid, 10)))
		if !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if s.exited == tid {
			continue // goes at the next event
		}
		s.remove(tid)
		n++
	}
	s.sweepContainers()
	return n
}

// sweepContainers forgets the container records that no thread has
// referred to, directly or as its pod's sandbox, at two sweeps in a row:
// the runtime that would have said they are gone may have no event
// stream. A record that was put since the last sweep is kept until the
// next, so that a container looked up before its first process runs
// keeps its record.
func (s *State) sweepContainers() {
	used := make(map[string]bool, len(s.ctrs.byID))
	for _, t := range s.threads {
		if t.ContainerID == "" || used[t.ContainerID] {
			continue
		}
		used[t.ContainerID] = true
		if c := s.ctrs.byID[t.ContainerID]; c != nil && c.SandboxID != "" {
			used[shortID(c.SandboxID)] = true
		}
	}
	for id, c := range s.ctrs.byID {
		switch {
		case used[id]:
			c.unused = false
		case c.unused && c.gen <= s.ctrs.swept:
			s.RemoveContainer(id)
		default:
			c.unused = true
		}
	}
	s.ctrs.swept = s.ctrs.gen
}

func shortID(id string) string {
	if len(id) > shortIDLen {
		return id[:shortIDLen]
	}
	return id
}
