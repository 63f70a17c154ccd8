package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// page is a System Log API page of n events, compact as the API sends it.
func page(t *testing.T, n int) []byte {
	evs := make([]any, n)
	for i := range evs {
		evs[i] = logEvent("user.session.start", map[string]any{"uuid": "e" + string(rune('a'+i%26))})
	}
	return srctest.JSON(t, evs)
}

type got struct {
	evs     []string
	ts      []uint64
	skipped []error
}

func (g *got) emit(ev []byte, ts uint64) {
	g.evs = append(g.evs, string(ev))
	g.ts = append(g.ts, ts)
}

func TestSplitPage(t *testing.T) {
	var sp Splitter
	var g got
	skipped, err := sp.Split(page(t, 3), g.emit)
	if err != nil || len(skipped) != 0 || len(g.evs) != 3 {
		t.Fatalf("events %d, skipped %v, err %v", len(g.evs), skipped, err)
	}
	if g.ts[0] != 1714557600123000000 {
		t.Errorf("time %d", g.ts[0])
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(g.evs[1]), &ev); err != nil || ev["uuid"] != "eb" {
		t.Errorf("event %s: %v", g.evs[1], err)
	}
	g = got{}
	if skipped, err := sp.Split([]byte(" [ ]\n"), g.emit); err != nil || len(skipped)+len(g.evs) != 0 {
		t.Errorf("empty page: %d events, %v, %v", len(g.evs), skipped, err)
	}
}

func TestSplitForms(t *testing.T) {
	one := string(srctest.JSON(t, logEvent("user.session.start", nil)))
	var pretty bytes.Buffer
	json.Indent(&pretty, page(t, 2), "", "  ")
	cases := []struct {
		name          string
		data          string
		events, skips int
		err           error
	}{
		{"one event", one, 1, 0, nil},
		{"json lines", one + "\n" + one + "\r\n\n" + one, 3, 0, nil},
		{"pretty array", pretty.String(), 2, 0, nil},
		{"pretty lines", strings.ReplaceAll(pretty.String()[1:len(pretty.String())-1], "},\n  {", "}\n{"), 2, 0, nil},
		{"arrays a line", string(page(t, 2)) + "\n" + string(page(t, 3)), 5, 0, nil},
		{"a bad line", one + "\n{\"eventType\": \n" + one, 2, 1, nil},
		{"a broken string", one + "\n{\"eventType\":\"x\n" + one, 2, 1, nil},
		{"garbage lines", "hello\n" + one + "\n42\n\"str\"\n", 1, 3, nil},
		{"no published", `[{"eventType":"a"},` + one + `]`, 1, 1, nil},
		{"bad published", `{"eventType":"a","published":"yesterday"}` + "\n" + one, 1, 1, nil},
		{"no eventType", `{"published":"2024-05-01T10:00:00Z"}` + one, 1, 1, nil},
		{"nested array", `[[` + one + `]]`, 0, 0, ErrNotOkta},
		{"cut short", one + "\n" + one[:100], 1, 1, nil},
		{"not json", "<html>", 0, 0, ErrNotOkta},
		{"only bad", `{"a":1}`, 0, 0, ErrNotOkta},
		{"unclosed array", `[` + one, 1, 1, nil},
	}
	for _, c := range cases {
		var sp Splitter
		var g got
		skipped, err := sp.Split([]byte(c.data), g.emit)
		if len(g.evs) != c.events || len(skipped) != c.skips || !errors.Is(err, c.err) {
			t.Errorf("%s: %d events, skipped %v, error %v; want %d, %d, %v", c.name, len(g.evs), skipped, err, c.events, c.skips, c.err)
		}
		// The stream, read a byte at a time, gives the same.
		var gs got
		sp.SplitReader(iotest.OneByteReader(strings.NewReader(c.data)), gs.emit, func(err error) { gs.skipped = append(gs.skipped, err) })
		if strings.Join(gs.evs, "\n") != strings.Join(g.evs, "\n") || c.err == nil && len(gs.skipped) != c.skips {
			t.Errorf("%s: streamed %d events, %d skipped", c.name, len(gs.evs), len(gs.skipped))
		}
	}
}

