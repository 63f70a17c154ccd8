package event

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// FuzzEventReset makes an Event view arbitrary bytes, then reads every
// parameter with every decoder: a record that Reset accepts must never make
// an accessor panic. Its seed corpus is testdata/fuzz/FuzzEventReset (see
// TestFuzzEventResetSeeds).
func FuzzEventReset(f *testing.F) {
	f.Fuzz(func(t *testing.T, rec []byte) {
		fuzzReset(t, rec)
	})
}

func fuzzReset(t *testing.T, rec []byte) {
	var e Event
	if err := e.Reset(rec); err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not match ErrMalformed", err)
		}
		if e.Raw() != nil || e.NumParams() != 0 {
			t.Fatal("a failed Reset left a record in view")
		}
		return
	}
	raw := e.Raw()
	if int(e.Len()) != len(raw) || len(raw) > len(rec) || !bytes.Equal(raw, rec[:len(raw)]) {
		t.Fatalf("Raw is %d bytes, Len %d, record %d", len(raw), e.Len(), len(rec))
	}
	_, _, _, _, _ = e.TS(), e.TID(), e.Type(), e.Name(), e.Type().Dir()
	if e.Info() != Current().Lookup(e.Type()) {
		t.Fatal("Info is not the current schema's")
	}
	np := e.NumParams()
	if np > MaxParams {
		t.Fatalf("%d parameters", np)
	}
	// The values lie back to back after the length array.
	off := HeaderLen + 2*np
	if e.Info() != nil && e.Info().Large() {
		off = HeaderLen + 4*np
	}
	values := make([][]byte, np)
	for i := range np {
		p := e.Param(i)
		if off+len(p.Raw) > len(raw) || !bytes.Equal(p.Raw, raw[off:off+len(p.Raw)]) {
			t.Fatalf("parameter %d (%d bytes) is not at offset %d", i, len(p.Raw), off)
		}
		off += len(p.Raw)
		values[i] = p.Raw
		fuzzDecode(t, p)
		if p.Info != nil {
			if q, ok := e.ParamByName(p.Info.Name); !ok || len(q.Raw) > len(raw) {
				t.Fatalf("ParamByName(%q) of a present parameter: %v", p.Info.Name, ok)
			}
		}
	}
	if e.Info() != nil {
		for _, pi := range e.Info().Params {
			e.ParamByName(pi.Name)
		}
	}
	// A record whose values fill it exactly is what AppendRecord writes.
	if off == len(raw) {
		again, err := AppendRecord(nil, e.TS(), e.TID(), e.Type(), values...)
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("re-encoding differs (%v):\n got %x\nwant %x", err, again, raw)
		}
	}
}

// fuzzDecode runs every decoder on p, whatever its type.
func fuzzDecode(t *testing.T, p Param) {
	_, _, _ = p.Type(), p.Empty(), p.Str()
	p.Uint()
	p.Int()
	if b := p.Bytes(); len(b) > len(p.Raw) {
		t.Fatal("Bytes longer than the value")
	}
	if _, addr, _, path, ok := p.SockAddr(); ok && len(path) > len(p.Raw) || !ok && addr.IsValid() {
		t.Fatal("SockAddr out of bounds")
	}
	if tup, ok := p.SockTuple(); ok && len(tup.Path) > len(p.Raw) {
		t.Fatal("SockTuple path longer than the value")
	}
	n := p.FDListLen()
	if n < 0 || 2+10*n > len(p.Raw) && n > 0 {
		t.Fatalf("FDListLen %d for %d bytes", n, len(p.Raw))
	}
	for i := range n {
		p.FDListAt(i)
	}
	if _, v, ok := p.Dyn(); ok {
		if len(v.Raw) != len(p.Raw)-1 {
			t.Fatalf("Dyn value of %d bytes from %d", len(v.Raw), len(p.Raw))
		}
		fuzzDecode(t, v)
	}
}

