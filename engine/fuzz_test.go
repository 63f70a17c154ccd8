package engine

import (
	"testing"

	"github.com/kestrel-sec/kestrel/rules"
)

// FuzzCompile compiles arbitrary rules files: lists pasted into
// conditions as text, macros and exceptions must never make the compiler
// fail other than with located diagnostics.
func FuzzCompile(f *testing.F) {
	f.Add([]byte(testLists + rule("r", "proc.name in (two, one) and proc.name = one or named")))
	f.Add([]byte("- list: l\n  items: [\"a b\", 'c', d]\n- list: m\n  items: [l, e]\n- macro: x\n  condition: fd.name in (m) or l\n" + rule("r", "x and proc.name = l")))
	f.Add([]byte("- macro: a\n  condition: b\n- macro: b\n  condition: a\n" + rule("r", "a")))
	f.Add([]byte("- list: evt.type\n  items: [open]\n" + rule("r", "evt.type = evt.type")))
	f.Fuzz(func(t *testing.T, src []byte) {
		spec, ds := rules.LoadBytes("f.yaml", src)
		_, cds := Compile(spec, DefaultOptions())
		_ = append(ds, cds...).String()
	})
}
