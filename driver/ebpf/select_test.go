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
