package scap

import (
	"github.com/kestrel-sec/kestrel/event"
)

// enterSplitter rebuilds, from an exit event of the current model (which
// carries every parameter), the enter event of the classic model, for
// capture files read by sysdig 0.29.3, whose model takes a syscall's fd
// or arguments from its enter event (close, bind, connect, socket…). The
// enter is built in a reused buffer: it is valid until the next call.
type enterSplitter struct {
	buf   []byte
	vals  [][]byte
	ev    event.Event
	plans []enterPlan // by exit type, built on first use
}

// enterPlan is how to build the enter event of one exit type: for each
// parameter of the enter event, the index of the exit's parameter of the
// same name (-1: none, the value is empty). enter is nil when the exit
// type has no enter event with parameters.
type enterPlan struct {
	built bool
	enter *event.Info
	from  []int
}

// plan returns the plan of exit type t.
func (s *enterSplitter) plan(t event.Type, exit *event.Info) *enterPlan {
	if int(t) >= len(s.plans) {
		s.plans = append(s.plans, make([]enterPlan, int(t)+1-len(s.plans))...)
	}
	p := &s.plans[t]
	if p.built {
		return p
	}
	p.built = true
	info := event.Current().Lookup(t - 1)
	if exit == nil || info == nil || !info.Known() || len(info.Params) == 0 {
		return p
	}
	p.enter = info
	for _, pi := range info.Params {
		j := -1
		for k := range exit.Params {
			if exit.Params[k].Name == pi.Name {
				j = k
				break
			}
		}
		p.from = append(p.from, j)
	}
	return p
}

// enterOf returns the enter event matching exit e, or nil when e is not
// an exit or its enter event has no parameters.
func (s *enterSplitter) enterOf(e *event.Event) *event.Event {
	t := e.Type()
	if t.IsEnter() {
		return nil
	}
	p := s.plan(t, e.Info())
	if p.enter == nil {
		return nil
	}
	s.vals = s.vals[:0]
	for _, j := range p.from {
		var v []byte
		if j >= 0 && j < e.NumParams() {
			v = e.Param(j).Raw
		}
		s.vals = append(s.vals, v)
	}
	var err error
	s.buf, err = event.AppendRecord(s.buf[:0], e.TS(), e.TID(), t-1, s.vals...)
	if err != nil || s.ev.Reset(s.buf) != nil {
		return nil
	}
	s.ev.Num, s.ev.CPU, s.ev.DumpFlags = e.Num, e.CPU, e.DumpFlags
	return &s.ev
}