func TestSplitTooLarge(t *testing.T) {
	big := logEvent("user.session.start", map[string]any{"displayMessage": strings.Repeat("x", 5000)})
	small := srctest.JSON(t, logEvent("user.session.start", nil))
	data := srctest.JSON(t, []any{big, json.RawMessage(small)})
	sp := Splitter{MaxEventSize: 4096}
	var g got
	skipped, err := sp.Split(data, g.emit)
	if err != nil || len(g.evs) != 1 || len(skipped) != 1 || !errors.Is(skipped[0], ErrTooLarge) {
		t.Errorf("%d events, skipped %v, %v", len(g.evs), skipped, err)
	}
	// Streamed, an oversized event is not held: the buffer stays small.
	huge := strings.Repeat(`{"displayMessage":"`+strings.Repeat("y", 1<<20)+`"}`+"\n", 4) + string(small)
	sc := newScanner(strings.NewReader(huge), nil, 4096)
	var events, bad int
	for {
		val, _, b, ok := sc.next()
		if !ok {
			break
		}
		if b != nil {
			bad++
		} else if len(val) > 0 {
			events++
		}
		if cap(sc.buf) > 4*readChunk {
			t.Fatalf("buffer grew to %d", cap(sc.buf))
		}
	}
	if events != 1 || bad != 4 {
		t.Errorf("%d values, %d bad", events, bad)
	}
}

func TestDetect(t *testing.T) {
	one := srctest.JSON(t, logEvent("user.session.start", nil))
	pg := page(t, 40)
	var pretty bytes.Buffer
	json.Indent(&pretty, pg, "", "  ")
	yes := map[string][]byte{
		"page": pg, "one": one, "lines": append(append(append([]byte{}, one...), '\n'), one...),
		"pretty page": pretty.Bytes(), "head of a page": pg[:1500], "head of a pretty page": pretty.Bytes()[:2500],
		"first line bad": append([]byte("\n\n"), one...),
	}
	no := map[string][]byte{
		"k8s audit":  []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","stageTimestamp":"2024-05-01T10:00:00Z"}`),
		"cloudtrail": []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventType":"AwsApiCall","userIdentity":{"type":"IAMUser"}}]}`),
		"github":     []byte(`{"@timestamp":1714557600000,"action":"repo.create","actor":"octocat","org":"example"}`),
		"scap":       {0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0x1c},
		"empty":      nil, "empty array": []byte("[]"), "numbers": []byte("[1,2,3]"),
		"no actor": []byte(`{"uuid":"u","published":"2024-05-01T10:00:00Z","eventType":"x"}`),
	}
	for name, data := range yes {
		if !Detect(data) {
			t.Errorf("%s not detected", name)
		}
	}
	for name, data := range no {
		if Detect(data) {
			t.Errorf("%s detected", name)
		}
	}
}

func TestFileReader(t *testing.T) {
	dir := t.TempDir()
	one := srctest.JSON(t, logEvent("user.account.lock", nil))
	os.WriteFile(filepath.Join(dir, "b.jsonl"), append(append(append([]byte{}, one...), "\nnot json\n"...), one...), 0o600)
	os.WriteFile(filepath.Join(dir, "a.json"), page(t, 3), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	stats := &jsonsrc.Stats{}
	var types []string
	r := &FileReader{Stats: stats, Emit: func(data []byte, ts uint64) {
		var ev struct{ EventType string }
		json.Unmarshal(data, &ev)
		types = append(types, ev.EventType)
	}}
	if err := r.Read(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if strings.Join(types, ",") != "user.session.start,user.session.start,user.session.start,user.account.lock,user.account.lock" {
		t.Errorf("events %q", types)
	}
	if n := stats.Snapshot().Invalid; n != 1 {
		t.Errorf("invalid %d, want 1", n)
	}
	if err := r.Read(context.Background(), filepath.Join(dir, "none")); err == nil {
		t.Error("missing file read")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	types = nil
	if err := r.Read(ctx, dir); err != nil || len(types) != 0 {
		t.Errorf("canceled read: %v, %d events", err, len(types))
	}
}
