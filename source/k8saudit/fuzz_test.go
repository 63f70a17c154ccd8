package k8saudit

import (
	"testing"

	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// FuzzDecode feeds arbitrary bytes to the splitter, the decoder and every
// field: nothing may panic, whatever the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","stageTimestamp":"2024-05-01T10:00:00Z","verb":"create","objectRef":{"resource":"pods"},"requestObject":{"spec":{"containers":[{"image":"x:1","securityContext":{"privileged":true},"ports":[{"hostPort":1}]}],"volumes":[{"name":"a","hostPath":{"path":"/"}}]}}}`,
		`{"kind":"EventList","items":[{"kind":"Event","auditID":"b","stageTimestamp":"2024-05-01T10:00:00.5Z","requestURI":"/x?a=%zz&b=\u0026"}]}`,
		`[{"kind":"Event","auditID":"c","stageTimestamp":"bad"}]`,
		`{"auditID":"\ud83d\ude00","user":{"groups":[1,null,{"a":[]}]},"requestObject":{"rules":[{"verbs":"*"}],"subjects":[{"kind":"ServiceAccount","name":"n"}]}}`,
		`{"a":[[[[[]]]]]}`, `"`, `[`, `{"k":1e400}`, `-0.5e-3`, "",
	} {
		f.Add([]byte(s))
	}
	fmts := srctest.Formats(f, Registry(), "[/a]", "[0]")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sp Splitter
		judge := srctest.Exercise(&Decoder{}, fmts)
		sp.Split(data, judge)
		judge(data, 1)
	})
}
