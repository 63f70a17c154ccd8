package field

import (
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// The fs.path.* fields (current Falco) name the filesystem paths a
// successful syscall acted on: fs.path.name for syscalls on one path
// (mkdir, unlink, open, chmod…), fs.path.source and fs.path.target for
// those on two (rename, link, symlink, mount). The plain fields are
// absolute, joined to the working directory or directory fd as the
// syscall would; the raw ones are the paths as given.

// fsRole says which path of a syscall a field names.
type fsRole uint8

const (
	fsName fsRole = iota
	fsSource
	fsTarget
)

// fsPathParam describes where an exit event keeps one of its paths.
type fsPathParam struct {
	param string // the parameter holding the path; "" for the event's fd name
	dirfd string // the parameter holding the directory fd, if any
	// unknownDir: a relative path is joined to "<UNKNOWN>" (symlinkat's
	// target), as Falco does.
	unknownDir bool
}

// fsPaths returns where event name keeps the path of the given role.
func fsPaths(name string, role fsRole) (fsPathParam, bool) {
	switch role {
	case fsName:
		switch name {
		case "mkdir", "rmdir", "unlink", "chown", "lchown":
			return fsPathParam{param: "path"}, true
		case "mkdirat":
			return fsPathParam{param: "path", dirfd: "dirfd"}, true
		case "unlinkat":
			return fsPathParam{param: "name", dirfd: "dirfd"}, true
		case "open", "openat", "openat2", "umount", "umount2":
			return fsPathParam{param: "name"}, true
		case "chmod":
			return fsPathParam{param: "filename"}, true
		case "fchmodat":
			return fsPathParam{param: "filename", dirfd: "dirfd"}, true
		case "fchownat":
			return fsPathParam{param: "pathname", dirfd: "dirfd"}, true
		case "fchmod", "fchown":
			return fsPathParam{}, true
		case "quotactl":
			return fsPathParam{param: "special"}, true
		}
	case fsSource:
		switch name {
		case "rename", "renameat":
			return fsPathParam{param: "oldpath"}, true
		case "renameat2":
			return fsPathParam{param: "oldpath", dirfd: "olddirfd"}, true
		case "link", "linkat":
			return fsPathParam{param: "newpath"}, true
		case "symlink":
			return fsPathParam{param: "linkpath"}, true
		case "symlinkat":
			return fsPathParam{param: "linkpath", dirfd: "linkdirfd"}, true
		case "mount":
			return fsPathParam{param: "dev"}, true
		}
	case fsTarget:
		switch name {
		case "rename", "renameat":
			return fsPathParam{param: "newpath"}, true
		case "renameat2":
			return fsPathParam{param: "newpath", dirfd: "newdirfd"}, true
		case "link", "linkat":
			return fsPathParam{param: "oldpath"}, true
		case "symlink":
			return fsPathParam{param: "target"}, true
		case "symlinkat":
			return fsPathParam{param: "target", unknownDir: true}, true
		case "mount":
			return fsPathParam{param: "dir"}, true
		}
	}
	return fsPathParam{}, false
}

func fsFields() []Def {
	return []Def{
		fsField("fs.path.name", "absolute path a successful filesystem syscall acted on", fsName, false),
		fsField("fs.path.nameraw", "path a successful filesystem syscall acted on, as given", fsName, true),
		fsField("fs.path.source", "absolute source path of a successful rename, link, symlink or mount", fsSource, false),
		fsField("fs.path.sourceraw", "source path of a successful rename, link, symlink or mount, as given", fsSource, true),
		fsField("fs.path.target", "absolute target path of a successful rename, link, symlink or mount", fsTarget, false),
		fsField("fs.path.targetraw", "target path of a successful rename, link, symlink or mount, as given", fsTarget, true),
	}
}

func fsField(name, desc string, role fsRole, raw bool) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) { return fsPath(d, c, role, raw) })
}

// fsPath appends the path of the given role of the current event.
func fsPath(d []byte, c *Context, role fsRole, raw bool) ([]byte, bool) {
	e := c.Event
	if e.Type().IsEnter() {
		return d, false
	}
	info := e.Info()
	where, ok := fsPaths(info.Name, role)
	if !ok || !fsSucceeded(e, info.Name) {
		return d, false
	}
	if where.param == "" { // fchmod, fchown: the fd's name
		f, _, ok := fdOfEvent(c)
		if !ok || f == nil {
			return d, false
		}
		return fdSane(d, f.Name), true
	}
	p, ok := e.ParamByName(where.param)
	if !ok {
		return d, false
	}
	path := fdCstr(p.Raw)
	if raw {
		return fdSaneBytes(d, path), true
	}
	th := c.Thread()
	if th == nil {
		return d, false
	}
	base := ""
	if len(path) == 0 || path[0] != '/' {
		switch {
		case info.Name == "openat" || info.Name == "openat2":
			// The opened file's name is already absolute.
			if f, _, ok := fdOfEvent(c); ok && f != nil {
				return fdSane(d, f.Name), true
			}
			return append(d, "<UNKNOWN>"...), true
		case where.unknownDir:
			base = "<UNKNOWN>"
		case where.dirfd != "":
			base = fsDirBase(c, e, where.dirfd)
		default:
			base = th.Cwd()
		}
	}
	start := len(d)
	d = state.JoinPath(d, base, path)
	return fdSaneBytes(d[:start], d[start:]), true
}

// fsDirBase returns the directory a path relative to the event's dirfd
// parameter is joined to: the working directory for AT_FDCWD, the
// directory fd's path with a trailing '/', or "<UNKNOWN>".
func fsDirBase(c *Context, e *event.Event, param string) string {
	p, ok := e.ParamByName(param)
	if !ok {
		return "<UNKNOWN>"
	}
	th := c.Thread()
	if p.Int() == -100 {
		return th.Cwd()
	}
	f := th.FDs().Get(p.Int())
	if f == nil || !f.IsDir() {
		return "<UNKNOWN>"
	}
	if f.Name == "" || f.Name[len(f.Name)-1] == '/' {
		return f.Name
	}
	return f.Name + "/"
}

// fsSucceeded applies Falco's success test: res is 0 (for opens, the fd
// is not -1).
func fsSucceeded(e *event.Event, name string) bool {
	switch name {
	case "open", "openat", "openat2":
		p, ok := e.ParamByName("fd")
		return ok && !p.Empty() && p.Int() != -1
	}
	p, ok := e.ParamByName("res")
	return ok && !p.Empty() && p.Int() == 0
}
