// Package example builds the small capture Kestrel ships as
// examples/session.scap: a shell session (cat of a file, a failed read of
// /etc/shadow, an HTTP request over loopback, a refused setuid) in the
// layout that sysdig 0.29.3 and current Falco readers both read. The
// output is deterministic, so tests can check the shipped file.
package example

import (
	"io"
	"net/netip"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
)

const (
	bash = 2000
	cat  = 2001
	curl = 2002
	uid  = 1000
	// 2026-11-23T09:00:00Z
	start = uint64(1795424400) * 1_000_000_000
)

// PPM flag values (Appendix B of the capture format).
const (
	oRDONLY   = 1
	oWRONLY   = 2
	oCREAT    = 4
	oAPPEND   = 8
	oCLOEXEC  = 4096
	forkFlags = 8388608 | 16777216 // CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID
)

// Write writes the example capture to out.
func Write(out io.Writer) error {
	w, err := scap.NewWriter(out, section(), scap.WriterOptions{})
	if err != nil {
		return err
	}
	s := &session{w: w, ts: start}
	s.run()
	if s.err != nil {
		return s.err
	}
	return w.Close()
}

func section() *scap.Section {
	lo4 := netip.MustParseAddr("127.0.0.1").As4()
	eth := netip.MustParseAddr("10.0.2.15").As4()
	mask8 := netip.MustParseAddr("255.0.0.0").As4()
	mask24 := netip.MustParseAddr("255.255.255.0").As4()
	bcast := netip.MustParseAddr("10.0.2.255").As4()
	lo6 := netip.IPv6Loopback().As16()
	ones := [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	env := []byte("HOME=/home/alice\x00USER=alice\x00SHELL=/bin/bash\x00PATH=/usr/local/bin:/usr/bin:/bin\x00")
	cg := []byte("0::/user.slice/user-1000.slice/session-1.scope\x00")
	return &scap.Section{
		Major: 1, Minor: 2,
		Machine: &scap.Machine{NumCPUs: 2, MemoryBytes: 4 << 30, Hostname: "kestrel-example"},
		Interfaces: []scap.Interface{
			{Type: scap.IfaceIPv4, Name: "lo", Addr: lo4[:], Netmask: mask8[:], Broadcast: lo4[:]},
			{Type: scap.IfaceIPv4, Name: "eth0", Addr: eth[:], Netmask: mask24[:], Broadcast: bcast[:]},
			{Type: scap.IfaceIPv6, Name: "lo", Addr: lo6[:], Netmask: ones[:], Broadcast: make([]byte, 16)},
		},
		Users: []scap.User{
			{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"},
			{UID: uid, GID: uid, Name: "alice", Home: "/home/alice", Shell: "/bin/bash"},
		},
		Groups: []scap.Group{{GID: 0, Name: "root"}, {GID: uid, Name: "alice"}},
		Threads: []scap.Thread{
			{TID: 1, PID: 1, PTID: 0, SID: 1, VPGID: 1, PGID: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd",
				Cwd: "/", FDLimit: 1 << 20, VTID: 1, VPID: 1, Root: "/", LoginUID: ^uint32(0), Cgroups: []byte("0::/init.scope\x00")},
			{TID: bash, PID: bash, PTID: 1, SID: bash, VPGID: bash, PGID: bash, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash",
				Cwd: "/home/alice", FDLimit: 1024, UID: uid, GID: uid, VTID: bash, VPID: bash, Root: "/", LoginUID: uid,
				Env: env, Cgroups: cg, VMSize: 8200, VMRSS: 5100},
		},
		FDs: []scap.FDList{{TID: bash, FDs: []scap.FD{
			{FD: 0, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: 3, Ino: 3},
			{FD: 1, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: 3, Ino: 3},
			{FD: 2, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: 3, Ino: 3},
			{FD: 255, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: 3 | oCLOEXEC, Ino: 3},
		}}},
	}
}

// session emits the events of the example in the classic enter/exit model.
type session struct {
	w   *scap.Writer
	ts  uint64
	ev  event.Event
	err error
}

type vals = map[string]any

func (s *session) emit(tid int64, t event.Type, v vals) {
	if s.err != nil {
		return
	}
	s.ts += 1500 + uint64(t)*7 // deterministic, strictly increasing
	rec, err := evtest.Record(event.Legacy(), s.ts, tid, t, v)
	if err != nil {
		s.err = err
		return
	}
	if err := s.ev.Reset(rec); err != nil {
		s.err = err
		return
	}
	s.ev.CPU = uint16(tid % 2)
	s.err = s.w.WriteEvent(&s.ev)
}

// call emits an enter/exit pair.
func (s *session) call(tid int64, enter event.Type, in, out vals) {
	s.emit(tid, enter, in)
	s.emit(tid, enter+1, out)
}

func (s *session) run() {
	passwd := "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
	s.fork(cat, "/usr/bin/cat", []string{"/etc/passwd"}, "cat")
	s.call(cat, 2, vals{"name": "/etc/passwd", "flags": oRDONLY | oCLOEXEC},
		vals{"fd": 3, "name": "/etc/passwd", "flags": oRDONLY | oCLOEXEC, "dev": 0x803})
	s.call(cat, 6, vals{"fd": 3, "size": 131072}, vals{"res": len(passwd), "data": passwd})
	s.call(cat, 8, vals{"fd": 1, "size": len(passwd)}, vals{"res": len(passwd), "data": passwd})
	s.call(cat, 6, vals{"fd": 3, "size": 131072}, vals{"res": 0, "data": ""})
	s.call(cat, 4, vals{"fd": 3}, vals{"res": 0})
	s.emit(cat, 186, vals{"status": 0, "ret": 0})

	s.call(bash, 2, vals{"name": "/etc/shadow", "flags": oRDONLY}, vals{"fd": -13, "name": "/etc/shadow", "flags": oRDONLY})
	s.call(bash, 306, vals{"dirfd": -100, "name": ".bash_history", "flags": oWRONLY | oAPPEND | oCREAT, "mode": 0o600},
		vals{"fd": 3, "dirfd": -100, "name": ".bash_history", "flags": oWRONLY | oAPPEND | oCREAT, "mode": 0o600, "dev": 0x803})
	s.call(bash, 8, vals{"fd": 3, "size": 16}, vals{"res": 16, "data": "cat /etc/passwd\n"})
	s.call(bash, 4, vals{"fd": 3}, vals{"res": 0})

	client := netip.MustParseAddrPort("127.0.0.1:43210")
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	req := "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	s.fork(curl, "/usr/bin/curl", []string{"-s", "http://127.0.0.1:8080/"}, "curl")
	s.call(curl, 18, vals{"domain": 2, "type": 1, "proto": 0}, vals{"fd": 3})
	s.call(curl, 22, vals{"fd": 3, "addr": server}, vals{"res": 0, "tuple": evtest.Tuple{Src: client, Dst: server}})
	s.call(curl, 30, vals{"fd": 3, "size": len(req), "tuple": evtest.Tuple{Src: client, Dst: server}}, vals{"res": len(req), "data": req})
	s.call(curl, 34, vals{"fd": 3, "size": 102400}, vals{"res": len(resp), "data": resp, "tuple": evtest.Tuple{Src: server, Dst: client}})
	s.call(curl, 8, vals{"fd": 1, "size": 2}, vals{"res": 2, "data": "ok"})
	s.call(curl, 4, vals{"fd": 3}, vals{"res": 0})
	s.emit(curl, 186, vals{"status": 0, "ret": 0})

	s.call(bash, 198, vals{"uid": 0}, vals{"res": -1})
}

// fork has bash fork a child that executes exe.
func (s *session) fork(child int64, exe string, args []string, comm string) {
	common := vals{"exe": "-bash", "tid": bash, "pid": bash, "ptid": 1, "cwd": "/home/alice", "fdlimit": 1024,
		"vm_size": 8200, "vm_rss": 5100, "comm": "bash", "flags": forkFlags, "uid": uid, "gid": uid, "vtid": bash, "vpid": bash}
	s.emit(bash, 222, nil)
	parent := copyVals(common)
	parent["res"] = child
	s.emit(bash, 223, parent)
	kid := copyVals(common)
	kid["res"], kid["tid"], kid["pid"], kid["ptid"], kid["vtid"], kid["vpid"] = 0, child, child, bash, child, child
	s.emit(child, 223, kid)
	s.emit(child, 292, vals{"filename": exe})
	s.emit(child, 293, vals{"res": 0, "exe": exe, "args": args, "tid": child, "pid": child, "ptid": bash,
		"cwd": "/home/alice", "fdlimit": 1024, "vm_size": 2400, "vm_rss": 900, "comm": comm,
		"env": []string{"HOME=/home/alice", "USER=alice"}, "tty": 34816, "pgid": child, "loginuid": uid})
}

func copyVals(v vals) vals {
	out := make(vals, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}
