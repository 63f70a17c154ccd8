package ebpf

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/driver"
)

func TestCompilePrefilter(t *testing.T) {
	zero, err := compilePrefilter(driver.Prefilter{})
	if err != nil || zero.word != 0 || len(zero.prefixes)+len(zero.names) != 0 {
		t.Fatalf("zero pre-filter: %+v, %v", zero, err)
	}
	long := "/" + strings.Repeat("x", 300)
	pf, err := compilePrefilter(driver.Prefilter{Open: &driver.OpenFilter{
		Failed: true,
		Any:    driver.PathSet{Prefixes: []string{"/etc/", "/etc/", long}, Names: []string{"id_rsa"}},
		Write:  driver.PathSet{Names: []string{"id_rsa", strings.Repeat("n", 100)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := uint32(pfOn | pfFailed | pfAnyPrefixes | pfAnyNames | pfWriteNames); pf.word != want {
		t.Errorf("word %#x, want %#x", pf.word, want)
	}
	if len(pf.prefixes) != 2 || len(pf.names) != 3 {
		t.Fatalf("%d prefixes and %d names, want 2 and 3 (duplicates merged)", len(pf.prefixes), len(pf.names))
	}
	k := pf.prefixes[1]
	if len(k) != pfPrefixKeyBytes || binary.LittleEndian.Uint32(k) != 32+8*PrefilterPrefixMax || string(k[8:]) != long[:PrefilterPrefixMax] {
		t.Errorf("long prefix key %q: not cut to %d bytes", k, PrefilterPrefixMax)
	}
	if k := pf.names[1]; k[pfNameTag] != pfTagWrite || string(k[:6]) != "id_rsa" || k[6] != 0 {
		t.Errorf("write name key %q", k)
	}
	if k := pf.names[2]; len(k) != pfNameKeyBytes || string(k[:pfNameTag]) != strings.Repeat("n", PrefilterNameMax) {
		t.Errorf("long name key %q", k)
	}
	// With WriteAll the Write set is never looked up.
	pf, err = compilePrefilter(driver.Prefilter{Open: &driver.OpenFilter{WriteAll: true, Write: driver.PathSet{Names: []string{"x"}}}})
	if err != nil || pf.word != pfOn|pfWriteAll || len(pf.names) != 0 {
		t.Errorf("WriteAll: %+v, %v", pf, err)
	}
	for _, bad := range []driver.OpenFilter{
		{Any: driver.PathSet{Prefixes: []string{"etc/"}}},
		{Any: driver.PathSet{Prefixes: []string{""}}},
		{Write: driver.PathSet{Prefixes: []string{"/a\x00b"}}},
		{Any: driver.PathSet{Names: []string{""}}},
		{Any: driver.PathSet{Names: []string{".ssh/id_rsa"}}},
	} {
		if _, err := compilePrefilter(driver.Prefilter{Open: &bad}); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	many := make([]string, PrefilterMaxEntries+1)
	for i := range many {
		many[i] = fmt.Sprintf("/p%d", i)
	}
	if _, err := compilePrefilter(driver.Prefilter{Open: &driver.OpenFilter{Any: driver.PathSet{Prefixes: many}}}); err == nil {
		t.Error("too many prefixes: no error")
	}
}
