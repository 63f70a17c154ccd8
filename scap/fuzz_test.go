package scap

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
)

// Bounds on the work one fuzz input may cause: a gzip stream can expand a
// thousandfold, so reading stops after this many events or bytes.
const (
	fuzzMaxEvents   = 1 << 16
	fuzzMaxBytes    = 64 << 20
	fuzzMaxBlockLen = 1 << 20
)

// FuzzReader reads whole captures, plain or gzip, and checks the reader's
// promises: no panic, errors that are FormatErrors naming an offset within
// the stream, sticky errors, offsets that never go back, and events whose
// parameters lie within their record. Its seed corpus is
// testdata/fuzz/FuzzReader (see TestFuzzReaderSeeds).
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fxFuzzRead(t, data)
	})
}

func fxFuzzRead(t *testing.T, data []byte) {
	limit := int64(len(data))
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		limit = -1 // offsets count decompressed bytes
	}
	r, err := NewReader(bytes.NewReader(data), ReaderOptions{MaxBlockLen: fuzzMaxBlockLen, MaxStateBytes: 64 << 20})
	if err != nil {
		fxCheckErr(t, err, limit)
		return
	}
	defer r.Close()
	if r.Section() == nil || r.SectionNum() != 1 {
		t.Fatalf("section %v, number %d after NewReader", r.Section(), r.SectionNum())
	}
	var ev event.Event
	last := r.Offset()
	for n := uint64(1); n <= fuzzMaxEvents && r.Offset() < fuzzMaxBytes; n++ {
		err := r.Next(&ev)
		if err == io.EOF {
			if again := r.Next(&ev); again != io.EOF {
				t.Fatalf("Next after io.EOF: %v", again)
			}
			return
		}
		if err != nil {
			fxCheckErr(t, err, limit)
			if again := r.Next(&ev); again != err {
				t.Fatalf("Next after %v: %v", err, again)
			}
			return
		}
		if ev.Num != n {
			t.Fatalf("event number %d, want %d", ev.Num, n)
		}
		off := r.Offset()
		if off < last || (limit >= 0 && off > limit) {
			t.Fatalf("offset %d after %d (stream of %d bytes)", off, last, limit)
		}
		last = off
		fxFuzzCheckEvent(t, &ev)
	}
}

// fxFuzzCheckEvent checks that a decoded event holds together.
func fxFuzzCheckEvent(t *testing.T, ev *event.Event) {
	raw := ev.Raw()
	if int(ev.Len()) != len(raw) || len(raw) < event.HeaderLen {
		t.Fatalf("event of %d bytes says %d", len(raw), ev.Len())
	}
	np := ev.NumParams()
	if np > event.MaxParams {
		t.Fatalf("%d parameters", np)
	}
	if ev.Info() == nil || ev.Info() != event.Current().Lookup(ev.Type()) {
		t.Fatalf("type %d returned without its schema", ev.Type())
	}
	// The values lie back to back after the length array.
	off := event.HeaderLen + 2*np
	if ev.Info().Large() {
		off = event.HeaderLen + 4*np
	}
	for i := range np {
		p := ev.Param(i)
		if off+len(p.Raw) > len(raw) || !bytes.Equal(p.Raw, raw[off:off+len(p.Raw)]) {
			t.Fatalf("parameter %d (%d bytes at %d) is not where the record puts it", i, len(p.Raw), off)
		}
		off += len(p.Raw)
	}
	_, _, _ = ev.TS(), ev.TID(), ev.Name()
}

var updateReaderSeeds = flag.Bool("update-reader-seeds", false, "rewrite testdata/fuzz/FuzzReader/seed-* from the block builder")

const readerSeedDir = "testdata/fuzz/FuzzReader"

