//go:build linux && amd64

package ebpf_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/event"
)

func TestProbeWorkloadHelper(t *testing.T) {
	ebpftest.MaybeRun()
	t.Skip("runs only as the workload of the live probe tests")
}

// record is a copy of one event.
type record struct {
	raw []byte
	cpu uint16
}

// captureAll runs the workload under the probe and returns every event.
func captureAll(t *testing.T, o ebpf.Options) ([]record, ebpftest.Info, driver.Stats) {
	t.Helper()
	ebpftest.Live(t)
	return captureWith(t, o, ebpftest.Prepare(t, "TestProbeWorkloadHelper"))
}

// captureWith runs the prepared workload under the probe and returns
// every event.
func captureWith(t *testing.T, o ebpf.Options, wl *ebpftest.Workload) ([]record, ebpftest.Info, driver.Stats) {
	t.Helper()
	p, err := openLive(t, o)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []record)
	var latest atomic.Uint64 // the latest timestamp taken
	go func() {
		var recs []record
		for {
			e, err := p.Next(ctx)
			if err != nil {
				done <- recs
				return
			}
			latest.Store(max(latest.Load(), e.TS()))
			recs = append(recs, record{append([]byte(nil), e.Raw()...), e.CPU})
		}
	}()
	info := wl.Run(t)
	drained(t, p, &latest, uint64(time.Now().UnixNano()))
	cancel()
	recs := <-done
	return recs, info, p.Stats()
}

