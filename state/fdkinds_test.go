package state

import (
	"testing"

	"github.com/kestrel-sec/kestrel/scap"
)

// Event codes of the current table used below.
const (
	unshareX      = 285
	epollCreate1X = 377
	memfdCreateX  = 405
	pidfdOpenX    = 409
)

func TestFDKinds(t *testing.T) {
	st := seeded(t)
	st.applyCurrent(100, memfdCreateX, map[string]any{"fd": 7, "name": "payload", "flags": 1})
	st.applyCurrent(100, epollCreate1X, map[string]any{"res": 8, "flags": 0})
	st.applyCurrent(100, pidfdOpenX, map[string]any{"fd": 9, "pid": 1, "flags": 0})
	st.applyCurrent(100, memfdCreateX, map[string]any{"fd": -24, "name": "failed", "flags": 1})
	fds := st.s.Thread(100).FDs()
	for fd, want := range map[int64]struct {
		typ  uint8
		char byte
		name string
	}{7: {scap.FDMemFD, 'm', "payload"}, 8: {scap.FDEventPoll, 'l', ""}, 9: {scap.FDPidFD, 'P', ""}} {
		f := fds.Get(fd)
		if f == nil {
			t.Errorf("fd %d not in the table", fd)
			continue
		}
		if f.Type != want.typ || f.TypeChar() != want.char || f.Name != want.name {
			t.Errorf("fd %d: type %d %q name %q, want %d %q %q", fd, f.Type, f.TypeChar(), f.Name, want.typ, want.char, want.name)
		}
	}
	if fds.Get(-24) != nil {
		t.Error("a failed memfd_create added an fd")
	}
}

func TestUnshareUserNamespaceCaps(t *testing.T) {
	st := seeded(t)
	th := st.s.Thread(100)
	th.CapEffective = 0
	st.applyCurrent(100, unshareX, map[string]any{"res": 0, "flags": 1 << 17}) // CLONE_NEWNS only
	if th.CapEffective != 0 {
		t.Fatalf("unshare without CLONE_NEWUSER gave caps %x", th.CapEffective)
	}
	st.applyCurrent(100, unshareX, map[string]any{"res": -1, "flags": cloneNewUser})
	if th.CapEffective != 0 {
		t.Fatalf("a failed unshare gave caps %x", th.CapEffective)
	}
	st.applyCurrent(100, unshareX, map[string]any{"res": 0, "flags": cloneNewUser})
	if th.CapEffective != allCaps || th.CapPermitted != allCaps {
		t.Fatalf("unshare(CLONE_NEWUSER): caps %x %x, want all", th.CapEffective, th.CapPermitted)
	}
}
