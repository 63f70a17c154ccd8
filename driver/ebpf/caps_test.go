//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver"
)

// set returns the capability set holding caps.
func set(caps ...int) uint64 {
	var s uint64
	for _, c := range caps {
		s |= 1 << c
	}
	return s
}

// minimal is the set Kestrel needs on a kernel with memcg accounting.
var minimal = set(unix.CAP_BPF, unix.CAP_PERFMON, unix.CAP_SYS_PTRACE, unix.CAP_DAC_READ_SEARCH)

func TestCapsError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		eff     uint64
		memlock bool
		missing string // "" when the set is enough
	}{
		{"root", ^uint64(0) >> (63 - unix.CAP_LAST_CAP), false, ""},
		{"root without CAP_SYS_RESOURCE", (^uint64(0) >> (63 - unix.CAP_LAST_CAP)) &^ set(unix.CAP_SYS_RESOURCE), false, ""},
		{"minimal", minimal, false, ""},
		{"none", 0, false, "CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH"},
		{"no bpf", minimal &^ set(unix.CAP_BPF), false, "CAP_BPF"},
		{"no perfmon", minimal &^ set(unix.CAP_PERFMON), false, "CAP_PERFMON"},
		{"no ptrace", minimal &^ set(unix.CAP_SYS_PTRACE), false, "CAP_SYS_PTRACE"},
		{"no dac_read_search", minimal &^ set(unix.CAP_DAC_READ_SEARCH), false, "CAP_DAC_READ_SEARCH"},
		{"perfmon and ptrace", set(unix.CAP_BPF, unix.CAP_DAC_READ_SEARCH), false, "CAP_PERFMON, CAP_SYS_PTRACE"},
		{"sys_admin for bpf and perfmon", set(unix.CAP_SYS_ADMIN, unix.CAP_SYS_PTRACE, unix.CAP_DAC_READ_SEARCH), false, ""},
		{"dac_override for dac_read_search", set(unix.CAP_BPF, unix.CAP_PERFMON, unix.CAP_SYS_PTRACE, unix.CAP_DAC_OVERRIDE), false, ""},
		{"old kernel", minimal, true, "CAP_SYS_RESOURCE"},
		{"old kernel, all", minimal | set(unix.CAP_SYS_RESOURCE), true, ""},
		{"unrelated caps", set(unix.CAP_NET_ADMIN, unix.CAP_CHOWN, unix.CAP_SETUID), false, "CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := capsError(tc.eff, neededCaps(tc.memlock))
			if tc.missing == "" {
				if err != nil {
					t.Fatalf("error %q, want none", err)
				}
				return
			}
			if !errors.Is(err, driver.ErrNotRoot) {
				t.Fatalf("error %v does not wrap driver.ErrNotRoot", err)
			}
			want := "live capture needs capabilities this process lacks: " + tc.missing + " ("
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q\nwant it to start with %q", err, want)
			}
			setcap := "setcap cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search+ep"
			if tc.memlock {
				setcap = "setcap cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search,cap_sys_resource+ep"
			}
			for _, s := range []string{"run as root", "packaging/systemd/kestrel.service", setcap} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestNeededCapsShared checks that adding CAP_SYS_RESOURCE leaves the
// shared list alone.
func TestNeededCapsShared(t *testing.T) {
	_ = neededCaps(true)
	if got := neededCaps(false); len(got) != 4 {
		t.Fatalf("needed caps on a recent kernel: %d, want 4", len(got))
	}
	if got := neededCaps(true); len(got) != 5 || got[4].cap != unix.CAP_SYS_RESOURCE {
		t.Fatalf("needed caps on an old kernel: %v", got)
	}
}

func TestNeedsMemlock(t *testing.T) {
	const limited = 8 << 20
	for _, tc := range []struct {
		release string
		max     uint64
		want    bool
	}{
		{"6.18.44-fc-v1272", limited, false},
		{"6.1.0-18-amd64", limited, false},
		{"5.11.0", limited, false},
		{"5.10.0-28-amd64", limited, true},
		{"5.8.0", limited, true},
		{"4.19.0-26-amd64", limited, true},
		{"5.10.0-28-amd64", unix.RLIM_INFINITY, false},
		{"5.10", limited, true},
		{"", limited, false},
		{"weird", limited, false},
		{"x.y", limited, false},
	} {
		if got := needsMemlock(tc.release, tc.max); got != tc.want {
			t.Errorf("needsMemlock(%q, %d) = %v, want %v", tc.release, tc.max, got, tc.want)
		}
	}
}

func TestKernelVersion(t *testing.T) {
	for _, tc := range []struct {
		release      string
		major, minor int
		ok           bool
	}{
		{"6.18.44-fc-v1272", 6, 18, true},
		{"5.10.0-28-amd64", 5, 10, true},
		{"6.8", 6, 8, true},
		{"6.8-rc1", 6, 8, true},
		{"6", 0, 0, false},
		{"a.b", 0, 0, false},
	} {
		major, minor, ok := kernelVersion(tc.release)
		if ok != tc.ok || ok && (major != tc.major || minor != tc.minor) {
			t.Errorf("kernelVersion(%q) = %d, %d, %v; want %d, %d, %v", tc.release, major, minor, ok, tc.major, tc.minor, tc.ok)
		}
	}
}

// parseCapEff returns the effective set from the text of /proc/PID/status
// (its CapEff line, in hexadecimal).
func parseCapEff(status string) (uint64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		v, ok := strings.CutPrefix(line, "CapEff:")
		if !ok {
			continue
		}
		eff, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("capeff %q: %w", strings.TrimSpace(v), err)
		}
		return eff, nil
	}
	return 0, errors.New("no capeff line in the status")
}

// TestEffectiveCaps compares the set capget gives with the kernel's
// account of the thread in /proc, whoever runs the test.
func TestEffectiveCaps(t *testing.T) {
	got, err := effectiveCaps()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	want, err := parseCapEff(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("effective caps %#x, /proc says %#x", got, want)
	}
	if os.Geteuid() != 0 && got == 0 {
		if err := checkCaps(); !errors.Is(err, driver.ErrNotRoot) {
			t.Errorf("checkCaps without capabilities: %v, want driver.ErrNotRoot", err)
		}
	}
}

func TestParseCapEff(t *testing.T) {
	status := "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t000000c000080004\nCapEff:\t000000c000080004\nCapBnd:\t000001fffeffffff\n"
	got, err := parseCapEff(status)
	if err != nil || got != minimal {
		t.Errorf("parseCapEff = %#x, %v; want %#x", got, err, minimal)
	}
	if _, err := parseCapEff("Name:\tcat\n"); err == nil {
		t.Error("no CapEff line: no error")
	}
	if _, err := parseCapEff("CapEff:\tzz\n"); err == nil {
		t.Error("bad CapEff: no error")
	}
}

func TestCapNames(t *testing.T) {
	for c, want := range map[int]string{unix.CAP_BPF: "CAP_BPF", unix.CAP_PERFMON: "CAP_PERFMON", unix.CAP_SYS_PTRACE: "CAP_SYS_PTRACE", unix.CAP_DAC_READ_SEARCH: "CAP_DAC_READ_SEARCH", unix.CAP_SYS_RESOURCE: "CAP_SYS_RESOURCE", unix.CAP_CHOWN: "capability 0"} {
		if got := capName(c); got != want {
			t.Errorf("capName(%d) = %q, want %q", c, got, want)
		}
	}
}
