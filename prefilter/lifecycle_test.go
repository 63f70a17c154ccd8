package prefilter

import (
	"slices"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/defaultrules"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/rules"
)

// The file fd a dropped open would have created, and the fds other
// events create in the tests.
const (
	fileFD = 7
	newFD  = 9
)

// otherEvents are the current exit events outside the open family with
// an fd parameter: the events on which a missing file fd could change
// what a rule sees.
func otherEvents(t *testing.T) []event.Type {
	fam := openFamilies()
	var out []event.Type
	for c := 2; c < maxTypes; c++ {
		info := event.Current().Lookup(event.Type(c))
		if info == nil || !info.Known() || event.Type(c).IsEnter() || fam.all.has(c) {
			continue
		}
		for _, p := range info.Params {
			if fdParam(p.Type) && p.Type != event.PTDyn && p.Name != "res" {
				out = append(out, event.Type(c))
				break
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d events with an fd", len(out))
	}
	return out
}

// otherVals gives an event's fd parameters the file fd (a new fd for a
// result), and leaves the others zero.
func otherVals(info *event.Info) map[string]any {
	vals := map[string]any{}
	for _, p := range info.Params {
		switch {
		case p.Type == event.PTFDList || p.Type == event.PTDyn:
		case fdParam(p.Type) && p.Name == "res":
			vals[p.Name] = newFD
		case fdParam(p.Type):
			vals[p.Name] = fileFD
		}
	}
	return vals
}

// matchesOn returns the rules that match event type typ on fd fileFD of
// each thread, in a model that saw the open of fileFD (seen) or not.
func matchesOn(t *testing.T, eng *engine.Engine, procs []string, typ event.Type, seen bool) []string {
	w := newWorld(t, procs)
	if seen {
		for _, tid := range w.tids {
			w.apply(openCase{call: "openat", tid: tid, arg: "/etc/passwd", path: "/etc/passwd", flags: ppmRead, mode: 0o644, res: fileFD})
		}
	}
	info := event.Current().Lookup(typ)
	var out []string
	for _, tid := range w.tids {
		w.ts++
		raw, err := evtest.Record(event.Current(), w.ts, tid, typ, otherVals(info))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.ev.Reset(raw); err != nil {
			t.Fatal(err)
		}
		w.ev.Num = w.ts
		w.st.Apply(&w.ev)
		w.ctx.Observe(&w.ev)
		eng.Matches(w.ctx, func(r *engine.Rule) { out = append(out, r.Spec.Name) })
	}
	return out
}

// checkLifecycle requires, when Derive found no rule reading the fds of
// opened files on other events, that every other event with an fd
// matches the same rules whether or not the model saw the file's open.
func checkLifecycle(t *testing.T, eng *engine.Engine, spec *rules.Spec) {
	t.Helper()
	if _, rep := Derive(eng, Options{}); len(rep.Blockers) > 0 {
		t.Fatalf("blockers: %s", rep)
	}
	procs := buildCorpus(eng, spec).procs
	if len(procs) > 60 {
		procs = procs[:60]
	}
	compared := 0
	for _, typ := range otherEvents(t) {
		with, without := matchesOn(t, eng, procs, typ, true), matchesOn(t, eng, procs, typ, false)
		compared += len(with)
		if !slices.Equal(with, without) {
			t.Errorf("%s: rules matching with the file's fd %v, without %v", typeName(int(typ)), with, without)
		}
	}
	t.Logf("%d matches compared", compared)
}

func TestLifecycleDefaultRules(t *testing.T) {
	spec, ds := rules.LoadBytes(defaultrules.Name, defaultrules.YAML())
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	checkLifecycle(t, compileSpec(t, spec), spec)
}

func TestLifecycleUpstreamRules(t *testing.T) {
	eng, spec := upstreamEngine(t, upstreamSets["falco_rules+sandbox"])
	checkLifecycle(t, eng, spec)
}

// TestLifecycleGuards checks the guards the analysis trusts (fd types and
// socket fields tested by =, in, !=), with and without the file's fd, on
// every event with an fd.
func TestLifecycleGuards(t *testing.T) {
	conds := []string{
		"fd.typechar in (4, 6, u, p, e, s, l, i, t, n) and fd.name exists",
		"fd.type in (ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink) and not fd.name exists",
		"fd.l4proto in (tcp, udp, icmp, raw) and not fd.name startswith /etc",
		"fd.sockfamily in (ip, unix) and fd.num exists",
		"fd.sip != 1.2.3.4 and not fd.directory = /etc",
		"fd.cip = 1.2.3.4 or fd.lip in (1.2.3.4) or fd.rip != 1.2.3.4 or fd.cnet = 10.0.0.0/8 or fd.snet != 10.0.0.0/8 or fd.lnet = 10.0.0.0/8 or fd.rnet != 10.0.0.0/8",
	}
	var src strings.Builder
	for i, c := range conds {
		src.WriteString(ruleYAML("g"+string(rune('a'+i)), "("+c+") and not fd.filename = x", ""))
	}
	spec, ds := rules.LoadBytes("t.yaml", []byte(src.String()))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	o := engine.DefaultOptions()
	o.Matching, o.AllEvents = engine.MatchAll, true
	eng, cds := engine.Compile(spec, o)
	if cds.HasErrors() {
		t.Fatal(cds)
	}
	checkLifecycle(t, eng, spec)
}
