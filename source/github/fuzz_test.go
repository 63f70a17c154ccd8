package github

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// FuzzDecode feeds arbitrary bytes to the splitter, the decoder and every
// field: nothing may panic, whatever the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"webhook_type":"push","received_at":"2024-05-01T10:00:00Z","files":[{"name":"a","matches":[{"line":2,"desc":"slack"}]}],"commits":[{"added":["x"]}],"repository":{"html_url":"https://github.com/a/b","private":true},"head_commit":{"id":"abc"}}`,
		`{"webhook_type":"workflow_run","workflow_miner_detections":{"name":"w","matches":[{"line":1,"type":"xmrig"},{"type":7}]},"workflow":{"path":"p"}}`,
		`{"webhook_type":"ping","hook":{"id":18446744073709551616,"type":"Repository"},"sender":{"login":"\ud83d\ude00"}}`,
		`{"webhook_type":1}`, `{"files":null}`, `[`, `"`, "", "\n\n{}\n[1]\n",
	} {
		f.Add([]byte(s))
	}
	fmts := srctest.Formats(f, Registry(), "[/files/0/name]")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sp Splitter
		judge := srctest.Exercise(&Decoder{}, fmts)
		sp.Split(data, judge)
		judge(data, 1)
		Detect(data)
	})
}

// FuzzWebhook sends arbitrary bodies and signatures to the handler: only
// a body signed with the secret is queued, whatever the bytes, and
// nothing panics.
func FuzzWebhook(f *testing.F) {
	ping := []byte(`{"zen":"z","hook":{"id":1}}`)
	f.Add(ping, Sign(testSecret, ping), "application/json")
	f.Add(ping, "sha256=", "application/json")
	f.Add([]byte("payload=%7B%7D"), Sign(testSecret, []byte("payload=%7B%7D")), "application/x-www-form-urlencoded")
	f.Add([]byte(`[]`), Sign(testSecret, []byte(`[]`)), "application/json")
	f.Add([]byte(`{}`), "sha256=ZZ"+string(bytes.Repeat([]byte("0"), 62)), "application/json; charset=x")
	f.Fuzz(func(t *testing.T, body []byte, sig, ctype string) {
		stats := &jsonsrc.Stats{}
		q := jsonsrc.NewQueue(1, stats)
		h := &Webhook{Secret: testSecret, MaxBodySize: 1 << 16, Queue: q, Stats: stats}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("X-GitHub-Event", "ping")
		req.Header.Set("X-Hub-Signature-256", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		signed := sig == Sign(testSecret, body)
		if w.Code == http.StatusOK && !signed {
			t.Fatalf("unsigned body accepted: sig %q", sig)
		}
		if w.Code == http.StatusOK {
			it := <-q.Items()
			var dec Decoder
			if err := dec.Decode(field.NewContext(nil), it.Data, it.TS); err != nil {
				t.Fatalf("queued event does not decode: %v\n%s", err, it.Data)
			}
		}
	})
}

// FuzzPatch feeds arbitrary patches to the secret scanner and workflow
// files to the miner scanner.
func FuzzPatch(f *testing.F) {
	f.Add([]byte("@@ -1,2 +1,3 @@\n ctx\n+AKIAIOSFODNN7EXAMPLE\n-x\n"))
	f.Add([]byte("@@@ -1 -1 +18446744073709551615,2 @@@\n+ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"))
	f.Add([]byte("@@ +\n+@@\n@@"))
	f.Add([]byte("x twitter 'abcdefghijklmnopqrstuvwxyz' AKIA0123456789ABCDEF"))
	f.Add([]byte("FB '0123456789abcdef0123456789abcdef' xoxb- ſk_live_"))
	sf, err := newSecretFinder()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		if r, _ := sf.find(patch, nil); r != sf.findSlow(patch) {
			t.Fatalf("%q: the hints change the rule found", patch)
		}
		for _, m := range sf.scanPatch(patch) {
			if m.Line == 0 || m.Desc == "" {
				t.Fatalf("match %+v", m)
			}
		}
		for _, m := range scanWorkflow(patch) {
			if m.Line == 0 || m.Type == "" {
				t.Fatalf("miner %+v", m)
			}
		}
	})
}
