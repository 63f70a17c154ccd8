package filter

import "github.com/kestrel-sec/kestrel/field"

// Cache shares the text values of fields between the checks, and the
// programs, compiled with it: when many rules test proc.name or fd.name,
// each event extracts them once. Values are kept for the event that
// [field.Context.Seq] numbers; a Cache serves one event stream, owned by
// one goroutine.
//
// A Cache also keeps what compiling derives from the rules: each macro
// compiled once, by name, and the sets built from each list. Programs
// compiled with one Cache must therefore share one set of macros and
// lists (one engine's).
type Cache struct {
	slots  map[string]*slot
	macros map[string]*macroEntry
	parts  map[partKey]any
}

// macroEntry is a macro compiled once: its closure, the event types it
// holds for, its size in checks and what compiling it found.
type macroEntry struct {
	state uint8
	eval  evalFn
	ti    typeInfo
	size  int
	errs  Errors
	warns Errors
}

// The states of a macroEntry.
const (
	macroNew uint8 = iota
	macroCompiling
	macroDone
)

// macro returns the entry of the macro called name.
func (k *Cache) macro(name string) *macroEntry {
	e := k.macros[name]
	if e == nil {
		e = &macroEntry{}
		k.macros[name] = e
	}
	return e
}

type slot struct {
	seq uint64
	ok  bool
	buf []byte
}

// NewCache returns an empty Cache.
func NewCache() *Cache {
	return &Cache{slots: map[string]*slot{}, macros: map[string]*macroEntry{}, parts: map[partKey]any{}}
}

// slot returns the slot of a field expression.
func (k *Cache) slot(key string) *slot {
	s := k.slots[key]
	if s == nil {
		s = &slot{}
		k.slots[key] = s
	}
	return s
}

// cachedView returns a function giving text's value for the current
// event, extracted once per event. Contexts that have observed no event
// (Seq 0) are not cached.
func cachedView(s *slot, text func([]byte, *field.Context) ([]byte, bool)) func(*field.Context) ([]byte, bool) {
	var scratch []byte
	return func(c *field.Context) ([]byte, bool) {
		if c == nil || c.Seq() == 0 {
			var ok bool
			scratch, ok = text(scratch[:0], c)
			return scratch, ok
		}
		if seq := c.Seq(); s.seq != seq {
			s.buf, s.ok = text(s.buf[:0], c)
			s.seq = seq
		}
		return s.buf, s.ok
	}
}
