package recorder

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
)

// host is a synthetic host for the recorder's memory and cost: procs
// processes of two threads each, each process with fds open files and
// sockets (the model's section, which every checkpoint copies), and a
// cycle of events that leaves the model as it found it: each process
// opens, writes and closes a file, and every tenth starts a child that
// execs, opens, closes and exits.
type host struct {
	sec   *scap.Section
	cycle [][]byte
}

func newHost(t testing.TB, procs, fds int) *host {
	h := &host{sec: &scap.Section{Major: 1, Minor: 2}}
	for p := range procs {
		pid := int64(1000 + 10*p)
		for i := range int64(2) {
			h.sec.Threads = append(h.sec.Threads, scap.Thread{TID: pid + i, PID: pid, PTID: 1, SID: pid, VPGID: pid, PGID: pid,
				VTID: pid + i, VPID: pid, Comm: fmt.Sprintf("svc%d", p), Exe: "svc", ExePath: fmt.Sprintf("/usr/bin/svc%d", p),
				Cwd: "/var/lib/svc", LoginUID: 0xFFFFFFFF, Flags: 0x400 /* clone files */})
		}
		l := scap.FDList{TID: pid}
		for f := range fds {
			if f%4 == 3 {
				l.FDs = append(l.FDs, scap.FD{FD: int64(3 + f), Type: scap.FDIPv4Sock, SrcIP: []byte{10, 0, 0, 5}, DstIP: []byte{10, 0, 1, byte(f)},
					SrcPort: uint16(40000 + f), DstPort: 443, L4Proto: 2})
				continue
			}
			l.FDs = append(l.FDs, scap.FD{FD: int64(3 + f), Ino: uint64(f), Type: scap.FDFile, Name: fmt.Sprintf("/var/lib/svc%d/data/file-%04d.db", p, f)})
		}
		h.sec.FDs = append(h.sec.FDs, l)
	}
	add := func(tid int64, name string, vals map[string]any) {
		h.cycle = append(h.cycle, evtest.MustRecord(event.Current(), 0, tid, exitType(t, name), vals))
	}
	for p := range procs {
		pid := int64(1000 + 10*p)
		tid := pid + int64(p%2)
		name := fmt.Sprintf("/var/lib/svc%d/tmp/spool-%d", p, p)
		add(tid, "openat", map[string]any{"fd": 900, "dirfd": -100, "name": name, "flags": 2})
		add(tid, "write", map[string]any{"res": 64, "data": make([]byte, 64), "fd": 900, "size": 64})
		add(tid, "close", map[string]any{"res": 0, "fd": 900})
		if p%10 == 0 {
			child := pid + 5
			add(pid, "clone", map[string]any{"res": child, "exe": "svc", "tid": pid, "pid": pid, "ptid": 1, "comm": "svc"})
			add(child, "clone", map[string]any{"res": 0, "exe": "svc", "tid": child, "pid": child, "ptid": pid, "comm": "svc"})
			add(child, "execve", map[string]any{"res": 0, "exe": "/bin/sh", "args": []string{"-c", "true"}, "tid": child, "pid": child,
				"ptid": pid, "comm": "sh", "cwd": "/var/lib/svc", "trusted_exepath": "/bin/sh", "fdlimit": 1024})
			add(child, "openat", map[string]any{"fd": 901, "dirfd": -100, "name": "/etc/ld.so.cache", "flags": 1})
			add(child, "close", map[string]any{"res": 0, "fd": 901})
			h.cycle = append(h.cycle, evtest.MustRecord(event.Current(), 0, child, eventType(t, "procexit", true), nil))
		}
	}
	return h
}

// feed gives n events of the host's cycle, gap apart from start, to the
// pipeline p (and its recorder), copied into buf, and returns the time
// of the last.
func (h *host) feed(t testing.TB, p *pipeline.Pipeline, n int, start uint64, gap time.Duration) uint64 {
	var ev event.Event
	buf := make([]byte, 4096)
	ts := start
	for i := range n {
		ts += uint64(gap)
		if err := restamp(&ev, buf, h.cycle[i%len(h.cycle)], ts); err != nil {
			t.Fatal(err)
		}
		if err := p.Apply(&ev); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// transientMargin is the memory the recorder may hold beyond its budget
// for a moment, in the memory test: the section of a checkpoint being
// taken before the oldest is dropped, and the writer's buffers (here 400
// threads and 12,000 fds, a section of ~2 MiB).
const transientMargin = 4 << 20

// TestRecorderMemoryHost checks that the recorder's memory (its ring and
// its checkpoints) stays within its budget (plus a transient margin)
// while a million events of a host-like model (400 threads,
// 12,000 fds, processes starting and ending) go by, with captures taken
// on the way.
func TestRecorderMemoryHost(t *testing.T) {
	const budget = 16 << 20
	h := newHost(t, 200, 60)
	p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
	ts := h.feed(t, p, len(h.cycle), epoch, 10*time.Microsecond) // the model's own growth
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := New(p.State(), Options{Budget: budget, Before: 5 * time.Second, PathPrefix: t.TempDir() + "/k"})
	p.Add(rec)
	var peak uint64
	const total, step = 1_000_000, 100_000
	for i := 0; i < total; i += step {
		ts = h.feed(t, p, step, ts, 10*time.Microsecond)
		if i == 5*step {
			if _, err := rec.Capture(0); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew, peakGrew := int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(peak)-int64(before.HeapAlloc)
	threads, fds, _ := p.State().Sizes()
	t.Logf("model: %d threads, %d fds; heap grew by %d bytes (peak %d) for a budget of %d; %d checkpoints (%d bytes each), ring %d events",
		threads, fds, grew, peakGrew, budget, len(rec.cps), rec.cps[0].mem, rec.Ring().Len())
	if peakGrew > budget+transientMargin {
		t.Errorf("heap grew by up to %d bytes: over the budget %d and the transient margin %d", peakGrew, budget, transientMargin)
	}
	if m := rec.Memory(); m > budget+transientMargin/2 {
		t.Errorf("the recorder counts %d bytes, over its budget %d", m, budget)
	}
	if n := len(rec.cps); n == 0 || n > maxCheckpoints {
		t.Errorf("%d checkpoints kept", n)
	}
	if s := rec.Stats(); s.Files != 1 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
	runtime.KeepAlive(rec)
}

// BenchmarkRecorderHost measures the recorder's cost per event on a
// host-like model (400 threads, 12,000 fds), 10 µs of event time apart:
// the pipeline with the recorder, less the pipeline alone, is the
// recorder's share, checkpoints of the whole model included.
func BenchmarkRecorderHost(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "pipeline", true: "recorder"}[on], func(b *testing.B) {
			h := newHost(b, 200, 60)
			p := pipeline.New(&sliceSource{}, h.sec, pipeline.Options{})
			if on {
				p.Add(New(p.State(), Options{Budget: 64 << 20, Before: 5 * time.Second}))
			}
			var ev event.Event
			buf := make([]byte, 4096)
			ts := epoch
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ts += uint64(10 * time.Microsecond)
				if err := restamp(&ev, buf, h.cycle[i%len(h.cycle)], ts); err != nil {
					b.Fatal(err)
				}
				i++
				if err := p.Apply(&ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
