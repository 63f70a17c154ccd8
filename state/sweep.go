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
	return n
}
