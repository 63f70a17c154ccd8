package okta

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// fuzzFormats compiles every field of the registry, with arguments where
// they take some.
func fuzzFormats(f *testing.F) []*field.Format {
	reg := Registry()
	var fmts []*field.Format
	for _, d := range reg.All() {
		exprs := []string{d.Name}
		switch {
		case d.Arg == field.ArgRequired && strings.HasPrefix(d.Name, "okta.mfa."):
			exprs = []string{d.Name + "[0]", d.Name + "[300]"}
		case d.Arg == field.ArgRequired:
			exprs = []string{d.Name + "[/actor/id]"}
		case d.Arg == field.ArgOptional:
			exprs = append(exprs, d.Name+"[1]")
		}
		for _, e := range exprs {
			fm, err := reg.CompileFormat("*%" + e)
			if err != nil {
				f.Fatalf("%s: %v", e, err)
			}
			fmts = append(fmts, fm)
		}
	}
	return fmts
}

// FuzzDecode feeds arbitrary bytes to the splitter (in memory and
// streamed), the decoder and every field: nothing may panic, and both
// splitters agree.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`[{"uuid":"u","published":"2024-05-01T10:00:00.123Z","eventType":"user.authentication.auth_via_mfa","actor":{"id":"a"},"outcome":{"result":"FAILURE"},"target":[{"type":"User","displayName":"x"}]}]`,
		`{"published":"2024-05-01T10:00:00Z","eventType":"user.mfa.okta_verify.deny_push","actor":{"id":"\ud83d\ude00"},"client":{"geographicalContext":{"geolocation":{"lat":"x","lon":1e400}}}}` + "\n" + `{"published":"2024-05-01T10:00:01Z","eventType":"x"}`,
		`{"eventType":1,"published":"bad","debugContext":{"debugData":{"requestUri":"/app/\u002f"}},"securityContext":{"asNumber":-1},"target":{"a":1}}`,
		"[\n  {\"eventType\": \"x\",\n  \"published\": \"2024-05-01T10:00:00Z\"\n  }\n]",
		`{"a":"` + "\n" + `{"b":1}`, `[[[[]]]]`, `"`, `[`, `]`, `{`, `}`, `,,,`, `-0.5e-3`, "",
	} {
		f.Add([]byte(s))
	}
	fmts := fuzzFormats(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sp := Splitter{MaxEventSize: 512}
		judge := srctest.Exercise(&Decoder{CacheMaxUsers: 2, CacheUserMaxSize: 2}, fmts)
		var mem, streamed [][]byte
		sp.Split(data, func(d []byte, ts uint64) { mem = append(mem, bytes.Clone(d)); judge(d, ts) })
		sp.SplitReader(bytes.NewReader(data), func(d []byte, _ uint64) { streamed = append(streamed, bytes.Clone(d)) }, func(error) {})
		if len(mem) != len(streamed) {
			t.Fatalf("%d events in memory, %d streamed", len(mem), len(streamed))
		}
		for i := range mem {
			if !bytes.Equal(mem[i], streamed[i]) {
				t.Fatalf("event %d: %q in memory, %q streamed", i, mem[i], streamed[i])
			}
		}
		judge(data, 1)
		Detect(data)
	})
}
