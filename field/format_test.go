package field

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/state"
)

func testContext(t *testing.T) *Context {
	t.Helper()
	// open exit of /etc/passwd by thread 42, at 2018-08-17 17:35:48.514632619 UTC.
	rec := evtest.MustRecord(event.Legacy(), 1534527348514632619, 42, 3, map[string]any{
		"fd": 3, "name": "/etc/passwd", "flags": 4097, "mode": 0, "dev": 0x803})
	var e event.Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	e.Num, e.CPU = 7, 1
	c := NewContext(state.New())
	c.Location = time.UTC
	c.Observe(&e)
	return c
}

func TestFormatText(t *testing.T) {
	reg := Default()
	c := testContext(t)
	for _, tc := range []struct{ format, want string }{
		{"%evt.num %evt.type %evt.dir %evt.cpu %thread.tid", "7 open < 1 42"},
		{"%evt.time|%evt.time.s|%evt.datetime|%evt.datetime.s", "17:35:48.514632619|17:35:48|2018-08-17 17:35:48.514632619|2018-08-17 17:35:48"},
		{"%evt.time.iso8601", "2018-08-17T17:35:48.514632619+0000"},
		{"%evt.rawtime %evt.rawtime.s %evt.rawtime.ns", "1534527348514632619 1534527348 514632619"},
		{"%evt.reltime %evt.deltatime %evt.deltatime.ns", "000000000 0 000000000"},
		{"%evt.args", "fd=3 name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 "},
		{"100%% %evt.num", "100% 7"},
		{"no fields", "no fields"},
	} {
		f, err := reg.CompileFormat(tc.format)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		got, ok := f.AppendText(nil, c)
		if !ok || string(got) != tc.want {
			t.Errorf("%q: got %q (ok=%v), want %q", tc.format, got, ok, tc.want)
		}
	}
}

func TestFormatMissingField(t *testing.T) {
	reg := Default()
	c := testContext(t) // thread 42 is not in the (empty) state: proc.name has no value
	f, _ := reg.CompileFormat("%evt.num %proc.name")
	if got, ok := f.AppendText(nil, c); ok {
		t.Errorf("line printed without '*': %q", got)
	}
	f, _ = reg.CompileFormat("*%evt.num %proc.name")
	if got, ok := f.AppendText(nil, c); !ok || string(got) != "7 <NA>" {
		t.Errorf("with '*': %q ok=%v", got, ok)
	}
	if got, ok := f.AppendJSON(nil, c); !ok || string(got) != `{"evt.num":7,"proc.name":null}` {
		t.Errorf("JSON with '*': %s ok=%v", got, ok)
	}
}

func TestFormatJSON(t *testing.T) {
	reg := Default()
	c := testContext(t)
	f, err := reg.CompileFormat("%evt.type %evt.num %evt.time %evt.rawtime.ns %evt.args %evt.num")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := f.AppendJSON(nil, c)
	want := `{"evt.args":"fd=3 name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ","evt.num":7,"evt.rawtime.ns":514632619,"evt.time":1534527348514632619,"evt.type":"open"}`
	if !ok || string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestJSONEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          `"plain"`,
		"q\"b\\":         `"q\"b\\"`,
		"\n\t\r\x01\x7f": `"\n\t\r\u0001\u007f"`,
		"é":              `"é"`,
		"\xff":           `"\u00ff"`,
	} {
		if got := string(appendJSONBytes(nil, []byte(in))); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func TestFormatErrors(t *testing.T) {
	reg := Default()
	for _, tc := range []struct{ format, want string }{
		{"%evt.num %nope", "column 10: unknown field \"nope\"\n  %evt.num %nope\n           ^"},
		{"*%proc.nam", "column 2: unknown field \"proc.nam\"\n  *%proc.nam\n   ^"},
		{"%", "column 1: unknown field \"\"\n  %\n  ^"},
	} {
		_, err := reg.CompileFormat(tc.format)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got error\n%v\nwant\n%s", tc.format, err, tc.want)
		}
	}
}