// drained waits until the events of the workload, which ended at end (ns
// since the epoch), have all been taken: when the rings and the queue are
// empty (a quiet host), or once an event some time younger than end was
// taken (a busy host, whose rings are never empty: the rings are merged
// in time order, so the workload's events came before).
func drained(t *testing.T, p *ebpf.Probe, latest *atomic.Uint64, end uint64) {
	t.Helper()
	const margin, limit = 100 * time.Millisecond, 30 * time.Second
	ebpftest.Settle()
	for start := time.Now(); p.Pending() > 0 && latest.Load() < end+uint64(margin); {
		if time.Since(start) > limit {
			t.Fatalf("events still pending %v after the workload ended", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProbeSchemas checks every record the probe sends, of every process,
// against the current schema of its type: the parameter count, and the
// width of every fixed-size value.
func TestProbeSchemas(t *testing.T) {
	recs, _, st := captureAll(t, ebpf.Options{})
	if len(recs) == 0 {
		t.Fatal("no events")
	}
	seen := map[string]int{}
	var ev event.Event
	for _, r := range recs {
		if err := ev.Reset(r.raw); err != nil {
			t.Fatalf("record does not decode: %v", err)
		}
		info := ev.Info()
		if info == nil || !info.Known() || ev.Type().IsEnter() && ev.Name() != "procexit" {
			t.Errorf("type %d (%s) is not a current exit event", ev.Type(), ev.Name())
			continue
		}
		seen[info.Name]++
		if err := checkParams(&ev, info); err != nil {
			t.Errorf("%s (type %d): %v", info.Name, ev.Type(), err)
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d events; types: %v; stats %+v", len(recs), names, st)
	for _, want := range []string{"openat", "close", "rename", "fchmodat", "memfd_create", "socket", "bind", "listen",
		"connect", "accept4", "setuid", "ptrace", "kill", "clone", "execve", "procexit", "syscall",
		"mkdir", "mkdirat", "rmdir", "symlink", "symlinkat", "link", "linkat", "chown", "lchown", "fchown",
		"fchownat", "mount", "umount2", "chroot", "mmap", "munmap", "mprotect", "read", "write", "pread",
		"pwrite", "pipe2", "fcntl", "sendto", "recvfrom", "sendmsg", "recvmsg", "bpf", "delete_module",
		"userfaultfd", "prctl", "unshare", "io_uring_setup", "pipe", "capset", "setns", "init_module",
		"finit_module"} {
		if seen[want] == 0 && !unhooked(want) {
			t.Errorf("no %s event", want)
		}
	}
	// Records too long or undecodable are the probe's faults. A full ring
	// or queue depends on the whole host's load (this test takes every
	// process's events, while other test packages run): counted and
	// reported, and checked by the tests that select their syscalls.
	if st.TooLong+st.Unreadable != 0 {
		t.Errorf("malformed records: %+v", st)
	}
	if st.RingFull+st.QueueFull != 0 {
		t.Logf("events lost to load: %+v", st)
	}
}

// fixedWidth returns the on-disk size of a fixed-size parameter type.
func fixedWidth(t event.ParamType) (int, bool) {
	switch event.TypeName(t) {
	case "INT8", "UINT8", "FLAGS8", "ENUMFLAGS8", "SIGTYPE":
		return 1, true
	case "INT16", "UINT16", "FLAGS16", "ENUMFLAGS16", "SYSCALLID", "PORT":
		return 2, true
	case "INT32", "UINT32", "FLAGS32", "ENUMFLAGS32", "UID", "GID", "MODE", "SIGSET", "BOOL":
		return 4, true
	case "INT64", "UINT64", "ERRNO", "FD", "PID", "RELTIME", "ABSTIME":
		return 8, true
	}
	return 0, false
}

func checkParams(e *event.Event, info *event.Info) error {
	if e.NumParams() != len(info.Params) {
		return fmt.Errorf("%d parameters, the schema has %d", e.NumParams(), len(info.Params))
	}
	for i, pi := range info.Params {
		p := e.Param(i)
		if w, ok := fixedWidth(pi.Type); ok && len(p.Raw) != w {
			return fmt.Errorf("parameter %d %s (%s): %d bytes, want %d", i, pi.Name, event.TypeName(pi.Type), len(p.Raw), w)
		}
		switch event.TypeName(pi.Type) {
		case "CHARBUF", "FSPATH", "FSRELPATH":
			if len(p.Raw) > 0 && p.Raw[len(p.Raw)-1] != 0 {
				return fmt.Errorf("parameter %d %s: string without its NUL", i, pi.Name)
			}
		case "DYN":
			if len(p.Raw) > 0 {
				if _, _, ok := p.Dyn(); !ok {
					return fmt.Errorf("parameter %d %s: bad dynamic value", i, pi.Name)
				}
			}
		case "SOCKTUPLE", "SOCKADDR":
			if len(p.Raw) == 0 {
				continue
			}
			if _, ok := p.SockTuple(); event.TypeName(pi.Type) == "SOCKTUPLE" && !ok && p.Raw[0] != 1 {
				return fmt.Errorf("parameter %d %s: bad tuple %x", i, pi.Name, p.Raw)
			}
		}
	}
	return nil
}

// TestProbeSelection checks that unselected syscalls stay in the kernel.
func TestProbeSelection(t *testing.T) {
	recs, _, _ := captureAll(t, ebpf.Options{Syscalls: []string{"memfd_create"}})
	var ev event.Event
	allowed := map[string]bool{"memfd_create": true, "procexit": true}
	for _, n := range ebpf.StateSyscalls() {
		allowed[n] = true
	}
	found := false
	for _, r := range recs {
		if err := ev.Reset(r.raw); err != nil {
			t.Fatal(err)
		}
		if !allowed[ev.Name()] {
			t.Fatalf("unselected %s event", ev.Name())
		}
		found = found || ev.Name() == "memfd_create"
	}
	if !found {
		t.Error("no memfd_create event")
	}
}

// TestProbeRings checks the ring layouts: a ring per CPU (the default)
// and one ring that every CPU shares. Either way the workload's events
// all come, from every CPU that sent some, in timestamp order but for
// records committed a little after a later one on another CPU.
func TestProbeRings(t *testing.T) {
	for _, per := range []int{1, 1024} {
		t.Run(fmt.Sprintf("cpus-per-ring=%d", per), func(t *testing.T) {
			recs, _, st := captureAll(t, ebpf.Options{CPUsPerRing: per})
			var ev event.Event
			var last uint64
			var worst time.Duration
			cpus := map[uint16]bool{}
			memfd := false
			for _, r := range recs {
				if err := ev.Reset(r.raw); err != nil {
					t.Fatal(err)
				}
				cpus[r.cpu] = true
				if ts := ev.TS(); ts < last {
					worst = max(worst, time.Duration(last-ts))
				} else {
					last = ts
				}
				memfd = memfd || ev.Name() == "memfd_create"
			}
			if !memfd {
				t.Error("no memfd_create event")
			}
			// Out of order by more than a scheduler time slice would
			// mean the rings are not merged.
			if worst > 50*time.Millisecond {
				t.Errorf("an event came %v after a later one", worst)
			}
			if st.TooLong+st.Unreadable != 0 {
				t.Errorf("malformed records: %+v", st)
			}
			t.Logf("%d events from CPUs %v; latest out of order by %v; stats %+v", len(recs), cpus, worst, st)
		})
	}
}

// TestProbeSelect checks that the syscall selection changes in place
// while the probe runs: a syscall selected from then on is sent, one no
// longer selected is not.
func TestProbeSelect(t *testing.T) {
	ebpftest.Live(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := int64(unix.Gettid())
	p, err := openLive(t, ebpf.Options{Syscalls: []string{"memfd_create"}, IncludeSelf: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	memfd := func(name string) {
		fd, err := unix.MemfdCreate(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	eventfd := func() {
		fd, err := unix.Eventfd(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	memfd("kestrel-select-1")
	eventfd()
	if err := p.Select([]string{"eventfd2"}); err != nil {
		t.Fatal(err)
	}
	memfd("kestrel-select-2")
	eventfd()
	end := uint64(time.Now().UnixNano())
	ebpftest.Settle()
	var seen []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		e, err := p.Next(ctx)
		cancel()
		if err != nil || e.TS() > end+uint64(100*time.Millisecond) {
			break // all were taken: none came for a while, or a later one came (rings merge in time order)
		}
		if e.TID() != tid {
			continue
		}
		switch e.Name() {
		case "memfd_create":
			if p, ok := e.ParamByName("name"); ok {
				seen = append(seen, "memfd_create "+string(p.Raw[:len(p.Raw)-1]))
			}
		case "eventfd2":
			seen = append(seen, "eventfd2")
		case "syscall": // the probe sends eventfd2 as a generic event
			if id := e.Param(0).Uint(); int(id) < len(event.Current().Syscalls) {
				seen = append(seen, event.Current().Syscalls[id])
			}
		}
	}
	want := []string{"memfd_create kestrel-select-1", "eventfd2"}
	if !slices.Equal(seen, want) {
		t.Errorf("events %q, want %q", seen, want)
	}
}
