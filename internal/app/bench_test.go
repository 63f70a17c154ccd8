package app

import (
	"bytes"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/replay"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
)

// benchEvents is the size of the benchmarks' capture: the 44 events of
// examples/session.scap, 10,000 times.
const benchEvents = 44 * 10_000

// benchCapture is the example capture replayed into benchEvents events,
// built on first use.
var benchCapture = sync.OnceValues(func() ([]byte, error) {
	return replay.Build(filepath.Join(testenv.RepoRoot(), "examples", "session.scap"), benchEvents, 0)
})

// The formats bench/read.sh times against sysdig.
const (
	benchFormatShort = "%evt.num %evt.type"
	benchFormatArgs  = "%evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type %evt.args"
)

func BenchmarkPrintDefault(b *testing.B) { benchPrint(b, ReadOptions{}) }

func BenchmarkPrintFormat(b *testing.B) {
	b.Run("short", func(b *testing.B) { benchPrint(b, ReadOptions{Format: benchFormatShort}) })
	b.Run("args", func(b *testing.B) { benchPrint(b, ReadOptions{Format: benchFormatArgs}) })
}

func BenchmarkPrintJSON(b *testing.B) {
	benchPrint(b, ReadOptions{JSON: true, Format: "%evt.num %evt.time %proc.name %thread.tid %evt.type %evt.args"})
}

// benchPrint reads and prints the events of an in-memory capture, as
// 'kestrel read' does, to io.Discard; one operation is one event. At the
// end of the capture it starts again, with the timer stopped.
func benchPrint(b *testing.B, o ReadOptions) {
	data, err := benchCapture()
	if err != nil {
		b.Fatal(err)
	}
	open := func() *scap.Reader {
		rd, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return rd
	}
	rd := open()
	sink, err := newPrintSink(o, rd.Section(), io.Discard, nil)
	if err != nil {
		b.Fatal(err)
	}
	var ev event.Event
	b.ReportAllocs()
	for b.Loop() {
		err := rd.Next(&ev)
		if err == io.EOF {
			b.StopTimer()
			rd = open()
			err = sink.section(rd.Section())
			b.StartTimer()
			if err == nil {
				err = rd.Next(&ev)
			}
		}
		if err == nil {
			err = sink.event(&ev)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
