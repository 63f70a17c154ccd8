package app

import (
	"github.com/kestrel-sec/kestrel/event"
)

// enterSplitter rebuilds, from an exit event of the current model (which
// carries every parameter), the enter event of the classic model, for
// capture files read by sysdig 0.29.3, whose model takes a syscall's fd
// or arguments from its enter event (close, bind, connect, socket…). The
// enter is built in a reused buffer: it is valid until the next call.
type enterSplitter struct {
	buf  []byte
	vals [][]byte
	ev   event.Event
}

// enterOf returns the enter event matching exit e, or nil when e is not
// an exit or its enter event has no parameters.
func (s *enterSplitter) enterOf(e *event.Event) *event.Event {
	t := e.Type()
	if t.IsEnter() {
		return nil
	}
	info := event.Current().Lookup(t - 1)
	if info == nil || !info.Known() || len(info.Params) == 0 {
		return nil
	}
	s.vals = s.vals[:0]
	for _, pi := range info.Params {
		var v []byte
		if p, ok := e.ParamByName(pi.Name); ok {
			v = p.Raw
		}
		s.vals = append(s.vals, v)
	}
	var err error
	s.buf, err = event.AppendRecord(s.buf[:0], e.TS(), e.TID(), t-1, s.vals...)
	if err != nil || s.ev.Reset(s.buf) != nil {
		return nil
	}
	s.ev.Num, s.ev.CPU = e.Num, e.CPU
	return &s.ev
}
