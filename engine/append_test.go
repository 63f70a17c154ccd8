package engine

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// TestAppendOutput checks Falco's append_output: the extra text of every
// entry that matches a rule (by source, tags and name) is appended to its
// output; extra fields go to the output fields only, a named field typed
// as in the outputs, a name with a format as text.
func TestAppendOutput(t *testing.T) {
	src := `
- rule: Open etc
  desc: d
  condition: evt.type = openat and fd.name startswith /etc
  output: opened %fd.name
  priority: WARNING
  tags: [filesystem, test]
- rule: Other
  desc: d
  condition: evt.type = close
  output: closed
  priority: NOTICE
`
	spec, ds := rules.LoadBytes("r.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	o := DefaultOptions()
	o.Hostname = "h"
	o.AppendOutput = []AppendOutput{
		{ExtraOutput: "pid=%proc.pid"},
		{Tags: []string{"filesystem", "test"}, ExtraOutput: "(tagged)", ExtraFields: []ExtraField{{Name: "proc.pid"}, {Name: "who", Format: "%proc.name on %evt.hostname"}}},
		{Rule: "Other", ExtraOutput: "never here"},
		{Tags: []string{"missing"}, ExtraFields: []ExtraField{{Name: "proc.ppid"}}},
	}
	eng, cds := Compile(spec, o)
	if cds.HasErrors() {
		t.Fatal(cds)
	}
	st := state.FromSection(&scap.Section{Threads: []scap.Thread{{TID: 7, PID: 7, PTID: 1, Comm: "cat", Exe: "cat", ExePath: "/bin/cat", FDLimit: 1024}}})
	var e event.Event
	if err := e.Reset(evtest.MustRecord(event.Current(), 1e9, 7, 307, map[string]any{"fd": 3, "dirfd": -100, "name": "/etc/passwd", "flags": 1, "mode": 0, "dev": 0})); err != nil {
		t.Fatal(err)
	}
	st.Apply(&e)
	fc := field.NewContext(st)
	fc.Resolver = st
	fc.Hostname = "h"
	fc.Observe(&e)
	alerts := eng.Process(fc, nil)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	a := alerts[0]
	if want := "Warning opened /etc/passwd pid=7 (tagged)"; len(a.Output) < len(want) || a.Output[len(a.Output)-len(want):] != want {
		t.Errorf("output %q, want it to end with %q", a.Output, want)
	}
	if want := `{"evt.time":1000000000,"fd.name":"/etc/passwd","proc.pid":7,"who":"cat on h"}`; string(a.OutputFields) != want {
		t.Errorf("output fields\n got %s\nwant %s", a.OutputFields, want)
	}
}
