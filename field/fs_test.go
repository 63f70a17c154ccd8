package field

import (
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/state"
)

// TestFSPath checks the fs.path fields on the syscalls current Falco
// defines them for: the path parameters it names, made absolute against
// the working directory (/home/alice) or the directory fd (5 is /etc),
// and only for successful calls.
func TestFSPath(t *testing.T) {
	na := "<NA>"
	cases := []struct {
		name string
		vals vals
		want map[string]string
	}{
		{"mkdir", vals{"res": 0, "path": "new/../dir"}, map[string]string{
			"fs.path.name": "/home/alice/dir", "fs.path.nameraw": "new/../dir", "fs.path.source": na, "fs.path.target": na}},
		{"mkdir", vals{"res": -17, "path": "dir"}, map[string]string{"fs.path.name": na, "fs.path.nameraw": na}},
		{"unlinkat", vals{"res": 0, "dirfd": 5, "name": "shadow"}, map[string]string{"fs.path.name": "/etc/shadow", "fs.path.nameraw": "shadow"}},
		{"unlinkat", vals{"res": 0, "dirfd": -100, "name": "x"}, map[string]string{"fs.path.name": "/home/alice/x"}},
		{"unlinkat", vals{"res": 0, "dirfd": 7, "name": "/abs"}, map[string]string{"fs.path.name": "/abs"}},
		{"rename", vals{"res": 0, "oldpath": "a", "newpath": "/tmp/b"}, map[string]string{
			"fs.path.source": "/home/alice/a", "fs.path.sourceraw": "a", "fs.path.target": "/tmp/b", "fs.path.targetraw": "/tmp/b", "fs.path.name": na}},
		{"symlinkat", vals{"res": 0, "target": "/opt/t", "linkdirfd": 5, "linkpath": "l"}, map[string]string{
			"fs.path.source": "/etc/l", "fs.path.target": "/opt/t", "fs.path.targetraw": "/opt/t"}},
		{"open", vals{"fd": 3, "name": "rel", "flags": 1}, map[string]string{"fs.path.name": "/home/alice/rel", "fs.path.nameraw": "rel"}},
		{"open", vals{"fd": -1, "name": "rel", "flags": 1}, map[string]string{"fs.path.name": na}},
	}
	for _, tc := range cases {
		st := state.FromSection(fdSection())
		c := NewContext(st)
		var e event.Event
		if err := e.Reset(evtest.MustRecord(event.Legacy(), 1, 100, legacyType(t, tc.name, false), tc.vals)); err != nil {
			t.Fatal(err)
		}
		st.Apply(&e)
		c.Observe(&e)
		for expr, want := range tc.want {
			if got := fieldText(t, c, expr); got != want {
				t.Errorf("%s %v: %s = %q, want %q", tc.name, tc.vals, expr, got, want)
			}
		}
	}
}
