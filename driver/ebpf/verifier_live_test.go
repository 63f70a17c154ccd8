//go:build linux && amd64

package ebpf

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// Budgets of the verifier's work on each program, generous on purpose: a
// program past them is one the verifier may soon refuse (it stops at a
// million instructions processed, and at 512 bytes of stack for a
// program and the deepest chain of its calls: its bpf_loop callbacks run
// on top of its frame), so its growth needs a look before it does.
const (
	verifiedBudget = 300_000
	frameBudget    = 448 // of the program's own frame, the first in the log
)

var stackDepth = regexp.MustCompile(`stack depth ([0-9+]+)`)

// TestVerifierFigures loads the probe and logs, for each program, the
// instructions the verifier processed and the stack of each of its
// functions, so that their growth shows in review. It fails only when a
// program passes a budget.
func TestVerifierFigures(t *testing.T) {
	if err := Check(); err != nil {
		testenv.Missing(t, err.Error())
	}
	spec, err := loadProbe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := configure(spec, Options{RingSize: defaultRingSize}); err != nil {
		t.Fatal(err)
	}
	var objs probeObjects
	opts := &ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelStats}}
	if err := spec.LoadAndAssign(&objs, opts); err != nil {
		t.Fatalf("loading the probe: %+v", err)
	}
	defer objs.Close()
	progs := []struct {
		name string
		prog *ebpf.Program
	}{
		{probeProgOnSysExit, objs.OnSysExit}, {probeProgOnExec, objs.OnExec},
		{probeProgOnExit, objs.OnExit}, {probeProgOnFork, objs.OnFork},
		{probeProgOnSyscallExit, objs.OnSyscallExit},
	}
	for _, p := range progs {
		info, err := p.prog.Info()
		if err != nil {
			t.Fatal(err)
		}
		insns, ok := info.VerifiedInstructions()
		if !ok {
			t.Errorf("%s: the kernel does not say how many instructions it verified", p.name)
		}
		m := stackDepth.FindStringSubmatch(p.prog.VerifierLog)
		if m == nil {
			t.Fatalf("%s: no stack depth in the verifier's log:\n%s", p.name, p.prog.VerifierLog)
		}
		frame, _ := strconv.Atoi(strings.Split(m[1], "+")[0])
		t.Logf("%-12s %7d instructions verified; stack %s bytes (the program, then its functions)", p.name, insns, m[1])
		if insns > verifiedBudget {
			t.Errorf("%s: %d instructions verified, over the budget of %d", p.name, insns, verifiedBudget)
		}
		if frame > frameBudget {
			t.Errorf("%s: a frame of %d bytes, over the budget of %d", p.name, frame, frameBudget)
		}
	}
}
