package scap

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
)

// An exit of the current model gives the enter of the classic model, its
// parameters taken by name.
func TestEnterSplitter(t *testing.T) {
	raw := evtest.MustRecord(event.Current(), 5, 42, 23, map[string]any{ // connect exit
		"res": int64(0), "tuple": []byte{}, "fd": int64(7), "addr": []byte{2, 127, 0, 0, 1, 0x50, 0},
	})
	var e event.Event
	if err := e.Reset(raw); err != nil {
		t.Fatal(err)
	}
	var s enterSplitter
	en := s.enterOf(&e)
	if en == nil {
		t.Fatal("no enter event")
	}
	if en.Type() != 22 || en.TS() != 5 || en.TID() != 42 || en.NumParams() != 2 {
		t.Fatalf("enter type %d ts %d tid %d with %d parameters", en.Type(), en.TS(), en.TID(), en.NumParams())
	}
	if got := string(event.AppendArgs(nil, en, nil)); got != "fd=7 addr=127.0.0.1:80 " {
		t.Errorf("enter arguments %q", got)
	}
	if s.enterOf(en) != nil {
		t.Error("an enter event gave an enter")
	}
}
