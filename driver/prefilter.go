package driver

// Prefilter is what a live probe checks, in the kernel, before it sends
// an event: the part of the loaded rules' conditions the kernel can decide
// from what it has at hand. It is conservative by construction: an event
// that some rule may match, or that the host model needs, is sent; only
// events that no rule can match are dropped (and counted). The zero value
// filters nothing.
type Prefilter struct {
	// Open filters the events of the open family (open, openat, openat2,
	// creat); nil sends every one.
	Open *OpenFilter
}

// OpenFilter says which opens may match a rule. An open is sent when:
//
//   - it failed and Failed is set (a rule may match a failed open);
//   - it succeeded and opened a directory (the model needs directory fds
//     to resolve the paths of the *at system calls);
//   - it is an open for writing (O_WRONLY, O_RDWR, O_CREAT or O_TRUNC)
//     and WriteAll is set, or its path is in Write;
//   - its path is in Any.
//
// The path is the one the model gives fd.name: the path argument when it
// is absolute and plain: only bytes 0x21 to 0x7e (the model strips or
// replaces the others), no "//" and no "./" (the model drops a '.' before
// a '/'), not ending in '.' or '/' (the model drops those); a plain
// relative path joined to its directory's path as the model knows it
// (the directory fd's name when it was opened, or the working
// directory). An open whose path is not plain is sent: the model cleans
// it lexically, the kernel's path follows symbolic links. creat is an
// open for writing.
type OpenFilter struct {
	Failed   bool
	WriteAll bool
	Any      PathSet
	Write    PathSet
}

// PathSet is a set of absolute paths, given by prefix or by file name.
type PathSet struct {
	// Prefixes: a path is in the set when it starts with one of them
	// ("/etc/" holds everything below /etc; "/etc/shadow" holds
	// /etc/shadow and /etc/shadow-).
	Prefixes []string
	// Names: a path is in the set when its last component is one of
	// them ("id_rsa" holds /root/.ssh/id_rsa).
	Names []string
}

// Empty reports whether the set holds no path.
func (s *PathSet) Empty() bool { return len(s.Prefixes) == 0 && len(s.Names) == 0 }

// Union returns a pre-filter that sends every event p or q sends: while
// rules are swapped, the probe filters with the union of the old and the
// new, so that neither misses an event.
func (p Prefilter) Union(q Prefilter) Prefilter {
	if p.Open == nil || q.Open == nil {
		return Prefilter{}
	}
	a, b := p.Open, q.Open
	return Prefilter{Open: &OpenFilter{
		Failed:   a.Failed || b.Failed,
		WriteAll: a.WriteAll || b.WriteAll,
		Any:      a.Any.union(b.Any),
		Write:    a.Write.union(b.Write),
	}}
}

func (s PathSet) union(t PathSet) PathSet {
	return PathSet{
		Prefixes: append(append([]string{}, s.Prefixes...), t.Prefixes...),
		Names:    append(append([]string{}, s.Names...), t.Names...),
	}
}
