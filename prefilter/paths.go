package prefilter

import "strings"

// pathKind is how a path constraint describes the paths it holds.
type pathKind uint8

const (
	pathPrefix pathKind = iota // paths that start with s
	pathExact                  // the path s
	pathDir                    // paths whose fd.directory is s
	pathName                   // paths whose last component is s
)

// pathElem is a set of paths a check allows: what fd.name, fd.directory
// or fd.filename compared with a value says of a succeeded open's path.
type pathElem struct {
	kind pathKind
	s    string
}

// newPath returns the constraint, or false when it does not narrow the
// paths the kernel sees: a path the model gives a succeeded open is
// absolute, so a value that is not names nothing the kernel can check.
func newPath(kind pathKind, s string) (pathElem, bool) {
	switch kind {
	case pathName:
		if s == "" || strings.Contains(s, "/") {
			return pathElem{}, false
		}
	default:
		if !strings.HasPrefix(s, "/") {
			return pathElem{}, false
		}
	}
	return pathElem{kind, s}, true
}

// kernelPrefix is the prefix the kernel tests for a prefix, exact path
// or directory: a superset of the paths the constraint holds.
func (p pathElem) kernelPrefix() string {
	if p.kind == pathDir {
		return dirPrefix(p.s)
	}
	return p.s
}

// dirPrefix is the prefix of every path whose fd.directory is d.
func dirPrefix(d string) string {
	if strings.HasSuffix(d, "/") {
		return d
	}
	return d + "/"
}

func (p pathElem) String() string {
	switch p.kind {
	case pathExact:
		return p.s
	case pathDir:
		return dirPrefix(p.s) + "*"
	case pathName:
		return "*/" + p.s
	}
	return p.s + "*"
}

// holds reports whether the path is in the set, as the model's fields
// compute fd.directory and fd.filename.
func (p pathElem) holds(path string) bool {
	switch p.kind {
	case pathExact:
		return path == p.s
	case pathDir:
		return dirOf(path) == p.s
	case pathName:
		return nameOf(path) == p.s
	}
	return strings.HasPrefix(path, p.s)
}

// dirOf is fd.directory of a file: the path up to its last '/', "/" when
// that is the first byte, the whole path when it ends with '/'.
func dirOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	switch {
	case i <= 0:
		return "/"
	case i < len(path)-1:
		return path[:i]
	}
	return path
}

// nameOf is fd.filename of a file: what follows the last '/'.
func nameOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	switch {
	case i < 0:
		return "/"
	case i < len(path)-1:
		return path[i+1:]
	}
	return path
}

// meet returns a set holding the intersection of a and b, false when it
// is empty. The result may be larger than the intersection (never
// smaller) where the kernel's terms cannot say both.
func meet(a, b pathElem) (pathElem, bool) {
	if a.kind > b.kind {
		a, b = b, a
	}
	switch {
	case a.kind == pathExact:
		return a, b.holds(a.s)
	case b.kind == pathExact:
		return b, a.holds(b.s)
	case a.kind == b.kind && a.kind != pathPrefix:
		return a, a.s == b.s
	}
	switch {
	case a.kind == pathPrefix && b.kind == pathPrefix:
		return longerPrefix(a.s, b.s)
	case a.kind == pathPrefix && b.kind == pathDir:
		return prefixAndDir(a.s, b.s)
	case a.kind == pathDir && b.kind == pathName:
		if strings.HasSuffix(a.s, "/") {
			return a, true
		}
		return pathElem{pathExact, dirPrefix(a.s) + b.s}, true
	}
	// A prefix and a name: the kernel tests one term; the name is
	// usually the narrower.
	return b, true
}

func longerPrefix(p, q string) (pathElem, bool) {
	switch {
	case strings.HasPrefix(p, q):
		return pathElem{pathPrefix, p}, true
	case strings.HasPrefix(q, p):
		return pathElem{pathPrefix, q}, true
	}
	return pathElem{}, false
}

// prefixAndDir intersects the paths starting with p and those in
// directory d.
func prefixAndDir(p, d string) (pathElem, bool) {
	kp := dirPrefix(d)
	switch {
	case strings.HasPrefix(kp, p):
		return pathElem{pathDir, d}, true
	case strings.HasPrefix(p, kp):
		return pathElem{pathPrefix, p}, true
	}
	return pathElem{}, false
}
