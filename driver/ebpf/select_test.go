package ebpf

import (
	"slices"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
)

func TestSyscallNumbers(t *testing.T) {
	// x86-64 numbers from the kernel's syscall table.
	nrs, err := syscallNumbers([]string{"read", "openat", "execve", "memfd_create"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{0, 257, 59, 319}; !slices.Equal(nrs, want) {
		t.Errorf("numbers %v, want %v", nrs, want)
	}
	if _, err := syscallNumbers([]string{"no_such_call"}); err == nil {
		t.Error("unknown syscall accepted")
	}
}

func TestPPMCodes(t *testing.T) {
	codes := ppmCodes()
	sc := event.Current()
	for nr, name := range map[int]string{0: "read", 257: "openat", 157: "prctl", 334: "rseq"} {
		if got := sc.SyscallName(codes[nr]); got != name {
			t.Errorf("syscall %d: code %d names %q, want %q", nr, codes[nr], got, name)
		}
	}
}

func TestSelection(t *testing.T) {
	all, err := selection(nil)
	if err != nil || slices.Contains(all, 0) {
		t.Fatalf("nil selection does not select everything: %v", err)
	}
	some, err := selection([]string{"ptrace"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ptrace", "clone", "execve", "close"} {
		nrs, _ := syscallNumbers([]string{name})
		if some[nrs[0]] == 0 {
			t.Errorf("%s not selected", name)
		}
	}
	if nrs, _ := syscallNumbers([]string{"read"}); some[nrs[0]] != 0 {
		t.Error("read selected")
	}
}

func TestRingLayout(t *testing.T) {
	for _, c := range []struct{ ncpu, asked, perRing, rings int }{
		{2, 0, 1, 2},       // a ring per CPU
		{16, 0, 1, 16},     // up to 16 rings
		{17, 0, 2, 9},      // then CPUs share them
		{96, 0, 6, 16},     // a large node: 16 rings
		{97, 0, 7, 14},     // never more than 16
		{96, 1, 1, 96},     // asked for: a ring per CPU
		{3, 2, 2, 2},       // the last ring serves fewer CPUs
		{2, 1024, 1024, 1}, // one shared ring
	} {
		per, n := ringLayout(c.ncpu, c.asked)
		if per != c.perRing || n != c.rings {
			t.Errorf("ringLayout(%d, %d) = %d per ring, %d rings; want %d, %d", c.ncpu, c.asked, per, n, c.perRing, c.rings)
		}
	}
}
