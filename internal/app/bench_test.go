package app

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/replay"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/pipeline"
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
	src := &loopSource{b: b, data: data}
	src.open()
	p := pipeline.New(src, src.rd.Section(), pipeline.Options{})
	pr, err := newPrinter(o, p.Context(), io.Discard, nil)
	if err != nil {
		b.Fatal(err)
	}
	p.Add(pr)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e, err := src.Next(ctx)
		if err == nil {
			err = p.Apply(e)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// loopSource reads an in-memory capture over and over, each time as a
// new section, with the benchmark's timer stopped while it reopens it.
type loopSource struct {
	b     *testing.B
	data  []byte
	rd    *scap.Reader
	ev    event.Event
	nsect int
}

func (s *loopSource) open() {
	rd, err := scap.NewReader(bytes.NewReader(s.data), scap.ReaderOptions{})
	if err != nil {
		s.b.Fatal(err)
	}
	s.rd = rd
	s.nsect++
}

func (s *loopSource) Next(context.Context) (*event.Event, error) {
	err := s.rd.Next(&s.ev)
	if err == io.EOF {
		s.b.StopTimer()
		s.open()
		s.b.StartTimer()
		err = s.rd.Next(&s.ev)
	}
	return &s.ev, err
}

func (s *loopSource) Section() *scap.Section { return s.rd.Section() }
func (s *loopSource) SectionNum() int        { return s.nsect }
func (s *loopSource) Stats() driver.Stats    { return driver.Stats{} }
func (s *loopSource) Close() error           { return nil }
