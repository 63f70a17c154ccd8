package scap

import (
	"encoding/binary"
	"fmt"

	"github.com/kestrel-sec/kestrel/event"
)

// legacyWriter turns the events of the current model into the events
// sysdig 0.29.3's own driver recorded for the same system calls, for
// capture files that 0.29.3 is to read ([ProfileSysdig029]): an enter and an exit per syscall;
// the event codes of its table, where the current table has newer ones
// (accept4, dup2, pipe2…, as its driver folded those syscalls into the
// older events); and generic syscall events, named by their PPM_SC code,
// for the syscalls its table has no event for (memfd_create, prctl…).
// The events it returns are built in reused buffers: they are valid
// until the next call.
type legacyWriter struct {
	split       enterSplitter
	enter, exit event.Event
	ebuf, xbuf  []byte
	vals        [][]byte
	nums        [event.MaxParams][8]byte // numeric values, converted
	plans       []legacyPlan             // by exit type, built on first use
}

// How an exit event of the current model is written for 0.29.3.
const (
	legacyAsIs      = iota // as it is: not a syscall exit, or nothing to add
	legacyMapped           // as a pair of older events (legacyPairs)
	legacySplit            // with its enter event rebuilt
	legacyAsGeneric        // as a generic syscall event
)

// legacyPlan is how one exit type is written, worked out once.
type legacyPlan struct {
	built      bool
	how        uint8
	pair       legacyPair
	id, native uint16 // legacyAsGeneric: the syscall's PPM_SC and x86-64 numbers
}

// legacyPair is how 0.29.3's driver recorded a syscall whose current exit
// event it does not know: its enter and exit event codes, and for each of
// their parameters, the parameter of the current exit that gives it.
type legacyPair struct {
	enter, exit         event.Type
	enterFrom, exitFrom []string
}

// legacyPairs maps current exit codes to the events 0.29.3's driver
// recorded for the same syscalls.
var legacyPairs = map[event.Type]legacyPair{
	367: {124, 125, []string{"oldfd"}, []string{"res"}},                                             // dup → dup
	363: {124, 125, []string{"oldfd"}, []string{"res"}},                                             // dup2 → dup
	365: {124, 125, []string{"oldfd"}, []string{"res"}},                                             // dup3 → dup
	393: {60, 61, nil, []string{"res", "fd1", "fd2", "ino"}},                                        // pipe2 → pipe
	395: {138, 139, []string{"flags"}, []string{"res"}},                                             // inotify_init1 → inotify_init
	397: {62, 63, []string{"initval", "flags"}, []string{"res"}},                                    // eventfd2 → eventfd
	399: {126, 127, []string{"fd", "mask", "flags"}, []string{"res"}},                               // signalfd4 → signalfd
	389: {248, 249, []string{"flags"}, []string{"fd", "tuple", "queuepct", "queuelen", "queuemax"}}, // accept4
}

// genericEnter is the code of the generic syscall enter event.
const genericEnter event.Type = 0

// convert returns the events to write for e, in order: an enter event
// (nil when there is none) and the exit, e itself or its replacement.
// Events that are not syscall exits pass as they are.
func (w *legacyWriter) convert(e *event.Event) (enter, exit *event.Event, err error) {
	t := e.Type()
	if t.IsEnter() {
		return nil, e, nil
	}
	p := w.plan(e)
	switch p.how {
	case legacyMapped:
		return w.pair(e, p.pair)
	case legacySplit:
		return w.split.enterOf(e), e, nil
	case legacyAsGeneric:
		return w.generic(e, p.id, p.native)
	}
	return nil, e, nil
}

// plan returns how e's type is written.
func (w *legacyWriter) plan(e *event.Event) *legacyPlan {
	t := e.Type()
	if int(t) >= len(w.plans) {
		w.plans = append(w.plans, make([]legacyPlan, int(t)+1-len(w.plans))...)
	}
	p := &w.plans[t]
	if p.built {
		return p
	}
	p.built = true
	if pair, ok := legacyPairs[t]; ok {
		p.how, p.pair = legacyMapped, pair
		return p
	}
	if legacyKnows(t) {
		if en := event.Current().Lookup(t - 1); en != nil && en.Known() && len(en.Params) > 0 && legacyKnows(t-1) {
			p.how = legacySplit
		}
		return p
	}
	if info := e.Info(); info != nil && event.IsX64Syscall(info.Name) {
		nr, _ := event.X64SyscallNum(info.Name)
		p.how, p.native = legacyAsGeneric, uint16(nr)
		sc := event.Current().Syscalls
		for i := range min(len(sc), len(event.Legacy().Syscalls)) {
			if sc[i] == info.Name {
				p.id = uint16(i)
				break
			}
		}
	}
	return p
}

func (w *legacyWriter) pair(e *event.Event, p legacyPair) (*event.Event, *event.Event, error) {
	var err error
	if w.ebuf, err = w.record(w.ebuf, e, p.enter, p.enterFrom); err != nil {
		return nil, nil, err
	}
	if w.xbuf, err = w.record(w.xbuf, e, p.exit, p.exitFrom); err != nil {
		return nil, nil, err
	}
	return w.views(e)
}

