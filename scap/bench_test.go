package scap_test

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

// BenchmarkReaderNext reads events from an in-memory capture; one
// operation is one event. At the end of the capture it starts again, with
// the timer stopped.
func BenchmarkReaderNext(b *testing.B) {
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
	var ev event.Event
	b.SetBytes(int64(len(data) / benchEvents))
	b.ReportAllocs()
	for b.Loop() {
		err := rd.Next(&ev)
		if err == io.EOF {
			b.StopTimer()
			rd = open()
			b.StartTimer()
			err = rd.Next(&ev)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
