package field

// absPathArgs returns the names of the dirfd and path parameters that
// evt.abspath joins for an event (schema enum without PPME_), for the
// source (which 1) or destination (which 2) path; 0 means the default.
func absPathArgs(enum string, which int) (dirfd, path string) {
	switch enum {
	case "SYSCALL_RENAMEAT_X", "SYSCALL_RENAMEAT2_X":
		if which == 2 {
			return "newdirfd", "newpath"
		}
		return "olddirfd", "oldpath"
	case "SYSCALL_SYMLINKAT_X":
		return "linkdirfd", "linkpath"
	case "SYSCALL_OPENAT_E", "SYSCALL_OPENAT_2_X", "SYSCALL_OPENAT2_X":
		return "dirfd", "name"
	case "SYSCALL_LINKAT_E", "SYSCALL_LINKAT_2_X":
		if which == 2 {
			return "newdir", "newpath"
		}
		return "olddir", "oldpath"
	case "SYSCALL_UNLINKAT_E", "SYSCALL_UNLINKAT_2_X":
		return "dirfd", "name"
	case "SYSCALL_MKDIRAT_X":
		return "dirfd", "path"
	case "SYSCALL_FCHMODAT_X":
		return "dirfd", "filename"
	}
	return "", ""
}

// absPath extracts evt.abspath, evt.abspath.src and evt.abspath.dst.
func absPath(d []byte, c *Context, a *Arg) ([]byte, bool) {
	which := 0
	if a != nil {
		switch a.Text {
		case "src":
			which = 1
		case "dst":
			which = 2
		default:
			return d, false
		}
	}
	e := c.Event
	info := displayInfo(e)
	if info == nil || c.Thread() == nil || c.Resolver == nil {
		return d, false
	}
	dirArg, pathArg := absPathArgs(info.Enum, which)
	if dirArg == "" {
		return d, false
	}
	dp, _, ok1 := paramNamed(e, dirArg)
	pp, _, ok2 := paramNamed(e, pathArg)
	if !ok1 || !ok2 || len(dp.Raw) < 8 {
		return d, false
	}
	dirfd := dp.Int()
	path := pp.Bytes()
	if len(path) > 0 && path[0] == '/' {
		dirfd = -100 // an absolute path ignores the directory
	} else if dirfd != -100 {
		if t := c.Thread(); t.FDs() == nil || t.FDs().Get(dirfd) == nil {
			d = append(d, "<UNKNOWN>/"...)
		}
	}
	out, _ := c.Resolver.AppendPath(d, e, dirfd, path)
	return out, true
}
