package event

import (
	"encoding/binary"
	"testing"
)

func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func mustRecord(t *testing.T, ts uint64, tid int64, typ Type, vals ...[]byte) *Event {
	t.Helper()
	rec, err := AppendRecord(nil, ts, tid, typ, vals...)
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	return &e
}

func TestCanonicalizerMergesReadEnterIntoExit(t *testing.T) {
	const readE, readX = Type(6), Type(7) // read: enter {fd, size}, exit {res, data} + (fd, size)
	if currentSchema.Lookup(readE).Name != "read" || len(currentSchema.Lookup(readX).Params) != 4 {
		t.Fatalf("unexpected read schema: %+v", currentSchema.Lookup(readX))
	}
	var c Canonicalizer
	enter := mustRecord(t, 100, 42, readE, u64(3), u32(512))
	if _, ok, err := c.Apply(enter); ok || err != nil {
		t.Fatalf("enter event not absorbed: ok=%v err=%v", ok, err)
	}
	// An unrelated thread in between must not disturb the pairing.
	other := mustRecord(t, 101, 7, readE, u64(9), u32(1))
	if _, ok, _ := c.Apply(other); ok {
		t.Fatal("enter of another thread not absorbed")
	}
	exit := mustRecord(t, 150, 42, readX, u64(5), []byte("hello"))
	exit.Num = 17
	out, ok, err := c.Apply(exit)
	if !ok || err != nil {
		t.Fatalf("exit: ok=%v err=%v", ok, err)
	}
	if out.NumParams() != 4 || out.Num != 17 || out.TS() != 150 || out.TID() != 42 {
		t.Fatalf("merged event: %d params, num %d, ts %d, tid %d", out.NumParams(), out.Num, out.TS(), out.TID())
	}
	if fd, _ := out.ParamByName("fd"); fd.Int() != 3 {
		t.Errorf("fd = %d, want 3 from the enter event", fd.Int())
	}
	if sz, _ := out.ParamByName("size"); sz.Uint() != 512 {
		t.Errorf("size = %d, want 512", sz.Uint())
	}
	if data, _ := out.ParamByName("data"); string(data.Raw) != "hello" {
		t.Errorf("data = %q", data.Raw)
	}
}

func TestCanonicalizerExitWithoutEnter(t *testing.T) {
	var c Canonicalizer
	exit := mustRecord(t, 150, 42, 7, u64(5), []byte("hello"))
	out, ok, err := c.Apply(exit)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if out.NumParams() != 4 {
		t.Fatalf("%d params, want 4", out.NumParams())
	}
	if fd, _ := out.ParamByName("fd"); !fd.Empty() {
		t.Errorf("fd without an enter event should be empty, got %x", fd.Raw)
	}
}

func TestCanonicalizerPassesCurrentModelThrough(t *testing.T) {
	var c Canonicalizer
	// An exit that already carries every parameter is handed on as it is.
	exit := mustRecord(t, 150, 42, 7, u64(5), []byte("hi"), u64(3), u32(2))
	out, ok, _ := c.Apply(exit)
	if !ok || out != exit {
		t.Fatal("complete exit event was rewritten")
	}
	// open enter (no EF_OLD_VERSION: current drivers still emit it) passes too.
	open := mustRecord(t, 1, 1, 2, []byte("/etc/passwd\x00"), u32(1), u32(0))
	if out, ok, _ := c.Apply(open); !ok || out != open {
		t.Fatal("open enter event was absorbed")
	}
	// Tracepoint events such as procexit have no exit and pass through.
	if info := currentSchema.Lookup(186); info.Name != "procexit" {
		t.Fatal("code 186 is not procexit")
	}
	pe := mustRecord(t, 2, 1, 186, u64(0), u64(0), []byte{0}, []byte{0})
	if _, ok, _ := c.Apply(pe); !ok {
		t.Fatal("procexit absorbed")
	}
}

func TestCanonicalizerBoundsPending(t *testing.T) {
	c := Canonicalizer{MaxPending: 4}
	for tid := int64(0); tid < 10; tid++ {
		c.Apply(mustRecord(t, 1, tid, 6, u64(3), u32(1)))
	}
	if len(c.pending) > 4 || c.Dropped() != 6 {
		t.Fatalf("%d pending, %d dropped; want at most 4 and 6", len(c.pending), c.Dropped())
	}
}

func BenchmarkCanonicalizer(b *testing.B) {
	enter, _ := AppendRecord(nil, 100, 42, 6, u64(3), u32(512))
	exit, _ := AppendRecord(nil, 150, 42, 7, u64(5), []byte("hello"))
	var ee, xe Event
	var c Canonicalizer
	b.ReportAllocs()
	for b.Loop() {
		ee.Reset(enter)
		xe.Reset(exit)
		c.Apply(&ee)
		if _, ok, err := c.Apply(&xe); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
