package replay

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

// Churn generates the events of a host that runs short-lived processes
// without pause, for memory and throughput benchmarks of the model: a
// shell forks a child, which execs a program, opens and closes a few
// files and exits; then the next one. The child's pid cycles through a
// bounded range, as the kernel reuses pids. Events are in the classic
// model (enter and exit records), which sysdig 0.29.3 and Kestrel read.
//
// Per process: the shell's clone enter and exit, the child's clone exit,
// the child's execve enter and exit, an open enter and exit and a close
// enter and exit per file, and the child's procexit.
type Churn struct {
	// Shell is the tid of the forking shell, which the process list holds.
	Shell int64
	// FirstPID and PIDs: the children's pids cycle through
	// FirstPID … FirstPID+PIDs-1.
	FirstPID, PIDs int64
	// Files are the paths each child opens and closes.
	Files []string
	// Start is the timestamp of the first event; Gap the time between
	// events, in ns.
	Start, Gap uint64

	recs []churnRec
	ev   event.Event
}

// churnRec is one event of a process, with the places that carry the
// child's pid.
type churnRec struct {
	rec      []byte
	childTID bool  // the header's tid is the child's
	pids     []int // offsets of parameters that are the child's pid
}

// childMark is the pid the templates are built with, patched with each
// child's.
const childMark = 987654321

// NewChurn returns a generator with the defaults: shell 1000, pids
// 2000…31999, three files.
func NewChurn() *Churn {
	return &Churn{
		Shell: 1000, FirstPID: 2000, PIDs: 30000,
		Files: []string{"/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libc.so.6", "/etc/hostname"},
		Start: 1_700_000_000_000_000_000, Gap: 1000,
	}
}

