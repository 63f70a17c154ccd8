package field

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// recordOf builds an event of the current table, by name and direction.
func recordOf(t *testing.T, ts uint64, tid int64, name string, enter bool, vals map[string]any) []byte {
	t.Helper()
	rec, err := evtest.Record(event.Current(), ts, tid, currentType(t, name, enter), vals)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestEvtFieldsCurrentFalco checks the evt fields of current libsinsp that
// sysdig 0.29.3 lacks, on their meaning in libs 0.25
// (sinsp_filtercheck_event.cpp, sinsp_filtercheck_gen_event.cpp).
func TestEvtFieldsCurrentFalco(t *testing.T) {
	st := state.New()
	c := NewContext(st)
	const created, tmpfile, creat = 1 << 14, 1 << 13, 1 << 2
	for _, tc := range []struct {
		rec        []byte
		expr, want string
	}{
		// evt.is_open_create: the driver's "created" flag, or O_TMPFILE that worked.
		{recordOf(t, 1, 7, "openat", false, vals{"fd": 3, "dirfd": -100, "name": "a", "flags": creat | created}), "evt.is_open_create", "true"},
		{recordOf(t, 2, 7, "openat", false, vals{"fd": 3, "dirfd": -100, "name": "a", "flags": creat}), "evt.is_open_create", "false"},
		{recordOf(t, 3, 7, "open", false, vals{"fd": 4, "name": "/tmp", "flags": tmpfile}), "evt.is_open_create", "true"},
		{recordOf(t, 4, 7, "open", false, vals{"fd": -2, "name": "/tmp", "flags": tmpfile}), "evt.is_open_create", "false"},
		{recordOf(t, 5, 7, "openat", true, vals{"dirfd": -100, "name": "a", "flags": created}), "evt.is_open_create", "false"},
		// evt.source, evt.is_async, evt.asynctype.
		{recordOf(t, 6, 7, "close", false, vals{"res": 0}), "evt.source", "syscall"},
		{recordOf(t, 7, 7, "close", false, vals{"res": 0}), "evt.is_async", "false"},
		{recordOf(t, 8, 7, "close", false, vals{"res": 0}), "evt.asynctype", "<NA>"},
		{recordOf(t, 9, 7, "procinfo", true, vals{"cpu_usr": 1, "cpu_sys": 2}), "evt.is_async", "true"},
		{recordOf(t, 10, 7, "procinfo", true, vals{"cpu_usr": 1, "cpu_sys": 2}), "evt.asynctype", "procinfo"},
		{recordOf(t, 11, -1, "asyncevent", true, vals{"plugin_id": 1, "name": "container_added", "data": []byte("{}")}), "evt.asynctype", "container_added"},
		{recordOf(t, 12, -1, "asyncevent", true, vals{"plugin_id": 1, "name": "container_added", "data": []byte("{}")}), "evt.source", "syscall"},
		// Docker infrastructure events (table-only fields).
		{infra(t, "Event: start; ID: 3ad7b26ded6d8e7b23da7d48; Image: nginx:1.25; name: web"), "evt.infra.docker.name", "start"},
		{infra(t, "Event: start; ID: 3ad7b26ded6d8e7b23da7d48; Image: nginx:1.25; name: web"), "evt.infra.docker.container.id", "3ad7b26ded6d"},
		{infra(t, "Event: start; ID: 3ad7b26ded6d8e7b23da7d48; Image: nginx:1.25; name: web"), "evt.infra.docker.container.name", "web"},
		{infra(t, "Event: start; ID: 3ad7b26ded6d8e7b23da7d48; Image: nginx:1.25; name: web"), "evt.infra.docker.container.image", "nginx"},
		{infra(t, "Event: pull; Image: repo/app@sha256:0123"), "evt.infra.docker.container.image", "repo/app"},
		{infra(t, "Event: delete; Image: sha256:0123abcd"), "evt.infra.docker.container.image", "sha256:0123abcd"},
		{infra(t, "Event: delete; Image: sha256:0123abcd"), "evt.infra.docker.container.id", "<NA>"},
		{recordOf(t, 13, 7, "close", false, vals{"res": 0}), "evt.infra.docker.name", "<NA>"},
	} {
		if got := evtFieldText(t, c, tc.rec, tc.expr); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func infra(t *testing.T, desc string) []byte {
	return recordOf(t, 20, -1, "infra", true, vals{"source": "docker", "name": "container", "description": desc, "scope": ""})
}

// TestPodFields checks the fields of the container plugin that sysdig
// 0.29.3 lacks: the container's own labels, and the pod's address and CNI
// result, from the container's record when it has the CNI result, else
// from the pod sandbox's record.
func TestPodFields(t *testing.T) {
	const sb, a, b = "aaaaaaaaaaaa0000", "bbbbbbbbbbbb0000", "cccccccccccc0000"
	cg := func(id string) []byte { return []byte("cpu=/kubepods/cri-containerd-" + id + ".scope\x00") }
	st := state.FromSection(&scap.Section{Threads: []scap.Thread{
		{TID: 10, PID: 10, Comm: "app", Cgroups: cg(a + a + a + a)},
		{TID: 20, PID: 20, Comm: "side", Cgroups: cg(b + b + b + b)},
	}})
	var e event.Event
	for _, js := range []string{
		`{"container":{"id":"` + sb[:12] + `","type":7,"is_pod_sandbox":true,"ip":"10.1.0.9","cni_json":"{\"eth0\":1}"}}`,
		`{"container":{"id":"` + a[:12] + `","type":7,"name":"app","ip":"10.1.0.9","pod_sandbox_id":"` + sb + `",
"labels":{"team":"blue","release":"","io.kubernetes.pod.name":"web-0","annotation.x":"y"}}}`,
		`{"container":{"id":"` + b[:12] + `","type":7,"name":"side","ip":"10.1.0.7","cni_json":"{\"own\":1}","pod_sandbox_id":"` + sb + `"}}`,
	} {
		if err := e.Reset(evtest.MustRecord(event.Legacy(), 1, -1, 324, map[string]any{"json": js})); err != nil {
			t.Fatal(err)
		}
		st.Apply(&e)
	}
	c := NewContext(st)
	for _, tc := range []struct {
		tid        int64
		expr, want string
	}{
		{10, "container.label.team", "blue"},
		{10, "container.label[io.kubernetes.pod.name]", "web-0"},
		{10, "container.label.none", "<NA>"},
		{10, "container.labels", "release, team:blue"},
		{10, "k8s.pod.ip", "10.1.0.9"},
		{10, "k8s.pod.cni.json", `{"eth0":1}`},
		{20, "container.labels", "<NA>"},
		{20, "k8s.pod.ip", "10.1.0.7"},
		{20, "k8s.pod.cni.json", `{"own":1}`},
	} {
		rec := evtest.MustRecord(event.Legacy(), 2, tc.tid, 2, map[string]any{"name": "x"})
		if got := evtFieldText(t, c, rec, tc.expr); got != tc.want {
			t.Errorf("thread %d %s: got %q, want %q", tc.tid, tc.expr, got, tc.want)
		}
	}
}

// TestEvtFieldsCurrentFalcoAllocate: the new event fields allocate
// nothing per event.
func TestEvtFieldsCurrentFalcoAllocate(t *testing.T) {
	reg := Default()
	buf := make([]byte, 0, 256)
	for _, tc := range []struct {
		rec   []byte
		exprs []string
	}{
		{recordOf(t, 1, 7, "openat", false, vals{"fd": 3, "dirfd": -100, "name": "a", "flags": 1 << 14}),
			[]string{"evt.is_open_create", "evt.source", "evt.is_async", "evt.asynctype", "evt.buflen.file.in", "evt.latency.quantized", "evt.count.procinfo"}},
		{recordOf(t, 2, -1, "asyncevent", true, vals{"plugin_id": 1, "name": "container_added", "data": []byte("{}")}), []string{"evt.asynctype"}},
		{infra(t, "Event: start; ID: 3ad7b26ded6d8e7b23da7d48; Image: nginx:1.25; name: web"),
			[]string{"evt.infra.docker.name", "evt.infra.docker.container.id", "evt.infra.docker.container.image"}},
	} {
		c := NewContext(state.New())
		var e event.Event
		if err := e.Reset(tc.rec); err != nil {
			t.Fatal(err)
		}
		c.State.Apply(&e)
		c.Observe(&e)
		for _, expr := range tc.exprs {
			d, a, _, err := reg.Match(expr)
			if err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { d.Text(buf[:0], c, a) }); n != 0 {
				t.Errorf("%s: %v allocations per extraction", expr, n)
			}
		}
	}
}