var updateEventSeeds = flag.Bool("update-event-seeds", false, "rewrite testdata/fuzz/FuzzEventReset/seed-*")

const eventSeedDir = "testdata/fuzz/FuzzEventReset"

// fuzzEventSeeds returns records of every value shape the decoders know,
// and a few malformed ones, keyed by seed file name.
func fuzzEventSeeds(tb testing.TB) map[string][]byte {
	inet := append([]byte{AFInet, 10, 0, 0, 5}, etU16(40000)...)
	inet = append(append(inet, 93, 184, 216, 34), etU16(443)...)
	inet6 := append([]byte{AFInet6}, make([]byte, 16)...)
	inet6 = append(append(append(inet6, etU16(1)...), make([]byte, 16)...), etU16(2)...)
	unix := append(append(append([]byte{AFUnix}, etU64(1)...), etU64(2)...), "/run/s\x00"...)
	addr4 := append([]byte{AFInet, 1, 2, 3, 4}, etU16(80)...)
	addr6 := append(append([]byte{AFInet6}, make([]byte, 16)...), etU16(443)...)
	fdlist := etU16(2)
	fdlist = append(append(fdlist, etU64(0)...), etU16(1)...)
	fdlist = append(append(fdlist, etU64(5)...), etU16(4)...)
	seeds := map[string][]byte{
		"open-x":        etRec(tb, 1, 2, etOpenX, etU64(3), []byte("/etc/passwd\x00"), etU32(4097), etU32(0), etU32(0x803), etU64(77)),
		"connect-inet":  etRec(tb, 1, 2, etConnectX, etU64(0), inet, etU64(3), addr4),
		"connect-inet6": etRec(tb, 1, 2, etConnectX, etU64(0xffffffffffffff8d), inet6, etU64(3), addr6),
		"connect-unix":  etRec(tb, 1, 2, etConnectX, etU64(0), unix, etU64(4), []byte("\x01/run/s\x00")),
		"poll-fdlist":   etRec(tb, 1, 2, etPollE, fdlist, etU64(1000)),
		"setsockopt":    etRec(tb, 1, 2, etSetsockoptX, etU64(0), etU64(3), etU32(1), etU32(2), append([]byte{2}, etU32(1)...), etU32(4)),
		"ptrace-dyn":    etRec(tb, 1, 2, 169, etU64(0), append([]byte{0}, etU64(0x1000)...), append([]byte{1}, 9)),
		"bpf-dyn":       etRec(tb, 1, 2, 297, append([]byte{0}, etU64(5)...)),
		"container":     etRec(tb, 1, -1, etContainer, []byte(`{"container":{"id":"abc"}}`+"\x00")),
		"pluginevent":   etRec(tb, 1, 2, etPluginEvent, etU32(7), []byte("data")),
		"empty-values":  etRec(tb, 1, 2, etConnectX, nil, nil, nil, nil),
		"extra-params":  etRec(tb, 1, 2, etProcinfo, etU64(1), etU64(2), []byte("x")),
		"unknown-type":  etRaw(1, 2, HeaderLen+4+2, 1000, 2, 2, []uint32{1, 1}, []byte("ab")),
		"nparams-33":    etRaw(1, 2, HeaderLen, etOpenX, 33, 2, nil),
		"overrun":       etRaw(1, 2, HeaderLen+2+1, etOpenX, 1, 2, []uint32{9}, []byte("a")),
	}
	return seeds
}

func marshalEventSeed(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// TestFuzzEventResetSeeds keeps the committed seed corpus in step with
// fuzzEventSeeds; -update-event-seeds rewrites it.
func TestFuzzEventResetSeeds(t *testing.T) {
	seeds := fuzzEventSeeds(t)
	if *updateEventSeeds {
		if err := os.MkdirAll(eventSeedDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(eventSeedDir, "seed-"+name)
		want := marshalEventSeed(seeds[name])
		if *updateEventSeeds {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (%v): run go test ./event -run TestFuzzEventResetSeeds -update-event-seeds", path, err)
		}
	}
}
