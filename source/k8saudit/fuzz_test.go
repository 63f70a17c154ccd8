package k8saudit

import (
	"testing"

	"github.com/kestrel-sec/kestrel/field"
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
	reg := Registry()
	var fmts []*field.Format
	for _, d := range reg.All() {
		expr := d.Name
		if d.Arg == field.ArgRequired {
			expr += "[/a]"
		}
		fm, err := reg.CompileFormat("*%" + expr)
		if err != nil {
			f.Fatal(err)
		}
		fmts = append(fmts, fm)
		if d.List {
			fm, err := reg.CompileFormat("*%" + d.Name + "[0]")
			if err == nil {
				fmts = append(fmts, fm)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sp Splitter
		var dec Decoder
		c := field.NewContext(nil)
		var buf []byte
		judge := func(d []byte, ts uint64) {
			if dec.Decode(c, d, ts) != nil {
				return
			}
			for _, fm := range fmts {
				buf, _ = fm.AppendText(buf[:0], c)
				buf, _ = fm.AppendJSON(buf[:0], c)
			}
		}
		sp.Split(data, judge)
		judge(data, 1)
	})
}