func TestMatchLongestName(t *testing.T) {
	reg := Default()
	d, _, n, err := reg.Match("evt.time.s rest")
	if err != nil || d.Name != "evt.time.s" || n != len("evt.time.s") {
		t.Fatalf("got %v %d %v", d, n, err)
	}
	// A name followed by more dotted text that is no field still matches
	// the known prefix, as sysdig does ("%evt.type.x" prints evt.type then ".x").
	d, _, n, err = reg.Match("evt.type.x")
	if err != nil || d.Name != "evt.type" || n != len("evt.type") {
		t.Fatalf("got %v %d %v", d, n, err)
	}
}

func TestRegistry(t *testing.T) {
	if _, err := NewRegistry([]Def{{Name: "a", Text: rawTime}}, []Def{{Name: "a", Text: rawTime}}); err == nil ||
		!strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate accepted: %v", err)
	}
	if _, err := NewRegistry([]Def{{Name: "b"}}); err == nil {
		t.Error("field without extractor accepted")
	}
	all := Default().All()
	for i := 1; i < len(all); i++ {
		if all[i-1].Name >= all[i].Name {
			t.Fatalf("All not sorted at %s", all[i].Name)
		}
	}
	for _, d := range all {
		if d.Desc == "" {
			t.Errorf("%s has no description", d.Name)
		}
	}
}

func BenchmarkFormatText(b *testing.B) {
	reg := Default()
	c := testContext(&testing.T{})
	f, _ := reg.CompileFormat("%evt.num %evt.time %evt.cpu %thread.tid %evt.dir %evt.type %evt.args")
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = f.AppendText(buf[:0], c)
	}
}

func TestGenericEventType(t *testing.T) {
	reg := Default()
	f, _ := reg.CompileFormat("%evt.type")
	for id, want := range map[uint16]string{0: "<unknown>", 140: "", 292: "llseek"} {
		rec, err := event.AppendRecord(nil, 1, 1, 1, binary.LittleEndian.AppendUint16(nil, id))
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		e.Reset(rec)
		c := NewContext(nil)
		c.Observe(&e)
		got, _ := f.AppendText(nil, c)
		if want == "" {
			want = event.SyscallDisplayName(id)
		}
		if string(got) != want {
			t.Errorf("generic event with ID %d: %q, want %q", id, got, want)
		}
	}
}

// TestFormatWidth checks %N placeholders as libsinsp prints them: the
// value cut to N bytes or padded with blanks, <NA> included; JSON keys
// without the width.
func TestFormatWidth(t *testing.T) {
	reg := Default()
	c := testContext(t)
	for _, tc := range []struct{ format, want string }{
		{"[%10evt.type]", "[open      ]"},
		{"[%2evt.type]", "[op]"},
		{"[%0evt.type]", "[open]"},
		{"[%4evt.num]", "[7   ]"},
		{"*[%6proc.name]", "[<NA>  ]"},
		{"*[%2proc.name]", "[<N]"},
		{"[%3toupper(evt.type)]", "[OPE]"},
		{"[%6tolower(evt.type)]", "[open  ]"},
	} {
		f, err := reg.CompileFormat(tc.format)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		if got, ok := f.AppendText(nil, c); !ok || string(got) != tc.want {
			t.Errorf("%q: got %q (ok=%v), want %q", tc.format, got, ok, tc.want)
		}
	}
	f, _ := reg.CompileFormat("%10evt.type %3evt.num")
	if got, _ := f.AppendJSON(nil, c); string(got) != `{"evt.num":7,"evt.type":"open"}` {
		t.Errorf("JSON: %s", got)
	}
}

