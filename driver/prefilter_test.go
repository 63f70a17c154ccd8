package driver

import (
	"reflect"
	"testing"
)

func TestPrefilterUnion(t *testing.T) {
	a := Prefilter{Open: &OpenFilter{Failed: true, Any: PathSet{Prefixes: []string{"/etc/"}}}}
	b := Prefilter{Open: &OpenFilter{WriteAll: true, Any: PathSet{Names: []string{"id_rsa"}}, Write: PathSet{Prefixes: []string{"/bin/"}}}}
	got := a.Union(b)
	want := Prefilter{Open: &OpenFilter{Failed: true, WriteAll: true,
		Any:   PathSet{Prefixes: []string{"/etc/"}, Names: []string{"id_rsa"}},
		Write: PathSet{Prefixes: []string{"/bin/"}, Names: []string{}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("union %+v, want %+v", got.Open, want.Open)
	}
	if u := a.Union(Prefilter{}); u.Open != nil {
		t.Errorf("a union with no filter filters: %+v", u.Open)
	}
}
