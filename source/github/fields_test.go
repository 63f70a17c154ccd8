package github

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// upstreamFields are the fields of the upstream github plugin, all text.
var upstreamFields = []string{
	"github.type", "github.action", "github.user", "github.repo", "github.repo.url", "github.repo.name",
	"github.repo.description", "github.org", "github.owner", "github.repo.public", "github.collaborator.name",
	"github.collaborator.role", "github.webhook.id", "github.webhook.type", "github.commit.added",
	"github.commit.modified", "github.commit.removed", "github.diff.has_secrets",
	"github.diff.committed_secrets.desc", "github.diff.committed_secrets.files",
	"github.diff.committed_secrets.lines", "github.diff.committed_secrets.links",
	"github.workflow.has_miners", "github.workflow.miners.type", "github.workflow.filename",
}

func TestFieldTable(t *testing.T) {
	reg := Registry()
	n := 0
	for _, d := range reg.All() {
		if len(d.Name) > 7 && d.Name[:7] == "github." {
			n++
		}
	}
	if n != len(upstreamFields) {
		t.Errorf("%d github.* fields, want %d", n, len(upstreamFields))
	}
	for _, name := range upstreamFields {
		d, ok := reg.Lookup(name)
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if d.Type != event.PTCharBuf || d.Desc == "" || d.Arg != field.ArgNone {
			t.Errorf("%s: type %v, arg %v, desc %q", name, d.Type, d.Arg, d.Desc)
		}
	}
	for _, name := range []string{"json.value", "jevt.obj", "evt.num", "evt.plugininfo", "evt.source"} {
		if _, ok := reg.Lookup(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
}

func TestDecode(t *testing.T) {
	j := newJudge(t)
	data := appendEvent(nil, "member", testTime, nil, srctest.JSON(t, memberEvent("added")))
	j.fire(t, jsonsrc.Item{Data: data, TS: uint64(testTime.UnixNano())})
	for expr, want := range map[string]string{
		"evt.source":                 "github",
		"evt.pluginname":             "github",
		"evt.plugininfo":             "github member user:mallory repo:https://github.com/acme-corp/payments action:added",
		"evt.num":                    "1",
		"evt.rawtime":                "1714557600123456789",
		"json.value[/member/login]":  "eve",
		"jevt.value[/webhook_type]":  "member",
		"json.value[/received_at]":   "2024-05-01T10:00:00.123456789Z",
		"github.commit.added":        "",
		"github.workflow.has_miners": "<NA>",
	} {
		if v := j.extract(t, expr); v != want {
			t.Errorf("%s = %q, want %q", expr, v, want)
		}
	}
	rec := j.Context.Event
	if rec.Type() != event.PluginEventE || binary.LittleEndian.Uint32(rec.Param(0).Raw) != PluginID || string(rec.Param(1).Raw) != string(data) {
		t.Errorf("record: type %d, params %x", rec.Type(), rec.Param(0).Raw)
	}
	// A JSON object that is no GitHub event: no github.* value.
	j.fire(t, jsonsrc.Item{Data: []byte(`{"action":"created"}`), TS: 1})
	for _, f := range []string{"github.action", "github.type", "github.repo.public", "github.webhook.id"} {
		if v := j.extract(t, f); v != "<NA>" {
			t.Errorf("%s = %q on a foreign object", f, v)
		}
	}
	if v := j.extract(t, "evt.plugininfo"); v != "github " {
		t.Errorf("plugininfo %q", v)
	}
	// An event as the upstream plugin stores it: type and findings after
	// the payload's members, files without matches as null.
	j.fire(t, jsonsrc.Item{Data: []byte(`{"after":"abc","files":[{"matches":null,"name":"a.txt"}],"repository":{"html_url":"https://github.com/a/b","private":true},"webhook_type":"push"}`), TS: 1})
	for expr, want := range map[string]string{"github.type": "push", "github.diff.has_secrets": "false", "github.repo.name": "a/b", "github.repo.public": "false"} {
		if v := j.extract(t, expr); v != want {
			t.Errorf("upstream event: %s = %q, want %q", expr, v, want)
		}
	}
	var d Decoder
	c := field.NewContext(nil)
	for _, bad := range []string{`[1]`, `"x"`, `{`, ``} {
		if err := d.Decode(c, []byte(bad), 1); err == nil {
			t.Errorf("%q decoded", bad)
		} else if bad[:min(1, len(bad))] == "[" && !errors.Is(err, ErrNotGitHub) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if c.Plugin != nil {
		t.Error("a failed decode changed the context")
	}
}

// TestFieldEdgeCases covers payload shapes the rules files do not.
func TestFieldEdgeCases(t *testing.T) {
	j := newJudge(t)
	for _, c := range []struct {
		payload string
		field   string
		want    string
	}{
		{`{"repository":{"html_url":"https://ghe.example.com/a/b"}}`, "github.repo.name", "https://ghe.example.com/a/b"},
		{`{"repository":{"private":"yes"}}`, "github.repo.public", "true"},
		{`{"repository":null}`, "github.repo.public", "<NA>"},
		{`{"hook":{"id":-4}}`, "github.webhook.id", "0"},
		{`{"hook":{"id":"12"}}`, "github.webhook.id", "0"},
		{`{"repository":{"description":null}}`, "github.repo.description", ""},
		{`{"commits":[{"added":["a",1,"b"]},{"added":[]},{"added":["c"]}]}`, "github.commit.added", "a,,b,c"},
		{`{"files":[{"name":"x","matches":[]},{"name":"y"}]}`, "github.diff.has_secrets", "false"},
		{`{"files":[{"name":"x","matches":[{"line":3.5,"desc":"d"}]}]}`, "github.diff.committed_secrets.lines", "0"},
		{`{"files":[{"name":"x","matches":[{"line":3.5,"desc":"d"}]}]}`, "github.diff.committed_secrets.links", "/blob//x/#L0"},
		{`{"files":{}}`, "github.diff.committed_secrets.desc", "<NA>"},
		{`{"workflow_miner_detections":{"matches":[{"type":"pool"},{"type":"xmrig"},{"type":"pool"},{"type":"xmrig"}]}}`, "github.workflow.miners.type", "pool,xmrig"},
		{`{"workflow_miner_detections":{"matches":null}}`, "github.workflow.has_miners", "<NA>"},
		{`{"workflow_miner_detections":{"matches":[]}}`, "github.workflow.has_miners", "false"},
		{`{"sender":{"login":"a\u00e9\"b"}}`, "github.user", "aé\"b"},
	} {
		data := appendEvent(nil, "x", testTime, nil, []byte(c.payload))
		j.fire(t, jsonsrc.Item{Data: data, TS: 1})
		if v := j.extract(t, c.field); v != c.want {
			t.Errorf("%s: %s = %q, want %q", c.payload, c.field, v, c.want)
		}
	}
}

// TestDecodeAllocs checks that decoding and reading every field allocates
// nothing once the buffers have grown.
func TestDecodeAllocs(t *testing.T) {
	data := appendEvent(nil, "push", testTime, []byte(`"files":[{"name":"a","matches":[{"line":1,"type":"key","desc":"slack","platform":"Slack"}]}]`), srctest.JSON(t, pushEvent("leaky", false)))
	reg := Registry()
	var fmts []*field.Format
	for _, name := range upstreamFields {
		f, err := reg.CompileFormat("%" + name)
		if err != nil {
			t.Fatal(err)
		}
		fmts = append(fmts, f)
	}
	var d Decoder
	c := field.NewContext(nil)
	c.Location = time.UTC
	buf := make([]byte, 0, 4096)
	run := func() {
		if err := d.Decode(c, data, 1); err != nil {
			t.Fatal(err)
		}
		for _, f := range fmts {
			buf, _ = f.AppendText(buf[:0], c)
		}
	}
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Errorf("%.1f allocations per event", n)
	}
}
