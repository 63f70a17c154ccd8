//go:build linux && amd64

package ebpf_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"golang.org/x/sys/unix"
)

// sockClexec is the socket event's flags for SOCK_CLOEXEC: PPM_O_CLOEXEC.
const sockClexec = "4096"

// netExpected are the events of the IPv6 and unix-domain connections:
// the addresses bound and connected to, the IPv6 tuples (client to
// server from both ends), and the fds.
func netExpected(in ebpftest.Info) []expect {
	n := in.Net
	loop := netip.IPv6Loopback()
	srv := netip.AddrPortFrom(loop, uint16(n.V6ServerPort)).String()
	cli := netip.AddrPortFrom(loop, uint16(n.V6ClientPort)).String()
	bound := netip.AddrPortFrom(loop, 0).String()
	tuple := cli + "->" + srv
	accFlags := itoa(unix.SOCK_CLOEXEC) // accept4's flags are Linux's
	socket := func(fd, domain int) expect {
		return expect{"socket", map[string]string{"fd": itoa(fd), "domain": itoa(domain), "type": itoa(unix.SOCK_STREAM), "proto": "0", "flags": sockClexec}}
	}
	listen := func(fd int) expect {
		return expect{"listen", map[string]string{"res": "0", "fd": itoa(fd), "backlog": itoa(ebpftest.NetBacklog)}}
	}
	return []expect{
		socket(n.V6Listen, unix.AF_INET6),
		socket(n.V6Client, unix.AF_INET6),
		{"bind", map[string]string{"res": "0", "fd": itoa(n.V6Listen), "addr": bound}},
		listen(n.V6Listen),
		{"connect", map[string]string{"res": "0", "fd": itoa(n.V6Client), "addr": srv, "tuple": tuple}},
		{"accept4", map[string]string{"fd": itoa(n.V6Accept), "tuple": tuple, "flags": accFlags}},
		socket(n.UnixListen, unix.AF_UNIX),
		socket(n.UnixClient, unix.AF_UNIX),
		{"bind", map[string]string{"res": "0", "fd": itoa(n.UnixListen), "addr": n.UnixPath}},
		listen(n.UnixListen),
		{"connect", map[string]string{"res": "0", "fd": itoa(n.UnixClient), "addr": n.UnixPath}},
		{"accept4", map[string]string{"fd": itoa(n.UnixAccept), "flags": accFlags}},
	}
}

// privExpected are the events of capset, setns and the module calls,
// with the results the workload got.
func privExpected(in ebpftest.Info) []expect {
	p := in.Priv
	img := ebpftest.ModuleImage[:min(len(ebpftest.ModuleImage), argsSnaplen)]
	return []expect{
		{"capset", map[string]string{"res": itoa(p.CapsetRes), "cap_inheritable": itoa(p.CapInheritable), "cap_permitted": itoa(p.CapPermitted), "cap_effective": itoa(p.CapEffective)}},
		{"setns", map[string]string{"res": itoa(p.SetnsRes), "fd": itoa(ebpftest.BadFD), "nstype": "128"}}, // PPM_CL_CLONE_NEWUTS
		{"init_module", map[string]string{"res": itoa(p.InitModuleRes), "img": img, "length": itoa(len(ebpftest.ModuleImage)), "uargs": ebpftest.ModuleArgs}},
		{"finit_module", map[string]string{"res": itoa(p.FinitModuleRes), "fd": itoa(ebpftest.BadFD), "uargs": ebpftest.ModuleArgs, "flags": itoa(ebpftest.FinitFlags)}},
	}
}

// checkUnixTuples checks the tuples of the unix-domain connect and
// accept4: the path the server bound, and the same pair of socket ids
// from both ends, as the Falco drivers give them (the server's end
// first).
func checkUnixTuples(t *testing.T, evs []decoded, n ebpftest.Net) {
	t.Helper()
	conn := findEvent(evs, "connect", "fd", itoa(n.UnixClient))
	acc := findEvent(evs, "accept4", "fd", itoa(n.UnixAccept))
	if conn == nil || acc == nil {
		t.Errorf("unix connect %v, accept4 %v", conn, acc)
		return
	}
	var src, dst uint64
	var path string
	ct, at := conn.args["tuple"], acc.args["tuple"]
	if _, err := fmt.Sscanf(ct, "%x->%x %s", &src, &dst, &path); err != nil || src == 0 || dst == 0 || src == dst || path != n.UnixPath {
		t.Errorf("unix connect tuple %q (%v): want two socket ids and %s", ct, err, n.UnixPath)
	}
	if at != ct {
		t.Errorf("unix accept4 tuple %q, connect tuple %q: want the same", at, ct)
	}
}

// checkForkClone checks the parent's side of the fork that runs EchoName:
// a clone (or clone3) of the workload returning the child's pid.
func checkForkClone(t *testing.T, evs []decoded, in ebpftest.Info) {
	t.Helper()
	for _, d := range evs {
		if (d.name == "clone" || d.name == "clone3") && d.args["res"] == itoa(in.EchoPID) {
			if d.args["pid"] != itoa(in.PID) {
				t.Errorf("%s returning %d: pid %s, want %d", d.name, in.EchoPID, d.args["pid"], in.PID)
			}
			return
		}
	}
	t.Errorf("no clone or clone3 event returning the child %d", in.EchoPID)
}

// findEvent returns the first event named name whose parameter key is v.
func findEvent(evs []decoded, name, key, v string) *decoded {
	for i := range evs {
		if evs[i].name == name && evs[i].args[key] == v {
			return &evs[i]
		}
	}
	return nil
}
