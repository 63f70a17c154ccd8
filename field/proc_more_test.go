package field

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// lineageContext is a context on an open event of thread 41 of vim (40),
// child of bash (30), child of sshd (20), child of systemd (1), with
// arguments, environments, process groups and standard fds.
func lineageContext(t testing.TB) *Context {
	t.Helper()
	th := func(tid, pid, ptid, pgid int64, comm, args, env string) scap.Thread {
		return scap.Thread{TID: tid, PID: pid, PTID: ptid, PGID: pgid, VPGID: pgid, SID: 30, VTID: tid, VPID: pid,
			Comm: comm, Exe: "/bin/" + comm, ExePath: "/usr/bin/" + comm, Args: []byte(args), Env: []byte(env), VMSize: 4 << 20, VMRSS: 2048}
	}
	st := state.FromSection(&scap.Section{
		Threads: []scap.Thread{
			th(1, 1, 0, 1, "systemd", "", ""),
			th(20, 20, 1, 20, "sshd", "-D\x00", "A=1\x00"),
			th(30, 30, 20, 30, "bash", "-l\x00", "HOME=/root\x00LANG= C \x00"),
			th(40, 40, 30, 30, "vim", "-R\x00notes.txt\x00", "HOME=/home/a\x00TERM=xterm\x00"),
			th(41, 40, 40, 30, "vim", "-R\x00notes.txt\x00", ""),
		},
		FDs: []scap.FDList{{TID: 40, FDs: []scap.FD{
			{FD: 0, Type: scap.FDFileV2, Name: "/dev/pts/0"},
			{FD: 1, Type: scap.FDFifo, Name: "pipe:[4711]"},
		}}},
	})
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 1, 41, 2, map[string]any{"name": "x"})); err != nil {
		t.Fatal(err)
	}
	st.Apply(&ev)
	c := NewContext(st)
	c.Observe(&ev)
	return c
}

// TestProcLineageFields checks the process fields of current libsinsp
// that sysdig 0.29.3 lacks against their meaning in libs 0.25
// (sinsp_filtercheck_thread.cpp).
func TestProcLineageFields(t *testing.T) {
	c := lineageContext(t)
	for expr, want := range map[string]string{
		// proc.args[N]: the N-th argument, empty past the last.
		"proc.args": "-R notes.txt", "proc.args[0]": "-R", "proc.args[1]": "notes.txt", "proc.args[2]": "",
		// Ancestors, parent first; an empty value still takes its separator.
		"proc.aargs": "-l -D ", "proc.aargs[0]": "-R notes.txt", "proc.aargs[1]": "-l", "proc.aargs[3]": "", "proc.aargs[4]": "<NA>",
		"proc.acmdline": "bash -l sshd -D systemd", "proc.acmdline[2]": "sshd -D", "proc.acmdline[0]": "vim -R notes.txt",
		"proc.aname": "bash sshd systemd", "proc.aexe": "/bin/bash /bin/sshd /bin/systemd", "proc.aexepath": "/usr/bin/bash /usr/bin/sshd /usr/bin/systemd",
		"proc.apid": "40",
		// proc.aenv: the process's own; [N] the N-th ancestor's; [NAME] the
		// nearest ancestor's value, spaces trimmed, "" when none has it.
		"proc.aenv": "HOME=/home/a TERM=xterm", "proc.aenv[0]": "HOME=/home/a TERM=xterm", "proc.aenv[1]": "HOME=/root LANG= C ",
		"proc.aenv[HOME]": "/root", "proc.aenv[LANG]": "C", "proc.aenv[A]": "1", "proc.aenv[NOPE]": "", "proc.aenv[3]": "", "proc.aenv[4]": "<NA>",
		// The process group by its host id.
		"proc.pgid": "30", "proc.pgid.name": "bash", "proc.pgid.exe": "/bin/bash", "proc.pgid.exepath": "/usr/bin/bash", "proc.is_pgid_leader": "false",
		// The standard fds of the process.
		"proc.stdin.type": "file", "proc.stdin.name": "/dev/pts/0", "proc.stdout.type": "pipe", "proc.stdout.name": "pipe:[4711]",
		"proc.stderr.type": "<NA>", "proc.stderr.name": "<NA>",
		// Table-only thread fields.
		"thread.nametid": "vim41", "thread.vmsize.b": "0", "thread.vmrss.b": "0",
	} {
		if got := fieldText(t, c, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	// The main thread: its own sizes, in bytes (4 GiB, which sysdig 0.29.3
	// computes in 32 bits and prints as 0).
	c = lineageContext(t)
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 2, 40, 2, map[string]any{"name": "y"})); err != nil {
		t.Fatal(err)
	}
	c.State.Apply(&ev)
	c.Observe(&ev)
	for expr, want := range map[string]string{"thread.vmsize.b": "4294967296", "thread.vmrss.b": "2097152", "proc.is_pgid_leader": "false", "thread.nametid": "vim40"} {
		if got := fieldText(t, c, expr); got != want {
			t.Errorf("main thread: %s = %q, want %q", expr, got, want)
		}
	}
}

