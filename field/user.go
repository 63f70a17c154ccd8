package field

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// User and group fields (user.*, group.*): the effective user and group of
// the event's thread, and its audit login user, with what the model's user
// and group tables say of them (no value for ids the tables lack).

func userFields() []Def {
	return []Def{
		threadNum("user.uid", event.PTUint32, "effective user id of the thread", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.UID), true
		}),
		threadStr("user.name", "name of the effective user", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			return appendUserName(d, c.State, t.UID)
		}),
		threadStr("user.homedir", "home directory of the effective user", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			home, _, ok := c.State.UserHome(t.UID)
			return appendKnown(d, home, ok)
		}),
		threadStr("user.shell", "login shell of the effective user", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			_, shell, ok := c.State.UserHome(t.UID)
			return appendKnown(d, shell, ok)
		}),
		threadNum("user.loginuid", event.PTInt64, "audit login user id of the thread; -1 when unset", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(int32(t.LoginUID)), true
		}),
		threadStr("user.loginname", "name of the audit login user", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			return appendUserName(d, c.State, t.LoginUID)
		}),
		threadNum("group.gid", event.PTUint32, "effective group id of the thread", func(_ *Context, t *state.Thread) (int64, bool) {
			return int64(t.GID), true
		}),
		threadStr("group.name", "name of the effective group", func(d []byte, c *Context, t *state.Thread) ([]byte, bool) {
			n, ok := c.State.Group(t.GID)
			return appendKnown(d, n, ok)
		}),
	}
}

func appendUserName(d []byte, s *state.State, uid uint32) ([]byte, bool) {
	n, ok := s.User(uid)
	return appendKnown(d, n, ok)
}

// appendKnown appends v when it is known; an unknown one has no value
// (printed <NA>, and no filter condition on it holds), as in sysdig.
func appendKnown(d []byte, v string, ok bool) ([]byte, bool) {
	if !ok {
		return d, false
	}
	return append(d, v...), true
}
