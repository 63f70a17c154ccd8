package state

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
)

// The State is the [event.Resolver] of the events applied to it: it gives
// the text sysdig 0.29.3 prints in parentheses, from the model as it is
// after the event was applied.
var _ event.Resolver = (*State)(nil)

// AppendFD appends "<tc>name" for an fd of the event thread's table: the
// type character, the protocol character of inet sockets whose role is
// known, and the fd's name with non-printable bytes left out.
func (s *State) AppendFD(dst []byte, e *event.Event, fd int64) ([]byte, bool) {
	th := s.Thread(e.TID())
	if th == nil {
		return dst, false
	}
	f := th.fdt.Get(fd)
	if f == nil {
		return dst, false
	}
	dst = append(dst, '<', f.TypeChar())
	if c := f.L4Char(); c != 0 {
		dst = append(dst, c)
	}
	dst = append(dst, '>')
	return appendSanitized(dst, f.Name), true
}

// AppendPID appends the name of thread pid, when the model knows it.
func (s *State) AppendPID(dst []byte, _ *event.Event, pid int64) ([]byte, bool) {
	t := s.threads[pid]
	if t == nil {
		return dst, false
	}
	return append(dst, t.Comm...), true
}

// AppendUser appends the name of user uid, or "<NA>".
func (s *State) AppendUser(dst []byte, _ *event.Event, uid uint32) ([]byte, bool) {
	if n, ok := s.users[uid]; ok {
		return appendSanitized(dst, n), true
	}
	return append(dst, unknownName...), true
}

// AppendGroup appends the name of group gid, or "<NA>".
func (s *State) AppendGroup(dst []byte, _ *event.Event, gid uint32) ([]byte, bool) {
	if n, ok := s.groups[gid]; ok {
		return appendSanitized(dst, n), true
	}
	return append(dst, unknownName...), true
}

// AppendPath appends the absolute form of a relative path: joined to the
// working directory of the event's process, or to the path of directory fd
// dirfd ("" when the model does not know the fd, as sysdig reading a
// capture).
func (s *State) AppendPath(dst []byte, e *event.Event, dirfd int64, path []byte) ([]byte, bool) {
	th := s.Thread(e.TID())
	if th == nil {
		return dst, false
	}
	base := th.Cwd()
	if dirfd != -100 {
		base = ""
		if f := th.fdt.Get(dirfd); f != nil && f.Name != "" {
			s.buf = appendSanitized(s.buf[:0], f.Name)
			s.buf = append(s.buf, '/')
			base = string(s.buf)
		}
	}
	return appendJoin(dst, base, path), true
}

// FDTypeChar returns the type character of an fd of the event thread's
// table, or '?'.
func (s *State) FDTypeChar(e *event.Event, fd int64) byte {
	th := s.Thread(e.TID())
	if th == nil {
		return '?'
	}
	if f := th.fdt.Get(fd); f != nil {
		return f.TypeChar()
	}
	return '?'
}

// String returns a short description of an fd, as sysdig's lsof-like
// views show it: "<tc>name".
func (f *FD) String() string {
	b := []byte{'<', f.TypeChar()}
	if c := f.L4Char(); c != 0 {
		b = append(b, c)
	}
	b = append(b, '>')
	b = appendSanitized(b, f.Name)
	return strconv.Itoa(int(f.Num)) + string(b)
}