// Section returns the capture metadata: a process list of init and the
// shell, and root as the only user.
func (c *Churn) Section() *scap.Section {
	return &scap.Section{
		Major: 1, Minor: 2,
		Machine: &scap.Machine{NumCPUs: 1, MemoryBytes: 1 << 30, MaxPID: 32768, Hostname: "churn"},
		Users:   []scap.User{{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"}},
		Groups:  []scap.Group{{GID: 0, Name: "root"}},
		Threads: []scap.Thread{
			{TID: 1, PID: 1, PTID: 0, SID: 1, VPGID: 1, PGID: 1, VTID: 1, VPID: 1, Comm: "init", Exe: "/sbin/init", ExePath: "/sbin/init", Cwd: "/", FDLimit: 1024, LoginUID: 0xFFFFFFFF},
			{TID: c.Shell, PID: c.Shell, PTID: 1, SID: c.Shell, VPGID: c.Shell, PGID: c.Shell, VTID: c.Shell, VPID: c.Shell, Comm: "bash", Exe: "/bin/bash", ExePath: "/bin/bash", Cwd: "/root", FDLimit: 1024, LoginUID: 0},
		},
	}
}

// EventsPerProcess returns how many events each process takes.
func (c *Churn) EventsPerProcess() int { return 6 + 4*len(c.Files) }

// Legacy event codes of the churn.
const (
	evOpenE     = 2
	evOpenX     = 3
	evCloseE    = 4
	evCloseX    = 5
	evProcexitE = 186
	evCloneE    = 222
	evCloneX    = 223
	evExecveE   = 292
	evExecveX   = 293
)

// build makes the record templates.
func (c *Churn) build() error {
	s := event.Legacy()
	child := int64(childMark)
	clone := func(res, tid, ptid int64) map[string]any {
		return map[string]any{"res": res, "exe": "/bin/bash", "args": []string{}, "tid": tid, "pid": tid, "ptid": ptid,
			"cwd": "/root", "fdlimit": 1024, "comm": "bash", "flags": 0, "uid": 0, "gid": 0, "vtid": tid, "vpid": tid}
	}
	type tmpl struct {
		tid  int64
		t    event.Type
		vals map[string]any
	}
	ts := []tmpl{
		{c.Shell, evCloneE, nil},
		{c.Shell, evCloneX, clone(child, c.Shell, 1)},
		{child, evCloneX, clone(0, child, c.Shell)},
		{child, evExecveE, map[string]any{"filename": "/usr/bin/cat"}},
		{child, evExecveX, map[string]any{"res": 0, "exe": "/usr/bin/cat", "args": []string{"/etc/hostname"}, "tid": child, "pid": child,
			"ptid": c.Shell, "cwd": "/root", "fdlimit": 1024, "comm": "cat", "env": []string{"HOME=/root", "PATH=/usr/bin:/bin"},
			"pgid": child, "loginuid": 0}},
	}
	for _, f := range c.Files {
		ts = append(ts,
			tmpl{child, evOpenE, map[string]any{"name": f, "flags": 1, "mode": 0}},
			tmpl{child, evOpenX, map[string]any{"fd": 3, "name": f, "flags": 1, "mode": 0, "dev": 0x803}},
			tmpl{child, evCloseE, map[string]any{"fd": 3}},
			tmpl{child, evCloseX, map[string]any{"res": 0}})
	}
	ts = append(ts, tmpl{child, evProcexitE, map[string]any{"status": 0, "ret": 0, "sig": 0, "core": 0}})
	c.recs = c.recs[:0]
	for _, t := range ts {
		rec, err := evtest.Record(s, 0, t.tid, t.t, t.vals)
		if err != nil {
			return fmt.Errorf("churn template: %w", err)
		}
		cr := churnRec{rec: rec, childTID: t.tid == child}
		if err := c.ev.Reset(rec); err != nil {
			return fmt.Errorf("churn template: %w", err)
		}
		cr.pids = childParams(&c.ev)
		c.recs = append(c.recs, cr)
	}
	return nil
}

// childParams returns the offsets of the 8-byte pid parameters of e that
// hold childMark.
func childParams(e *event.Event) []int {
	lsz := 2
	if e.Info() != nil && e.Info().Large() {
		lsz = 4
	}
	var out []int
	off := event.HeaderLen + lsz*e.NumParams()
	for j := 0; j < e.NumParams(); j++ {
		p := e.Param(j)
		if p.Type() == event.PTPID && len(p.Raw) == 8 && p.Int() == childMark {
			out = append(out, off)
		}
		off += len(p.Raw)
	}
	return out
}

// Process calls fn with each event of process k (counted from 0), in
// order. The event is valid only during the call.
func (c *Churn) Process(k uint64, fn func(*event.Event) error) error {
	if len(c.recs) == 0 {
		if err := c.build(); err != nil {
			return err
		}
	}
	pid := uint64(c.FirstPID + int64(k%uint64(c.PIDs)))
	ts := c.Start + k*uint64(len(c.recs))*c.Gap
	for i := range c.recs {
		r := &c.recs[i]
		binary.LittleEndian.PutUint64(r.rec[0:], ts)
		ts += c.Gap
		if r.childTID {
			binary.LittleEndian.PutUint64(r.rec[8:], pid)
		}
		for _, off := range r.pids {
			binary.LittleEndian.PutUint64(r.rec[off:], pid)
		}
		if err := c.ev.Reset(r.rec); err != nil {
			return err
		}
		c.ev.Num = k*uint64(len(c.recs)) + uint64(i) + 1
		if err := fn(&c.ev); err != nil {
			return err
		}
	}
	return nil
}

// WriteChurn writes a capture of procs churn processes to w and returns
// the number of events written.
func WriteChurn(w io.Writer, c *Churn, procs uint64, opts scap.WriterOptions) (uint64, error) {
	wr, err := scap.NewWriter(w, c.Section(), opts)
	if err != nil {
		return 0, err
	}
	var n uint64
	write := func(e *event.Event) error {
		n++
		return wr.WriteEvent(e)
	}
	for k := uint64(0); k < procs; k++ {
		if err := c.Process(k, write); err != nil {
			return n, fmt.Errorf("churn process %d: %w", k, err)
		}
	}
	return n, wr.Close()
}