// TestFormatTransformers checks transformer placeholders: the text holds
// the transformed value; the JSON keys, as Falco's output fields and
// sysdig's -j, are those of the fields inside, not the transformer's.
func TestFormatTransformers(t *testing.T) {
	reg := Default()
	c := testContext(t)
	for _, tc := range []struct{ format, want, json string }{
		{"%toupper(evt.type)", "OPEN", `{"evt.type":"open"}`},
		{"%tolower(toupper(evt.arg.name))", "/etc/passwd", `{"evt.arg.name":"/etc/passwd"}`},
		{"%toupper( evt.type ) end", "OPEN end", `{"evt.type":"open"}`},
		{"%basename(evt.arg.name)", "passwd", `{"evt.arg.name":"/etc/passwd"}`},
		{"%b64(\"aGVsbG8=\")", "hello", `{}`},
		{`%concat(evt.type, ":", evt.arg.name)`, "open:/etc/passwd", `{"evt.arg.name":"/etc/passwd","evt.type":"open"}`},
		{`%join("->", (evt.type, evt.arg.name, evt.num))`, "open->/etc/passwd->7", `{"evt.arg.name":"/etc/passwd","evt.num":7,"evt.type":"open"}`},
		{`%toupper(join("->", (concat(evt.type, evt.arg.name), evt.type)))`, "OPEN/ETC/PASSWD->OPEN", `{"evt.arg.name":"/etc/passwd","evt.type":"open"}`},
		{`%getopt(("-n", "-t", "x", "y"), "nt:")`, "(n,t,x)", `{}`},
		{`%getopt(("-n", "-t", "x"), "nt:")[t]!`, "x!", `{}`},
		{`%getopt(("a"), "n")`, "()", `{}`},
		{`%tolower(evt.arg[1])`, "/etc/passwd", `{"evt.arg[1]":"/etc/passwd"}`},
		// libsinsp prints a length with the print format of the field it
		// measures, which text fields lack: <NA>.
		{`*%len(evt.arg.name)|%len(("a", "b"))`, "<NA>|<NA>", `{"evt.arg.name":"/etc/passwd"}`},
	} {
		f, err := reg.CompileFormat(tc.format)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		if got, ok := f.AppendText(nil, c); !ok || string(got) != tc.want {
			t.Errorf("%q: got %q (ok=%v), want %q", tc.format, got, ok, tc.want)
		}
		if got, _ := f.AppendJSON(nil, c); string(got) != tc.json {
			t.Errorf("%q: JSON %s, want %s", tc.format, got, tc.json)
		}
	}
	// Without '*', a value the event does not give drops the line.
	f, _ := reg.CompileFormat("%evt.type %len(evt.arg.name)")
	if got, ok := f.AppendText(nil, c); ok {
		t.Errorf("line printed: %q", got)
	}
}

func TestFormatTransformerErrors(t *testing.T) {
	reg := Default()
	for _, tc := range []struct{ format, want string }{
		{"x %5", "column 3: formatting cannot end with a number\n  x %5\n    ^"},
		{"%99999999proc.name", "column 1: width 99999999 is too large: at most 65536\n  %99999999proc.name\n  ^"},
		{"%toupper(evt.num)", "column 1: toupper() applies to text, and evt.num is numeric\n  %toupper(evt.num)\n  ^"},
		{"%toupper (evt.type)", "column 1: unknown field \"toupper\"\n  %toupper (evt.type)\n  ^"},
		{"%(evt.type)", "column 1: unknown field \"\"\n  %(evt.type)\n  ^"},
		{"%val(evt.type)", "column 1: unknown field \"val\"\n  %val(evt.type)\n  ^"},
		{"%toupper(evt.type", "column 1: expected \",\" or \")\" after an argument of toupper(, found the end\n  %toupper(evt.type\n  ^"},
		{"%toupper(tolower)", "column 1: expected a field, a transformer, a quoted string, a number or a list inside toupper(), found \"tolower\"\n  %toupper(tolower)\n  ^"},
		{"%tolower(evt.nope)", "column 1: unknown field \"evt.nope\"\n  %tolower(evt.nope)\n  ^"},
	} {
		_, err := reg.CompileFormat(tc.format)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got error\n%v\nwant\n%s", tc.format, err, tc.want)
		}
	}
}

// FuzzFormat checks that compiling a format never panics, that an error
// points inside the format, and that a compiled format prints without
// panicking.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{
		"%evt.num %proc.name", "*%10proc.name|%2evt.type", `%join(",", (evt.type, evt.arg.name, 1.5))`,
		`%getopt(("-n", "-t", evt.arg.name), ":t:")[t] %len(())`, `%toupper(concat(evt.type, "\t", basename(evt.arg.name)))`,
		`%b64("aGVsbG8") %tolower(("A", evt.type)) %%`, "%5", "%tolower(", "%getopt((), \"\")[\"\"]",
	} {
		f.Add(s)
	}
	reg := Default()
	c := testContext(&testing.T{})
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := reg.CompileFormat(s)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Col < 1 || fe.Col > len(s) {
				t.Fatalf("%q: error %v outside the format", s, err)
			}
			return
		}
		fm.AppendText(nil, c)
		fm.AppendJSON(nil, c)
	})
}