// TestAncestorFieldsWithoutParents: without an index, an ancestor field of
// a process with no known parent has no value (the line is left out of a
// format without *), as in libs 0.25; proc.apid is still the process's.
func TestAncestorFieldsWithoutParents(t *testing.T) {
	st := state.FromSection(&scap.Section{Threads: []scap.Thread{{TID: 7, PID: 7, PTID: -1, Comm: "init", Exe: "/sbin/init"}}})
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 1, 7, 2, map[string]any{"name": "x"})); err != nil {
		t.Fatal(err)
	}
	st.Apply(&ev)
	c := NewContext(st)
	c.Observe(&ev)
	for expr, want := range map[string]string{"proc.aname": "<NA>", "proc.aexe": "<NA>", "proc.aargs": "<NA>", "proc.acmdline": "<NA>", "proc.apid": "7", "proc.aname[0]": "init"} {
		if got := fieldText(t, c, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}

func TestProcLineageFieldsAllocate(t *testing.T) {
	c := lineageContext(t)
	reg := Default()
	buf := make([]byte, 0, 256)
	for _, expr := range []string{"proc.args[1]", "proc.aargs", "proc.acmdline[1]", "proc.aenv[HOME]", "proc.aenv[1]",
		"proc.pgid.name", "proc.stdout.type", "proc.stdin.name", "thread.nametid", "thread.vmsize.b"} {
		d, a, _, err := reg.Match(expr)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { d.Text(buf[:0], c, a) }); n != 0 {
			t.Errorf("%s: %v allocations per extraction", expr, n)
		}
	}
}

// TestCwdAfterExecve: an execve does not change the working directory of
// a process the model knows (libsinsp ignores the execve's cwd
// parameter); for a process whose creation the stream did not show, the
// model takes it from the execve, where sysdig 0.29.3 and libs 0.25 leave
// it empty when reading a capture (a documented difference).
func TestCwdAfterExecve(t *testing.T) {
	st := state.FromSection(&scap.Section{Threads: []scap.Thread{{TID: 50, PID: 50, PTID: 1, Comm: "sh", Exe: "/bin/sh", Cwd: "/home/a"}}})
	c := NewContext(st)
	for _, tc := range []struct {
		tid  int64
		want string
	}{{50, "/home/a/"}, {60, "/srv/"}} {
		rec := recordOf(t, 1, tc.tid, "execve", false, vals{"res": 0, "exe": "/bin/ls", "args": []string{"-l"},
			"tid": tc.tid, "pid": tc.tid, "ptid": 1, "cwd": "/srv", "comm": "ls"})
		if got := evtFieldText(t, c, rec, "proc.cwd"); got != tc.want {
			t.Errorf("thread %d: proc.cwd after execve = %q, want %q", tc.tid, got, tc.want)
		}
	}
}
