package k8saudit

import "github.com/kestrel-sec/kestrel/source/jsonsrc"

// strList is a list of text values in one buffer.
type strList struct {
	buf  []byte
	ends []int
}

func (l *strList) reset() { l.buf, l.ends = l.buf[:0], l.ends[:0] }

func (l *strList) len() int { return len(l.ends) }

func (l *strList) at(i int) []byte {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return l.buf[start:l.ends[i]]
}

// add appends a JSON value as the k8saudit plugin gives it: a string's
// content, anything else as compact JSON.
func (l *strList) add(v jsonsrc.Value) {
	l.buf = v.AppendText(l.buf)
	l.ends = append(l.ends, len(l.buf))
}

func (l *strList) addBytes(b []byte) {
	l.buf = append(l.buf, b...)
	l.ends = append(l.ends, len(l.buf))
}

// listCache keeps the values of the list field read last for the current
// event, so that reading its values one by one costs one extraction.
type listCache struct {
	name  string
	idx   int
	ok    bool
	valid bool
	vals  strList
	// scratch holds the JSON values a path walk finds.
	scratch []jsonsrc.Value
}

func (c *listCache) reset() { c.valid = false }

// listFill computes a list field: it appends the values to out and
// reports whether the field has a value. idx is the index argument, or
// -1 for all.
type listFill func(e *Event, idx int, out *strList) bool

// list returns the values of the list field called name for index idx.
func (e *Event) list(name string, idx int, fill listFill) (*strList, bool) {
	c := &e.lists
	if c.valid && c.name == name && c.idx == idx {
		return &c.vals, c.ok
	}
	c.vals.reset()
	c.ok = fill(e, idx, &c.vals) && c.vals.len() > 0
	c.name, c.idx, c.valid = name, idx, true
	return &c.vals, c.ok
}

// walk collects the values at path below v into out, as the k8saudit
// plugin walks: an array met before a key is expanded (only its idx-th
// element when idx >= 0), and an element that lacks the rest of the path
// contributes a missing value. It reports false when nothing is there: a
// key missing outside an expanded array, or idx past an array's end.
func walk(v jsonsrc.Value, path []string, idx int, out *[]jsonsrc.Value) bool {
	for i, k := range path {
		if v.Kind() == jsonsrc.Array {
			if idx >= 0 {
				v = v.Index(idx)
				if !v.Exists() {
					return false
				}
			} else {
				it := v.Iter()
				for {
					_, el, ok := it.Next()
					if !ok {
						return true
					}
					if !walk(el, path[i:], idx, out) {
						*out = append(*out, jsonsrc.Value{})
					}
				}
			}
		}
		v = v.Get(k)
		if !v.Exists() {
			return false
		}
	}
	*out = append(*out, v)
	return true
}

// values walks path from the event's root into the event's scratch list.
func (e *Event) values(idx int, path ...string) ([]jsonsrc.Value, bool) {
	s := e.lists.scratch[:0]
	ok := walk(e.root(), path, idx, &s)
	e.lists.scratch = s
	return s, ok
}
