//go:build linux && amd64

package ebpf_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
)

// openProbe opens the probe on the open family of this process's
// syscalls, with a reader that takes and drops the events.
func openProbe(tb testing.TB, pf driver.Prefilter) *ebpf.Probe {
	tb.Helper()
	ebpftest.Live(tb)
	p, err := openLive(tb, ebpf.Options{Syscalls: []string{"open", "openat", "openat2", "creat"}, IncludeSelf: true, Prefilter: pf})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := p.Next(ctx); err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		cancel()
		p.Close()
	})
	return p
}

// openClose opens and closes dirfd's file name (dirfd may be AT_FDCWD).
func openClose(tb testing.TB, dirfd int, name string) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	unix.Close(fd)
}

// TestMeasureRuns checks that the kernel's run-time statistics count the
// runs of the probe's programs while asked to.
func TestMeasureRuns(t *testing.T) {
	p := openProbe(t, driver.Prefilter{})
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	runs, err := p.MeasureRuns(func() {
		for range n {
			openClose(t, unix.AT_FDCWD, file)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		t.Logf("%-12s %8d runs, %v each", r.Program, r.Runs, r.PerRun())
		if r.Program == exitProgram() && (r.Runs < 2*n || r.Time <= 0) {
			t.Errorf("%s: %d runs in %v, want %d or more", r.Program, r.Runs, r.Time, 2*n)
		}
	}
}

// BenchmarkOpenPrefilter measures, with the kernel's run-time statistics,
// the sys_exit program per open of a file, along the pre-filter's paths:
// no filter (sent), a filter that keeps the open (plain path; relative
// path, walked) and one that sends it. The files are closed with
// close_range, which the probe does not select: its run, counted in,
// ends at the selection check (with per-syscall hooks, KESTREL_TEST_HOOKS=
// syscall and tracefs mounted, there is none).
func BenchmarkOpenPrefilter(b *testing.B) {
	dir, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(dirfd)
	keep := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{"/nowhere/"}, Names: []string{"nothing"}}}}
	send := driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{dir + "/"}}}}
	for _, c := range []struct {
		name  string
		pf    driver.Prefilter
		dirfd int
		path  string
	}{
		{"unfiltered", driver.Prefilter{}, unix.AT_FDCWD, file},
		{"kept/absolute", keep, unix.AT_FDCWD, file},
		{"kept/relative", keep, dirfd, "f"},
		{"kept/none", driver.Prefilter{Open: &driver.OpenFilter{}}, unix.AT_FDCWD, file},
		{"kept/prefix", driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: []string{"/nowhere/"}}}}, unix.AT_FDCWD, file},
		{"kept/name", driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Names: []string{"nothing"}}}}, unix.AT_FDCWD, file},
		{"sent/absolute", send, unix.AT_FDCWD, file},
		{"sent/relative", send, dirfd, "f"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := openProbe(b, c.pf)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			runs, err := p.MeasureRuns(func() {
				for b.Loop() {
					fd, err := unix.Openat(c.dirfd, c.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
					if err != nil {
						b.Fatal(err)
					}
					unix.CloseRange(uint(fd), uint(fd), 0)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range runs {
				if r.Program == exitProgram() && b.N > 0 {
					b.ReportMetric(float64(r.Time.Nanoseconds())/float64(b.N), "probe-ns/open")
					b.ReportMetric(float64(r.Runs)/float64(b.N), "runs/open")
				}
			}
		})
	}
}
