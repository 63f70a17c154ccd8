package field

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// procContext is a context on an open event of thread 41 of vim (40),
// child of bash (30), child of sshd (20), child of systemd (1).
func procContext(t *testing.T) *Context {
	t.Helper()
	th := func(tid, pid, ptid int64, comm string) scap.Thread {
		return scap.Thread{TID: tid, PID: pid, PTID: ptid, Comm: comm, Exe: "/bin/" + comm, SID: 30, VPGID: 30, VTID: tid, VPID: pid}
	}
	ts := []scap.Thread{th(1, 1, 0, "systemd"), th(20, 20, 1, "sshd"), th(30, 30, 20, "bash"), th(40, 40, 30, "vim"), th(41, 40, 40, "vim")}
	ts[3].Env = []byte("HOME=/home/a\x00TERM=xterm\x00")
	ts[4].Args = []byte("-R\x00notes.txt\x00")
	ts[4].HasCaps, ts[4].CapPermitted = true, 1<<0|1<<21 // CAP_CHOWN, CAP_SYS_ADMIN
	st := state.FromSection(&scap.Section{Threads: ts})
	var ev event.Event
	if err := ev.Reset(evtest.MustRecord(event.Legacy(), 1, 41, 2, map[string]any{"name": "x"})); err != nil {
		t.Fatal(err)
	}
	st.Apply(&ev)
	c := NewContext(st)
	c.Observe(&ev)
	return c
}

func TestProcFields(t *testing.T) {
	c := procContext(t)
	reg := Default()
	for expr, want := range map[string]string{
		"proc.aname[0]": "vim", "proc.aname[2]": "sshd", "proc.aname[4]": "<NA>",
		"proc.aname": "bash sshd systemd", "proc.apid[3]": "1", "proc.aexe[1]": "/bin/bash",
		"proc.pname": "vim", "proc.ppid": "30", "proc.pexe": "/bin/bash",
		"proc.env[TERM]": "xterm", "proc.env[NOPE]": "", "proc.env": "HOME=/home/a TERM=xterm",
		"proc.cmdline": "vim -R notes.txt", "proc.cmdnargs": "2", "proc.cmdlenargs": "11",
		"thread.cap_permitted": "CAP_CHOWN CAP_SYS_ADMIN", "proc.vpgid.name": "bash",
		"proc.is_vpgid_leader": "false", "proc.nthreads": "2", "proc.nchilds": "0",
		"proc.loginshellid": "30", "proc.sname": "bash",
	} {
		d, a, n, err := reg.Match(expr)
		if err != nil || n != len(expr) {
			t.Fatalf("%s: %v", expr, err)
		}
		got, ok := d.Text(nil, c, a)
		if !ok {
			got = []byte("<NA>")
		}
		if string(got) != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	d, _ := reg.Lookup("proc.aname")
	var all []string
	for i := 0; ; i++ {
		v, ok := d.Multi(nil, c, nil, i)
		if !ok {
			break
		}
		all = append(all, string(v))
	}
	if len(all) != 3 || all[0] != "bash" || all[2] != "systemd" {
		t.Errorf("proc.aname values: %q", all)
	}
}

func TestProcFieldsAllocate(t *testing.T) {
	c := procContext(t)
	reg := Default()
	buf := make([]byte, 0, 256)
	for _, expr := range []string{"proc.name", "proc.cmdline", "proc.aname[2]", "proc.aname", "proc.env[TERM]",
		"thread.cap_permitted", "user.name", "proc.sname", "thread.cgroups", "proc.loginshellid"} {
		d, a, _, err := reg.Match(expr)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { d.Text(buf[:0], c, a) }); n != 0 {
			t.Errorf("%s: %v allocations per extraction", expr, n)
		}
	}
}
