package recorder

import (
	"unsafe"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/scap"
)

// checkpoint is the model as it was before the event numbered seq, at
// time ts: a capture that starts with sec and goes on with the ring's
// events from seq reads the same as the live stream did.
type checkpoint struct {
	seq uint64
	ts  uint64
	sec *scap.Section
	mem int // the memory sec holds, estimated (sectionMemory)
}

// maxCheckpoints bounds the checkpoints kept, whatever the ring holds.
const maxCheckpoints = 8

// window is where a capture starts: the checkpoint to start from, and
// the time before which its events are written state-only.
type window struct {
	cp      checkpoint
	visible uint64 // events from this time on are shown
}

// pickWindow chooses, for a capture asked to show the events from time
// from on, the newest checkpoint at or before from whose events the
// ring still holds (those from tail on). When every such checkpoint is
// newer than from (the ring holds less than asked), the oldest usable
// one is taken, and the capture shows less. ok is false when no
// checkpoint is usable.
func pickWindow(cps []checkpoint, tail, from uint64) (w window, ok bool) {
	for _, c := range cps {
		if c.seq < tail {
			continue
		}
		if !ok || c.ts <= from {
			w.cp, ok = c, true
		}
		if c.ts > from {
			break
		}
	}
	w.visible = max(from, w.cp.ts)
	return w, ok
}

// pruneCheckpoints drops the checkpoints whose events the ring no longer
// holds (numbered below tail), and the oldest beyond maxCheckpoints.
func pruneCheckpoints(cps []checkpoint, tail uint64) []checkpoint {
	n := 0
	for n < len(cps) && cps[n].seq < tail {
		n++
	}
	n = max(n, len(cps)-maxCheckpoints)
	if n == 0 {
		return cps
	}
	clear(cps[:n])
	return append(cps[:0], cps[n:]...)
}

// fitCheckpoints drops the oldest checkpoints until those left take at
// most limit bytes; the newest is kept whatever its size (a capture
// needs one).
func fitCheckpoints(cps []checkpoint, limit int) []checkpoint {
	total := 0
	for _, c := range cps {
		total += c.mem
	}
	n := 0
	for n < len(cps)-1 && total > limit {
		total -= cps[n].mem
		n++
	}
	if n == 0 {
		return cps
	}
	clear(cps[:n])
	return append(cps[:0], cps[n:]...)
}

// sectionMemory estimates the memory a checkpoint's section holds: its
// threads and fds, with the bytes of their names and arguments (shared
// with the model or not, they are counted: the model may drop them while
// the checkpoint keeps them).
func sectionMemory(sec *scap.Section) int {
	n := int(unsafe.Sizeof(scap.Section{}))
	n += cap(sec.Threads) * int(unsafe.Sizeof(scap.Thread{}))
	for i := range sec.Threads {
		t := &sec.Threads[i]
		n += len(t.Comm) + len(t.Exe) + len(t.ExePath) + len(t.Args) + len(t.Cwd) + len(t.Env) + len(t.Cgroups) + len(t.Root)
	}
	n += cap(sec.FDs) * int(unsafe.Sizeof(scap.FDList{}))
	for i := range sec.FDs {
		fds := sec.FDs[i].FDs
		n += cap(fds) * int(unsafe.Sizeof(scap.FD{}))
		for j := range fds {
			n += len(fds[j].Name) + len(fds[j].SrcIP) + len(fds[j].DstIP)
		}
	}
	return n
}

// pairing follows the syscall enter events, so that no checkpoint falls
// between an enter and its exit: a reader needs both on the same side.
type pairing struct {
	enter    event.Type
	enterTID int64
	inEnter  bool
}

// paired reports whether e is the exit of the latest enter event (or an
// event between the two), and notes e.
func (p *pairing) paired(e *event.Event) bool {
	info := e.Info()
	if info == nil {
		return p.inEnter
	}
	if c := info.Category.Class(); c == event.CatScheduler || c == event.CatInternal {
		return p.inEnter
	}
	t := e.Type()
	if t.IsEnter() {
		p.enter, p.enterTID, p.inEnter = t, e.TID(), true
		return false
	}
	in := p.inEnter && p.enter == t-1 && p.enterTID == e.TID()
	p.inEnter = false
	return in
}
