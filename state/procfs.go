package state

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/kestrel-sec/kestrel/scap"
)

// SnapshotOptions tunes [Snapshot].
type SnapshotOptions struct {
	// NoFDs leaves the fd tables out (threads and users only).
	NoFDs bool
	// SkipKernelThreads leaves out kernel threads (kthreadd, kworker/…),
	// which have no command line and no executable.
	SkipKernelThreads bool
	// Workers is how many processes are read at a time; 0 means one per
	// processor (GOMAXPROCS).
	Workers int
	// MaxArgs and MaxEnv bound the bytes kept of a process's command line
	// and environment; 0 means 4096, the limit of capture files.
	MaxArgs, MaxEnv int
	// NoInterfaces leaves out the interface list, which is otherwise read
	// from the network namespace Kestrel runs in (whatever procRoot is),
	// as libscap reads it for a live capture.
	NoInterfaces bool
}

const defaultMaxStrings = 4096

// Snapshot reads the host state from a procfs mounted at procRoot
// ("/proc") and the user and group databases under etcRoot ("/etc"): every
// thread of every process, the fd tables of the processes, the machine
// block, the host's interface addresses, users and groups, as the
// metadata of a capture section.
// [FromSection] turns it into a live model.
//
// # Nothing that starts during the snapshot is missed
//
// The walk is not atomic: a process can start after the walk has passed
// its place in /proc, exit before the walk reaches it, or open and close
// files while it is read. Snapshot therefore does not stand alone; the
// caller must:
//
//  1. start the event stream first (attach the probe and begin queuing
//     its events, without applying them yet);
//  2. call Snapshot, and seed the model with FromSection(sec);
//  3. apply the queued events in order, then the live ones.
//
// Every process that exists when the stream starts is in /proc for the
// whole walk unless it exits, and then its procexit is in the stream; every
// process created after the stream started has its clone and execve
// events in the stream. Applying an event that happened before the walk
// read its process is harmless: events set the state they describe (the
// new image of an execve, the fd an open returns, the removal a close or
// procexit makes), so once the queue is drained the model holds the latest
// value of everything, whichever of the walk or the event saw it last. The
// thread table takes a clone of a thread the walk already added as a no-op
// (the /proc entry is at least as recent). The one loss is a thread id
// that exits and is reused during the walk: its queued procexit removes
// the new thread, which its own clone event then adds back with what that
// event carries.
//
// Processes that vanish during the walk are skipped; a file of a process
// that cannot be read (permissions, a race with its exit) leaves the field
// it feeds empty. Snapshot returns an error only when procRoot itself
// cannot be listed.
func Snapshot(procRoot, etcRoot string, opts SnapshotOptions) (*scap.Section, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("snapshot: listing %s: %w", procRoot, err)
	}
	var pids []int64
	for _, name := range names {
		if pid, err := strconv.ParseInt(name, 10, 64); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	r := newProcReader(procRoot, opts, 0)
	sec := &scap.Section{Major: 1, Minor: 2}
	sec.Machine = r.machine()
	if !opts.NoInterfaces {
		sec.Interfaces = hostInterfaces()
	}
	sec.Users, sec.Groups = readUsers(filepath.Join(etcRoot, "passwd")), readGroups(filepath.Join(etcRoot, "group"))
	results := make([]procResult, len(pids))
	walk(pids, results, func() *procReader { return newProcReader(procRoot, opts, r.bootNS) }, opts.Workers)
	for i := range results {
		sec.Threads = append(sec.Threads, results[i].threads...)
		if results[i].fds != nil {
			sec.FDs = append(sec.FDs, *results[i].fds)
		}
	}
	return sec, nil
}

// procResult is what the walk found of one process.
type procResult struct {
	threads []scap.Thread
	fds     *scap.FDList
}

// walk reads the processes pids into results with the given number of
// workers (0: one per processor), each with its own reader.
func walk(pids []int64, results []procResult, reader func() *procReader, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(pids)))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			r := reader()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pids) {
					return
				}
				r.process(&results[i], pids[i])
			}
		})
	}
	wg.Wait()
}

// process reads the threads of process pid, and its fd table, into res.
func (r *procReader) process(res *procResult, pid int64) {
	base := r.root + "/" + strconv.FormatInt(pid, 10)
	var p procInfo
	if !r.readProcess(&p, base, pid) {
		return
	}
	leader := false
	for _, tid := range r.taskIDs(base, pid) {
		var t scap.Thread
		if !r.readThread(&t, &p, base, pid, tid) {
			continue
		}
		leader = leader || tid == pid
		res.threads = append(res.threads, t)
	}
	if !leader || r.opts.NoFDs {
		return
	}
	if fds := r.readFDs(base, pid); len(fds) > 0 {
		res.fds = &scap.FDList{TID: pid, FDs: fds}
	}
}

// taskIDs lists the threads of process pid, leader first. A process whose
// task directory cannot be listed counts as its leader alone.
func (r *procReader) taskIDs(base string, pid int64) []int64 {
	tids := []int64{pid}
	d, err := os.Open(base + "/task")
	if err != nil {
		return tids
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if tid, err := strconv.ParseInt(n, 10, 64); err == nil && tid != pid {
			tids = append(tids, tid)
		}
	}
	return tids
}
