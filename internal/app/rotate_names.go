package app

import (
	"strconv"
	"strings"
	"time"
)

// rotationNames names the files of a rotated capture the way sysdig
// does:
//
//   - -G with a '%' in the -w name: the name is the -w name formatted by
//     strftime(3) at the start of the file's period, in local time;
//   - otherwise, with -C or -G: the -w name followed by the file's index,
//     from 0; with -C and -W, zero-padded to the number of digits of -W;
//   - -G with a time format and -C: the formatted name followed by the
//     index.
//
// With -W the index goes back to 0 after -W files and the names are used
// again, which overwrites the oldest file; when the names come from the
// time, the file that held an index before is removed instead.
type rotationNames struct {
	base    string
	timeFmt bool // names come from the time (-G and a '%' in base)
	counter bool // names end with the index
	width   int  // digits of the index
	limit   int  // -W (0: no limit)
	loc     *time.Location
	index   int
	past    []string // with timeFmt and limit: the name each index had
}

func newRotationNames(base string, o RotateOptions) *rotationNames {
	n := &rotationNames{base: base, limit: o.Files, loc: o.Location}
	if n.loc == nil {
		n.loc = time.Local
	}
	n.timeFmt = o.Seconds > 0 && strings.Contains(base, "%")
	n.counter = !n.timeFmt || o.Size > 0
	if o.Files > 0 && o.Size > 0 {
		n.width = len(strconv.Itoa(o.Files))
	}
	if o.Files > 0 && n.timeFmt {
		n.past = make([]string, o.Files)
	}
	return n
}

// next returns the name of the next file, which starts at t, and the name
// of a file to remove first ("" for none).
func (n *rotationNames) next(t time.Time) (name, remove string) {
	if n.limit > 0 && n.index >= n.limit {
		n.index = 0
	}
	var b []byte
	if n.timeFmt {
		b = appendStrftime(b, n.base, t.In(n.loc))
	} else {
		b = append(b, n.base...)
	}
	if n.counter {
		b = pad(b, n.index, n.width, '0')
	}
	name = string(b)
	if n.past != nil {
		if old := n.past[n.index]; old != name {
			remove = old
		}
		n.past[n.index] = name
	}
	n.index++
	return name, remove
}