// record appends to dst[:0] the record of legacy event type t, its
// parameters taken from e's parameters named in from, in the legacy
// widths; a value e lacks is written as zero, full width, since 0.29.3
// does not accept empty values.
func (w *legacyWriter) record(dst []byte, e *event.Event, t event.Type, from []string) ([]byte, error) {
	info := event.Legacy().Lookup(t)
	if info == nil || len(info.Params) != len(from) {
		return nil, fmt.Errorf("legacy event %d: no schema for %d parameters", t, len(from))
	}
	w.vals = w.vals[:0]
	for i, name := range from {
		w.vals = append(w.vals, legacyValue(w.nums[i][:0], e, name, info.Params[i].Type))
	}
	return event.AppendRecord(dst[:0], e.TS(), e.TID(), t, w.vals...)
}

// legacyValue returns parameter name of e as a value of type pt: numbers
// converted to its width (appended to num, which has room for 8 bytes),
// other values as they are.
func legacyValue(num []byte, e *event.Event, name string, pt event.ParamType) []byte {
	p, ok := e.ParamByName(name)
	n := legacyWidth(pt)
	if n == 0 {
		if !ok {
			return nil
		}
		return p.Raw
	}
	var v uint64
	if ok && !p.Empty() {
		v = uint64(p.Int())
	}
	return binary.LittleEndian.AppendUint64(num, v)[:n]
}

// legacyWidth returns the size of the fixed-size numeric types of the
// parameters legacyPairs writes, or 0.
func legacyWidth(pt event.ParamType) int {
	switch pt {
	case event.PTFlags8, event.PTUint8:
		return 1
	case event.PTInt32, event.PTUint32, event.PTFlags32:
		return 4
	case event.PTInt64, event.PTUint64, event.PTFD, event.PTErrno:
		return 8
	}
	return 0
}

// generic builds the generic enter and exit events of e's syscall, with
// the PPM_SC code 0.29.3 knows it by (id: 0, unknown, for the syscalls
// newer than its table) and its native number.
func (w *legacyWriter) generic(e *event.Event, id, native uint16) (*event.Event, *event.Event, error) {
	idb := binary.LittleEndian.AppendUint16(w.nums[0][:0], id)
	nb := binary.LittleEndian.AppendUint16(w.nums[1][:0], native)
	var err error
	if w.ebuf, err = event.AppendRecord(w.ebuf[:0], e.TS(), e.TID(), genericEnter, idb, nb); err != nil {
		return nil, nil, err
	}
	if w.xbuf, err = event.AppendRecord(w.xbuf[:0], e.TS(), e.TID(), genericExit, idb, nb); err != nil {
		return nil, nil, err
	}
	return w.views(e)
}

func (w *legacyWriter) views(e *event.Event) (*event.Event, *event.Event, error) {
	if err := w.enter.Reset(w.ebuf); err != nil {
		return nil, nil, fmt.Errorf("legacy enter of %s: %w", e.Name(), err)
	}
	if err := w.exit.Reset(w.xbuf); err != nil {
		return nil, nil, fmt.Errorf("legacy exit of %s: %w", e.Name(), err)
	}
	w.enter.Num, w.enter.CPU, w.enter.DumpFlags = e.Num, e.CPU, e.DumpFlags
	w.exit.Num, w.exit.CPU, w.exit.DumpFlags = e.Num, e.CPU, e.DumpFlags
	return &w.enter, &w.exit, nil
}

// legacyGeneric gives a generic event whose syscall code sysdig 0.29.3
// does not know the code 0 (unknown), as the drivers of its time did:
// 0.29.3 indexes its syscall table with the code unchecked and crashes
// on larger ones. The native number stays in the event. The event's
// bytes are changed in place; the returned value puts them back.
func legacyGeneric(e *event.Event) genericCode {
	if e.Type() != genericExit || e.NumParams() < 1 {
		return genericCode{}
	}
	p := e.Param(0)
	if len(p.Raw) != 2 || int(p.Uint()) < len(event.Legacy().Syscalls) {
		return genericCode{}
	}
	saved := genericCode{set: true, b: [2]byte{p.Raw[0], p.Raw[1]}}
	p.Raw[0], p.Raw[1] = 0, 0
	return saved
}

// genericCode is the syscall code of a generic event before
// legacyGeneric changed it.
type genericCode struct {
	set bool
	b   [2]byte
}

// undo puts the code back into e.
func (g genericCode) undo(e *event.Event) {
	if g.set {
		p := e.Param(0)
		p.Raw[0], p.Raw[1] = g.b[0], g.b[1]
	}
}

// legacyKnows reports whether sysdig 0.29.3 knows event type t.
func legacyKnows(t event.Type) bool {
	info := event.Legacy().Lookup(t)
	return info != nil && info.Known()
}

// genericExit is the code of the generic syscall exit event.
const genericExit event.Type = 1
