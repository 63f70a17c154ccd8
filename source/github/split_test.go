package github

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// recorded returns events as the webhook queues them, one a line.
func recorded(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var out []byte
	for i, ev := range []struct {
		typ     string
		payload map[string]any
	}{
		{"ping", pingEvent()},
		{"repository", repoEvent("publicized", repository("payments", false), nil)},
		{"member", memberEvent("added")},
	} {
		out = appendEvent(out, ev.typ, at.Add(time.Duration(i)*time.Second), nil, srctest.JSON(t, ev.payload))
		out = append(out, '\n')
	}
	return out
}

func TestSplit(t *testing.T) {
	data := recorded(t)
	bad := "\n{\"zen\":\"no type\"}\n[1]\n{\"webhook_type\":\"ping\",\"received_at\":\"yesterday\"}\r\n"
	var sp Splitter
	var times []uint64
	skipped, err := sp.Split(append(data, bad...), func(ev []byte, ts uint64) {
		if !bytes.HasPrefix(ev, []byte(`{"webhook_type":`)) {
			t.Errorf("event %.40s", ev)
		}
		times = append(times, ts)
	})
	if err != nil {
		t.Fatal(err)
	}
	base := uint64(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixNano())
	if !slices.Equal(times, []uint64{base, base + 1e9, base + 2e9}) {
		t.Errorf("times %v", times)
	}
	if len(skipped) != 3 || !strings.HasPrefix(skipped[0].Error(), "line 5:") || !errors.Is(skipped[2], ErrNotGitHub) {
		t.Errorf("skipped %v", skipped)
	}
	if _, err := sp.Split([]byte("{}\n"), func([]byte, uint64) {}); !errors.Is(err, ErrNotGitHub) {
		t.Errorf("no event: %v", err)
	}
	sp.MaxEventSize = 100
	if sk, _ := sp.Split(data, func([]byte, uint64) {}); len(sk) != 3 || !errors.Is(sk[0], ErrTooLarge) {
		t.Errorf("size limit: %v", sk)
	}
}

func TestDetect(t *testing.T) {
	data := recorded(t)
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"file", data, true},
		{"head of a file", data[:200], true},
		{"head of a file, cut in the type", data[:10], false},
		{"blank lines first", append([]byte("\n\n  "), data...), true},
		{"a k8s audit event", []byte(`{"kind":"Event","auditID":"a","stage":"ResponseComplete"}` + "\n"), false},
		{"raw GitHub payload", append(srctest.JSON(t, pingEvent()), '\n'), false},
		{"type not first, whole line", []byte(`{"zen":"x","webhook_type":"ping"}`), true},
		{"type not first, cut", []byte(`{"zen":"x","webhook_type":"pi`), false},
		{"array", []byte(`[{"webhook_type":"ping"}]`), false},
		{"empty", nil, false},
		{"capture", []byte("\x0a\x0d\x0d\x0a"), false},
	} {
		if got := Detect(c.data); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFileReader(t *testing.T) {
	dir := t.TempDir()
	data := recorded(t)
	os.WriteFile(filepath.Join(dir, "b.jsonl"), data, 0o600)
	long := `{"webhook_type":"ping","received_at":"2024-05-01T10:00:00Z","pad":"` + strings.Repeat("x", 70000) + "\"}\n"
	os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("not json\n"+long+string(data[:bytes.IndexByte(data, '\n')])), 0o600)
	stats := &jsonsrc.Stats{}
	var types []string
	r := &FileReader{MaxEventSize: 64 << 10, Stats: stats, Emit: func(ev []byte, _ uint64) {
		var d jsonsrc.Doc
		if err := d.Parse(ev); err != nil {
			t.Fatal(err)
		}
		types = append(types, string(d.Root().Get(keyType).AppendText(nil)))
	}}
	if err := r.Read(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ping", "ping", "repository", "member"}; !slices.Equal(types, want) {
		t.Errorf("types %q, want %q", types, want)
	}
	if s := stats.Snapshot(); s.Invalid != 2 {
		t.Errorf("stats %+v", s)
	}
	if err := r.Read(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was read")
	}
}

// TestReplay judges recorded events as live ones were judged.
func TestReplay(t *testing.T) {
	j := newJudge(t)
	var fired []string
	var sp Splitter
	sp.Split(recorded(t), func(ev []byte, ts uint64) {
		got, _ := j.fire(t, jsonsrc.Item{Data: ev, TS: ts})
		fired = append(fired, got...)
	})
	want := []string{"Webhook Connected", "Private Repository Becoming Public", "Add Collaborator to Repository"}
	if !slices.Equal(fired, want) {
		t.Errorf("fired %q, want %q", fired, want)
	}
	if v := j.extract(t, "evt.time.iso8601"); v != "2024-05-01T10:00:02.000000000+0000" {
		t.Errorf("evt.time.iso8601 %q", v)
	}
}
