package field

import (
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/state"
)

// Builders of the common kinds of field. Each sets Text from one value
// function, and Num where the value is a number, so that -p formats and
// filters read the same value.

// numField defines a field whose value is a signed number.
func numField(name string, t event.ParamType, desc string, v func(c *Context) (int64, bool)) Def {
	return Def{Name: name, Type: t, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
			n, ok := v(c)
			if !ok {
				return d, false
			}
			return strconv.AppendInt(d, n, 10), true
		},
		Num: func(c *Context, _ *Arg) (int64, bool) { return v(c) },
	}
}

// uintField defines a field whose value is an unsigned number.
func uintField(name string, t event.ParamType, desc string, v func(c *Context) (uint64, bool)) Def {
	return Def{Name: name, Type: t, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
			n, ok := v(c)
			if !ok {
				return d, false
			}
			return strconv.AppendUint(d, n, 10), true
		},
		Num: func(c *Context, _ *Arg) (int64, bool) {
			n, ok := v(c)
			return int64(n), ok
		},
	}
}

// boolField defines a field whose value is true or false.
func boolField(name, desc string, v func(c *Context) (bool, bool)) Def {
	return Def{Name: name, Type: event.PTBool, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) {
			b, ok := v(c)
			if !ok {
				return d, false
			}
			return strconv.AppendBool(d, b), true
		},
		Num: func(c *Context, _ *Arg) (int64, bool) {
			b, ok := v(c)
			if b {
				return 1, ok
			}
			return 0, ok
		},
	}
}

// strField defines a field whose value is text.
func strField(name, desc string, v func(d []byte, c *Context) ([]byte, bool)) Def {
	return Def{Name: name, Type: event.PTCharBuf, Desc: desc,
		Text: func(d []byte, c *Context, _ *Arg) ([]byte, bool) { return v(d, c) }}
}

// threadStr defines a text field of the event's thread; the field has no
// value when the model does not know the thread.
func threadStr(name, desc string, v func(d []byte, c *Context, t *state.Thread) ([]byte, bool)) Def {
	return strField(name, desc, func(d []byte, c *Context) ([]byte, bool) {
		t := c.Thread()
		if t == nil {
			return d, false
		}
		return v(d, c, t)
	})
}

// threadNum defines a numeric field of the event's thread.
func threadNum(name string, typ event.ParamType, desc string, v func(c *Context, t *state.Thread) (int64, bool)) Def {
	return numField(name, typ, desc, func(c *Context) (int64, bool) {
		t := c.Thread()
		if t == nil {
			return 0, false
		}
		return v(c, t)
	})
}
