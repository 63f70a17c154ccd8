package field

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

const (
	ctrFull  = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e"
	sbFull   = "bb55c59ef5b2e6753e902b14a929f79c5b8dfcafe29bfaf38d9aa1c86246a23e"
	podmanID = "6c607bd199f8164d6e26a55ad0cf65e199f8e7c0f7682b7d957424e802e6e788"
	startNS  = 1795510800_000000000
)

// ctrContext returns a Context over a state with a host thread (1), a
// thread in a containerd container of a pod (30) and one in a podman
// container with no record (40), and a function that makes an open
// event of a thread the current event.
func ctrContext(t testing.TB) (*Context, func(tid int64)) {
	cg := func(p string) []byte { return []byte("cpu=" + p + "\x00memory=" + p + "\x00") }
	st := state.FromSection(&scap.Section{Threads: []scap.Thread{
		{TID: 1, PID: 1, Comm: "systemd", Cgroups: cg("/")},
		{TID: 30, PID: 30, Comm: "sh", Cgroups: cg("/kubepods.slice/cri-containerd-" + ctrFull + ".scope"), PidnsInitStartTS: startNS},
		{TID: 40, PID: 40, Comm: "sleep", Cgroups: cg("/libpod_parent/libpod-" + podmanID)},
	}})
	var e event.Event
	for _, js := range []string{
		`{"container":{"id":"` + sbFull[:12] + `","type":7,"name":"pause","labels":{"app":"web","io.kubernetes.pod.uid":"u-1"}}}`,
		`{"container":{"id":"` + ctrFull[:12] + `","full_id":"` + ctrFull + `","type":7,"name":"app","ip":"10.77.0.2",
"host_pid":true,"pod_sandbox_id":"` + sbFull + `","Mounts":[{"Source":"/proc","Destination":"/host/proc","RW":false},
{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","RW":true}],
"labels":{"io.kubernetes.pod.name":"web-0","io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.uid":"u-1","io.kubernetes.sandbox.id":"` + sbFull + `"}}}`,
	} {
		if err := e.Reset(evtest.MustRecord(event.Legacy(), startNS, -1, 324, map[string]any{"json": js})); err != nil {
			t.Fatal(err)
		}
		st.Apply(&e)
	}
	c := NewContext(st)
	ev := new(event.Event)
	return c, func(tid int64) {
		rec := evtest.MustRecord(event.Legacy(), startNS+5_000_000_000, tid, 3, map[string]any{"fd": 3, "name": "/x", "flags": 1, "mode": 0, "dev": 0})
		if err := ev.Reset(rec); err != nil {
			t.Fatal(err)
		}
		st.Apply(ev)
		c.Observe(ev)
	}
}

// TestContainerFieldsFalco checks the fields current Falco has and sysdig
// 0.29.3 does not, which the differential cannot compare, on their stated
// meanings.
func TestContainerFieldsFalco(t *testing.T) {
	c, at := ctrContext(t)
	reg := Default()
	na := "<NA>"
	for _, tc := range []struct {
		tid        int64
		expr, want string
	}{
		{1, "container.full_id", "host"},
		{1, "container.start_ts", na},
		{1, "k8s.pod.uid", na},
		{30, "container.full_id", ctrFull},
		{30, "container.start_ts", "1795510800000000000"},
		{30, "container.duration", "5000000000"},
		{30, "container.ip", "10.77.0.2"},
		{30, "container.host_pid", "true"},
		{30, "container.host_network", "false"},
		{30, "k8s.pod.uid", "u-1"},
		{30, "k8s.pod.sandbox_id", sbFull[:12]},
		{30, "k8s.pod.full_sandbox_id", sbFull},
		{30, "k8s.pod.label[app]", "web"},
		// fnmatch(3) without flags: '*' matches '/' too.
		{30, "container.mount.dest[/*]", "/host/proc"},
		{30, "container.mount.dest[/var/run/*.sock]", "/var/run/docker.sock"},
		{30, "container.mount.dest[/var/run/doc?er.sock]", "/var/run/docker.sock"},
		{30, "container.mount.rdwr[/var/run/docker.sock]", "true"},
		{30, "container.mount.source[/host/*]", "/proc"},
		// podman: the id from the cgroups, a record with the runtime alone.
		{40, "container.id", podmanID[:12]},
		{40, "container.type", "podman"},
		{40, "container.name", na},
		{40, "container.privileged", "false"},
		{40, "container.start_ts", na},
	} {
		at(tc.tid)
		f, err := reg.CompileFormat("*%" + tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.AppendText(nil, c)
		if string(got) != tc.want {
			t.Errorf("thread %d %s: got %q, want %q", tc.tid, tc.expr, got, tc.want)
		}
	}
}

// TestContainerFieldsAllocs checks that the container fields a rule
// condition or output reads on every event allocate nothing.
func TestContainerFieldsAllocs(t *testing.T) {
	c, at := ctrContext(t)
	at(30)
	f, err := Default().CompileFormat("%container.id %container.name %container.image.repository %container.privileged " +
		"%container.mount.dest[/proc*] %container.mounts %k8s.pod.name %k8s.ns.name %k8s.pod.labels %container.start_ts " +
		"%container.label[io.kubernetes.pod.name] %k8s.pod.ip")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(200, func() { buf, _ = f.AppendText(buf[:0], c) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}

func BenchmarkContainerFields(b *testing.B) {
	c, at := ctrContext(b)
	at(30)
	f, err := Default().CompileFormat("%container.id %container.name %container.mount.dest[/proc*] %k8s.pod.name")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = f.AppendText(buf[:0], c)
	}
}
