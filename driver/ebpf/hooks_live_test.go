//go:build linux && amd64

package ebpf_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// envHooks, set to "syscall", has the live tests open the probe with
// per-syscall hooks (TestPerSyscallHooksLive runs them so); by default
// they test the raw tracepoint.
const envHooks = "KESTREL_TEST_HOOKS"

func perSyscallHooks() bool { return os.Getenv(envHooks) == "syscall" }

// exitProgram is the program that catches syscall exits in the mode the
// tests run in.
func exitProgram() string {
	if perSyscallHooks() {
		return "on_syscall_exit"
	}
	return "on_sys_exit"
}

// unhooked reports whether the syscall name is one the probe does not
// report in the mode the tests run in: with per-syscall hooks, those
// without an exit tracepoint (those the kernel does not implement).
func unhooked(name string) bool {
	return perSyscallHooks() && ebpf.IsSyscall(name) && !ebpf.SyscallTracepoint(name)
}

// openLive opens the probe with o in the mode the tests run in, and
// fails when the per-syscall mode was asked for and not used.
func openLive(tb testing.TB, o ebpf.Options) (*ebpf.Probe, error) {
	tb.Helper()
	if perSyscallHooks() {
		o.Hooks = ebpf.HooksPerSyscall
	}
	p, err := ebpf.Open(o)
	if err != nil {
		return nil, err
	}
	if on, why := p.PerSyscallHooks(); perSyscallHooks() && !on {
		p.Close()
		tb.Fatalf("per-syscall hooks asked for, not used: %v", why)
	}
	return p, nil
}

// tracefsMounted reports whether tracefs is mounted where the probe
// looks for it.
func tracefsMounted() bool {
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) == nil && st.Type == 0x74726163 {
			return true
		}
	}
	return false
}

// TestPerSyscallHooksLive runs the package's live tests again with the
// probe on the syscalls' own exit tracepoints. It mounts tracefs at
// /sys/kernel/tracing for them when it is not mounted (and unmounts it
// after): Kestrel never does, the test setup may. It skips when tracefs
// cannot be had, but for CI=true.
func TestPerSyscallHooksLive(t *testing.T) {
	if perSyscallHooks() {
		t.Skip("runs the others")
	}
	ebpftest.Live(t)
	if !tracefsMounted() {
		const dir = "/sys/kernel/tracing"
		if err := unix.Mount("nodev", dir, "tracefs", 0, ""); err != nil {
			testenv.Missing(t, "tracefs (mounting it at "+dir+": "+err.Error()+")")
		}
		t.Cleanup(func() {
			if err := unix.Unmount(dir, 0); err != nil {
				t.Errorf("unmounting tracefs: %v", err)
			}
		})
	}
	if !ebpf.SyscallTracepoint("openat") {
		testenv.Missing(t, "the syscalls/sys_exit_openat tracepoint")
	}
	args := []string{"-test.run=^Test", "-test.count=1"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envHooks+"=syscall")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	text := string(out)
	if testing.Verbose() || err != nil {
		t.Logf("the live tests with per-syscall hooks:\n%s", text)
	}
	if err != nil {
		t.Fatalf("the live tests with per-syscall hooks failed: %v", err)
	}
	if !strings.Contains(text, "PASS") {
		t.Fatalf("no PASS from the live tests with per-syscall hooks:\n%s", text)
	}
}
