package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// exitOnlyFormat is what `kestrel read` prints of an event's fd, process
// and user, which the host model gives.
const exitOnlyFormat = "*%fd.num %fd.type %fd.typechar %fd.name %fd.directory %fd.sip %fd.cip %fd.sport %fd.cport %fd.l4proto %fd.sockfamily %fd.is_server " +
	"%proc.name %proc.pname %proc.exe %proc.exepath %proc.cwd %proc.pid %proc.ppid %thread.tid %user.name %user.uid %group.name"

// exitOnlyStream turns a classic stream into the current model's: the
// canonicalizer folds the enter events current producers no longer emit
// into their exits; the enters it keeps (those of connect and the opens)
// are folded here too, into the empty parameters of their exit, so that
// no syscall enter is left. The event returned is valid until the next
// call.
type exitOnlyStream struct {
	canon event.Canonicalizer
	held  map[int64][]byte // tid -> enter record kept for its exit
	enter event.Event
	vals  [][]byte
	buf   []byte
	out   event.Event
}

func (x *exitOnlyStream) next(in *event.Event) (*event.Event, bool, error) {
	ce, ok, err := x.canon.Apply(in)
	if err != nil || !ok {
		return nil, false, err
	}
	info := ce.Info()
	if info == nil {
		return ce, true, nil
	}
	if ce.Type().IsEnter() {
		if info.Flags&event.FlagConverterManaged == 0 {
			return ce, true, nil // not a syscall's enter (procexit, switch…)
		}
		if x.held == nil {
			x.held = map[int64][]byte{}
		}
		x.held[ce.TID()] = append(x.held[ce.TID()][:0], ce.Raw()...)
		return nil, false, nil
	}
	b, found := x.held[ce.TID()]
	if !found {
		return ce, true, nil
	}
	delete(x.held, ce.TID())
	if x.enter.Reset(b) != nil || x.enter.Type() != ce.Type()-1 {
		return ce, true, nil
	}
	x.vals = x.vals[:0]
	for i := 0; i < ce.NumParams(); i++ {
		v := ce.Param(i).Raw
		if len(v) == 0 && i < len(info.Params) {
			if p, ok := x.enter.ParamByName(info.Params[i].Name); ok {
				v = p.Raw
			}
		}
		x.vals = append(x.vals, v)
	}
	x.buf, err = event.AppendRecord(x.buf[:0], ce.TS(), ce.TID(), ce.Type(), x.vals...)
	if err != nil {
		return nil, false, fmt.Errorf("event %d: %w", ce.Num, err)
	}
	if err := x.out.Reset(x.buf); err != nil {
		return nil, false, fmt.Errorf("event %d: %w", ce.Num, err)
	}
	x.out.Num, x.out.CPU, x.out.DumpFlags = ce.Num, ce.CPU, ce.DumpFlags
	return &x.out, true, nil
}

// modelView is a model and what prints its fields.
type modelView struct {
	st   *state.State
	fc   *field.Context
	line []byte
}

func newModelView(sec *scap.Section) *modelView {
	st := state.FromSection(sec)
	fc := field.NewContext(st)
	fc.Resolver = st
	return &modelView{st: st, fc: fc}
}

func (m *modelView) apply(fm *field.Format, e *event.Event) string {
	m.st.Apply(e)
	m.fc.Observe(e)
	m.line, _ = fm.AppendText(m.line[:0], m.fc)
	return string(m.line)
}

// TestExitOnlyModelOnCaptures applies every capture of the differential
// twice: as it is (the classic model) and turned into exit events alone
// (the current model), and requires the fd, process and user fields of
// every exit event to be the same either way.
func TestExitOnlyModelOnCaptures(t *testing.T) {
	fm, err := field.Default().CompileFormat(exitOnlyFormat)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range fieldCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			exitOnlyCompare(t, path, fm)
		})
	}
}

func exitOnlyCompare(t *testing.T, path string, fm *field.Format) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := scap.NewReader(f, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	classic, current := newModelView(rd.Section()), newModelView(rd.Section())
	var x exitOnlyStream
	var ev event.Event
	sect := rd.SectionNum()
	compared, differ, enters := 0, 0, 0
	for {
		if err := rd.Next(&ev); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if rd.SectionNum() != sect {
			sect = rd.SectionNum()
			classic.st.Reset(rd.Section())
			current.st.Reset(rd.Section())
		}
		if info := ev.Info(); info != nil && ev.Type().IsEnter() && info.Flags&event.FlagConverterManaged != 0 {
			enters++
		}
		want := classic.apply(fm, &ev)
		ce, ok, err := x.next(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		got := current.apply(fm, ce)
		if ce.Type().IsEnter() {
			continue
		}
		if ce.Num != ev.Num {
			t.Fatalf("exit-only event %d handed on at event %d", ce.Num, ev.Num)
		}
		compared++
		if got != want {
			if differ++; differ <= 10 {
				t.Errorf("event %d %s:\n classic   %s\n exit only %s", ev.Num, ev.Name(), want, got)
			}
		}
	}
	if compared == 0 || enters == 0 {
		t.Fatalf("%d exit events compared, %d syscall enters folded: nothing was tested", compared, enters)
	}
	if differ > 0 {
		t.Errorf("%d of %d exit events differ", differ, compared)
	}
	t.Logf("%d exit events compared", compared)
}
