package filter

import (
	"testing"
	"unicode/utf8"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/evtest"
)

// FuzzParse checks that parsing never panics, that a failed parse reports
// errors inside the input, and that the canonical form of a successful
// parse parses back to the same canonical form.
func FuzzParse(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.in)
	}
	for _, tc := range errorCases {
		f.Add(tc.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		x, err := Parse(src)
		if err != nil {
			checkErrors(t, src, err.(Errors))
			return
		}
		canon := x.String()
		y, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, src, err)
		}
		if again := y.String(); again != canon {
			t.Fatalf("canonical form %q of %q prints as %q", canon, src, again)
		}
	})
}

func checkErrors(t *testing.T, src string, es Errors) {
	if len(es) == 0 {
		t.Fatalf("Parse(%q) failed with no errors", src)
	}
	for _, e := range es {
		if e.Pos.Offset < 0 || e.Pos.Offset > len(src) || e.Pos.Line < 1 || e.Pos.Column < 1 {
			t.Fatalf("Parse(%q): error outside the input: %+v", src, e)
		}
		// +2: Source drops a line's trailing "\r", which the column counts.
		if utf8.ValidString(src) && e.Pos.Column > utf8.RuneCountInString(e.Source)+2 {
			t.Fatalf("Parse(%q): column past the line: %+v", src, e)
		}
		_ = e.String()
	}
}

// FuzzCompile checks that checking and compiling never panic, that a
// rejected filter reports errors inside the input, and that a compiled
// filter evaluates on an event without panicking.
func FuzzCompile(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.in)
	}
	f.Add(`proc.name in (bash, sh) and fd.sip = 10.0.0.0/8 and not evt.rawarg.size > 3`)
	f.Add(`tolower(proc.name) = val(proc.pname) or len(fd.name) > 3 or fd.name pmatch (/etc)`)
	var cur *sample
	reg := testRegistry(&cur)
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 1, 1, 3, map[string]any{"fd": 3, "name": "/x", "flags": 1, "mode": 0, "dev": 0})); err != nil {
		f.Fatal(err)
	}
	c := &field.Context{Event: &ev}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src, Options{Fields: reg})
		if err != nil {
			if es, ok := err.(Errors); ok {
				checkErrors(t, src, es)
			}
			return
		}
		s := sample{s: "x", path: "/etc/passwd", m: []string{"a"}}
		cur = &s
		p.Match(c)
	})
}
