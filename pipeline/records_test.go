package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/driver/scapfile"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/pipeline"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// inbox puts a container record in the model before event number at.
type inbox struct {
	p   *pipeline.Pipeline
	at  uint64
	rec *state.Container
}

func (b *inbox) Ready() bool { return b.rec != nil && b.p.Events() == b.at }

func (b *inbox) ApplyTo(st *state.State) {
	st.PutContainer(b.rec)
	b.rec = nil
}

// TestWriterContainerRecords checks that a writer told to write container
// records writes one for each record the model gains, before the event
// that follows, as a state-only container event that readers apply.
func TestWriterContainerRecords(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(), "testdata", "captures", "containers.scap")
	src, err := scapfile.Open(context.Background(), path, scapfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const at = 40
	full := strings.Repeat("9f", 32)
	rec := &state.Container{ID: full[:12], FullID: full, Type: state.CTPodman, Name: "late-answer",
		Image: "localhost/busybox:test", ImageRepo: "localhost/busybox", ImageTag: "test"}
	b := &inbox{at: at, rec: rec}
	p := pipeline.New(src, src.Initial(), pipeline.Options{Inbox: b})
	b.p = p
	var out bytes.Buffer
	w, err := scap.NewWriter(&out, src.Initial(), scap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ws := pipeline.NewWriter(w, p.Context(), nil)
	ws.WriteContainers()
	p.Add(ws)
	if err := p.Run(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := scap.NewReader(bytes.NewReader(out.Bytes()), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := state.FromSection(r.Section())
	var e event.Event
	n, found := 0, 0
	for {
		if err := r.Next(&e); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
		known := st.Container(full[:12]) != nil
		st.Apply(&e)
		if info := e.Info(); info == nil || info.Name != "container" || !bytes.Contains(e.Param(0).Bytes(), []byte(full)) {
			if !known && st.Container(full[:12]) != nil {
				t.Errorf("event %d (%s) made the record", n, e.Info().Name)
			}
			continue
		}
		found++
		c := st.Container(full[:12])
		if n < at || e.TID() != -1 || e.DumpFlags&event.DumpFlagStateOnly == 0 || c == nil ||
			c.Name != "late-answer" || c.Image != rec.Image || c.Type != state.CTPodman {
			t.Errorf("event %d, tid %d, flags %d: record %+v", n, e.TID(), e.DumpFlags, c)
		}
	}
	if found != 1 {
		t.Errorf("%d records of the container, want 1", found)
	}
}
