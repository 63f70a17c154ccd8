package event_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// TestCanonicalizerOnCaptures turns the classic-model shared captures into
// canonical events and checks what current readers guarantee: no enter
// event of a syscall is left, every exit carries its full current schema,
// and parameters taken from the enter event hold the enter's values.
func TestCanonicalizerOnCaptures(t *testing.T) {
	for _, path := range testenv.Captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := scap.NewReader(f, scap.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var c event.Canonicalizer
			var ev event.Event
			lastEnterFD := map[int64]int64{}
			in, out, merged := 0, 0, 0
			for {
				if err := r.Next(&ev); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				in++
				if ev.Type().IsEnter() {
					if p, ok := ev.ParamByName("fd"); ok && ev.Info().Flags&event.FlagUsesFD != 0 {
						lastEnterFD[ev.TID()] = p.Int()
					}
				}
				ce, ok, err := c.Apply(&ev)
				if err != nil {
					t.Fatalf("event %d: %v", ev.Num, err)
				}
				if !ok {
					continue
				}
				out++
				info := ce.Info()
				if ce.Type().IsEnter() && info.Flags&event.FlagOldVersion != 0 {
					if x := event.Current().Lookup(ce.Type() + 1); x != nil && x.Known() {
						t.Fatalf("event %d: enter event %s handed on", ce.Num, info.Name)
					}
				}
				if !ce.Type().IsEnter() && info.Flags&event.FlagConverterManaged != 0 {
					if ce.NumParams() < len(info.Params) {
						t.Fatalf("event %d %s: %d of %d parameters", ce.Num, info.Name, ce.NumParams(), len(info.Params))
					}
					if ce != &ev {
						merged++
					}
					if fd, ok := ce.ParamByName("fd"); ok && info.Flags&event.FlagUsesFD != 0 && !fd.Empty() && info.Params[0].Name != "fd" {
						if want, seen := lastEnterFD[ce.TID()]; seen && fd.Int() != want {
							t.Fatalf("event %d %s: fd %d, enter had %d", ce.Num, info.Name, fd.Int(), want)
						}
					}
				}
			}
			if merged == 0 || out >= in {
				t.Fatalf("%d events in, %d out, %d merged: nothing was canonicalised", in, out, merged)
			}
			t.Logf("%d events in, %d canonical events out, %d exits merged", in, out, merged)
		})
	}
}
