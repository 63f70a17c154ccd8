package state

import "github.com/kestrel-sec/kestrel/event"

// The two event models. Classic producers (sysdig 0.29.3's drivers and
// the captures of their time) emit an enter and an exit event per
// syscall, the fd and most arguments in the enter. Current producers
// (Kestrel's probe, current Falco) emit the exit alone, carrying every
// parameter the enter had, under the same names. The handlers of this
// package are written against the classic model; an exit that comes
// without its enter is first applied as its enter would have been, its
// values taken from the exit itself (exitAsEnter), and the handlers read
// the enter's arguments through argsOf.

// noteEnter keeps what the model needs to know of an enter event: the
// exit it announces, and whether the stream is of the classic model.
// Events sysdig does not parse as a syscall's enter (scheduler switches
// and the like, see noteEnterFD) leave the pending exit.
func (s *State) noteEnter(e *event.Event, th *Thread, info *event.Info) {
	if info.Flags&event.FlagOldVersion != 0 {
		s.classic = true
	}
	if fdFlags(e)&event.FlagSkipParseReset != 0 || info.Name == "switch" {
		return
	}
	th.pendingExit = e.Type() + 1
}

// exitAsEnter applies what the enter event of exit e would have done,
// for an exit whose enter the model did not see: the thread's last fd
// becomes the fd the exit reports for the enter (as noteEnterFD sets it),
// and a connect records its destination. An exit that does not carry the
// value (a classic exit whose enter was lost, or one left empty) leaves
// the last fd as it is, as sysdig 0.29.3 does.
func (s *State) exitAsEnter(e *event.Event, th *Thread, name string) {
	et := e.Type() - 1
	en := event.Current().Lookup(et)
	if en == nil || !en.Known() {
		return
	}
	fl := fdFlagsOf(et)
	if fl&event.FlagSkipParseReset != 0 {
		return
	}
	switch {
	case fl&event.FlagUsesFD != 0 && len(en.Params) > 0:
		key := exitFDParam(name, en.Params[0].Name)
		if fd, ok := paramInt(e, key); ok {
			th.lastFD = fd
		} else if !s.classic && paramIndexOf(e.Info(), key) < 0 {
			th.lastFD = -1 // the exit never carries it: its enter had none
		}
	case !s.classic:
		th.lastFD = -1 // an enter without an fd resets it
	}
	if name == "connect" {
		if a, ok := e.ParamByName("addr"); ok && !a.Empty() {
			s.connectEnter(e, th)
		}
	}
}

// exitFDParam returns the name under which the exit of syscall name
// carries the fd its enter event called enterName.
func exitFDParam(name, enterName string) string {
	switch name {
	case "dup", "dup2", "dup3":
		return "oldfd"
	}
	return enterName
}

// paramIndexOf returns the index of parameter name in a schema, or -1.
func paramIndexOf(info *event.Info, name string) int {
	if info == nil {
		return -1
	}
	for i := range info.Params {
		if info.Params[i].Name == name {
			return i
		}
	}
	return -1
}

// argsOf returns the event that holds the enter arguments of exit e: the
// saved enter event of the classic model, or else e itself, which in the
// current model carries them (a classic exit does not, and its handlers
// then find no value, as when the enter was lost).
func (s *State) argsOf(e *event.Event, th *Thread) *event.Event {
	if en := s.enterOf(e, th); en != nil {
		return en
	}
	return e
}