// fxFuzzSeeds returns small valid captures of every block kind, built with
// the test block builder, keyed by the name of their seed file.
func fxFuzzSeeds(tb testing.TB) map[string][]byte {
	th := fxFullThread
	ev := fxProcinfo(tb, 1, th.TID)
	withMeta := func(blocks ...[]byte) []byte { return fxCapture(fxSHB(), bytes.Join(blocks, nil), ev) }
	seeds := map[string][]byte{
		"sample":          fxSample(tb),
		"sample-gzip":     fxGzip(tb, fxSample(tb)),
		"shb-options":     fxCapture(fxBlock(blockSHB, fxSHBBody(1, 0, fxCapture(fxOpt(1, "comment"), fxOpt(4, "kestrel"), fxOpt(0, "")))), ev),
		"mi":              withMeta(fxBlock(blockMI, fxMIBody(fxMachine))),
		"unknown-block":   withMeta(fxBlock(0x999, []byte("future"))),
		"concatenated":    fxCapture(withMeta(fxBlock(blockMI, fxMIBody(fxMachine))), withMeta()),
		"ev-unknown-type": fxCapture(fxSHB(), fxEvent(blockEVV2, 0, 0, fxV2Record(tb, 1, 1, 500), nil), ev),
	}
	for _, id := range []uint32{blockIL, blockILAlias, blockILV2} {
		var ents [][]byte
		for _, it := range fxIfaces {
			ents = append(ents, fxIface(id == blockILV2, it, nil))
		}
		seeds[fmt.Sprintf("il-%x", id)] = withMeta(fxBlock(id, bytes.Join(ents, nil)))
	}
	for _, id := range []uint32{blockUL, blockULAlias, blockULV2} {
		v2 := id == blockULV2
		seeds[fmt.Sprintf("ul-%x", id)] = withMeta(fxBlock(id, fxCapture(fxUser(v2, fxUsers[1], nil), fxGroup(v2, 1, fxGroups[1], nil))))
	}
	for _, id := range fxAllBlockIDs {
		if ver := plVersion(id); ver > 0 {
			seeds[fmt.Sprintf("pl-%x", id)] = withMeta(fxBlock(id, fxThread(ver, th, nil)))
		}
	}
	seeds["pl-v9-old-tail"] = withMeta(fxBlock(blockPLV9, fxThread(9, th, fxOldTail(th, 0))))
	seeds["pl-v9-old-tail-caps"] = withMeta(fxBlock(blockPLV9, fxThread(9, th, fxOldTail(th, 3))))
	seeds["pl-v9-new-tail"] = withMeta(fxBlock(blockPLV9, fxThread(9, th, fxNewTail(th))))
	for _, id := range []uint32{blockFDL, blockFDLAlias, blockFDLV2} {
		var ents [][]byte
		for _, fd := range fxFDs {
			fd.HasDev = fd.HasDev && id == blockFDLV2 // v1 entries have no device
			ents = append(ents, fxFD(id == blockFDLV2, fd, nil))
		}
		seeds[fmt.Sprintf("fdl-%x", id)] = withMeta(fxBlock(id, fxFDLBody(th.TID, ents...)))
	}
	seeds["fdl-v2-unknown-type"] = withMeta(fxBlock(blockFDLV2, fxFDLBody(1, fxEntry(true, fxBuf(nil).i64(5).u64(55).u8(99).raw([]byte("xyz"))))))
	open := [][]byte{fxU64(3), fxCStr("/etc/passwd"), fxU32(1), fxU32(0)}
	for _, id := range []uint32{blockEV, blockEVAlias, blockEVF} {
		seeds[fmt.Sprintf("ev-%x", id)] = fxCapture(fxSHB(), fxEvent(id, 1, 1, fxV1Record(1, 1, fxOpenX, 0, open...), nil))
	}
	seeds["ev-v1-notification"] = fxCapture(fxSHB(), fxEvent(blockEV, 0, 0, fxV1Record(1, 1, 280, 3, fxCStr("id"), fxCStr("desc")), nil))
	for _, id := range []uint32{blockEVV2, blockEVFV2} {
		seeds[fmt.Sprintf("ev-%x", id)] = fxCapture(fxSHB(), fxEvent(id, 1, 1, fxV2Record(tb, 1, 1, fxOpenX, open...), fxOpt(1, "x")))
	}
	for _, id := range []uint32{blockEVV2Large, blockEVFV2Large} {
		seeds[fmt.Sprintf("ev-%x", id)] = fxCapture(fxSHB(), fxEvent(id, 1, 1, fxV2Record(tb, 1, -1, fxContainer, fxCStr(`{"id":"c"}`)), nil))
	}
	return seeds
}

// fxRealSeeds cuts the real captures down to their section header, machine,
// interface and user blocks and their first events: a few KiB each.
func fxRealSeeds(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for name, data := range fxRealCaptures(t) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		ends, events := fxBlockEnds(plain)
		var keep [][]byte
		start, nev := 0, 0
		for i, end := range ends {
			typ := uint32(plain[start]) | uint32(plain[start+1])<<8 | uint32(plain[start+2])<<16 | uint32(plain[start+3])<<24
			isList := plVersion(typ) > 0 || typ == blockFDL || typ == blockFDLV2 || typ == blockFDLAlias
			if !isList && (events[i] == 0 || nev < 24) {
				keep = append(keep, plain[start:end])
				if events[i] > 0 {
					nev++
				}
			}
			start = end
		}
		out["real-"+strings.TrimSuffix(name, ".scap")] = bytes.Join(keep, nil)
	}
	return out
}

func fxMarshalSeed(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// TestFuzzReaderSeeds keeps the committed seed corpus in step with the
// block builder. Run with -update-reader-seeds to rewrite it (the seeds
// cut from the real captures are written too when they are present).
func TestFuzzReaderSeeds(t *testing.T) {
	seeds := fxFuzzSeeds(t)
	if *updateReaderSeeds {
		for name, data := range fxRealSeeds(t) {
			seeds[name] = data
		}
		if err := os.MkdirAll(readerSeedDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		data := seeds[name]
		if !strings.HasPrefix(name, "real-") {
			if res := fxRead(data, ReaderOptions{}); res.Err != nil || len(res.Events) == 0 {
				t.Errorf("seed %s is not a valid capture: %v", name, res.Err)
			}
		}
		path := filepath.Join(readerSeedDir, "seed-"+name)
		if *updateReaderSeeds {
			if err := os.WriteFile(path, fxMarshalSeed(data), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, fxMarshalSeed(data)) {
			t.Errorf("%s is missing or stale (%v): run go test ./scap -run TestFuzzReaderSeeds -update-reader-seeds", path, err)
		}
	}
}
