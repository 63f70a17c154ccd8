package prefilter

import (
	"math/rand"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/driver"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/defaultrules"
	"github.com/kestrel-sec/kestrel/internal/evtest"
	"github.com/kestrel-sec/kestrel/rules"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// PPM open flags the generated events use.
const (
	ppmRead      = 1
	ppmWrite     = 2
	ppmRDWR      = 3
	ppmCreat     = 4
	ppmAppend    = 8
	ppmTrunc     = 256
	ppmCloexec   = 4096
	ppmFCreated  = 16384
	writeByFlags = ppmWrite | ppmCreat | ppmTrunc
)

// openCase is one generated open exit event.
type openCase struct {
	call  string // open, openat, openat2 or creat
	tid   int64
	arg   string // the path argument
	path  string // the absolute path the model and the kernel see
	flags uint32
	mode  uint32
	res   int64 // the fd, or an error
}

// kernelSends is driver.OpenFilter's rule for sending an open, read
// strictly: a failed open is sent only when Failed is set.
func kernelSends(f *driver.OpenFilter, c openCase) bool {
	switch {
	case f == nil:
		return true
	case c.res < 0:
		return f.Failed
	}
	write := c.call == "creat" || c.flags&writeByFlags != 0
	if write && (f.WriteAll || inSet(f.Write, c.path)) {
		return true
	}
	return inSet(f.Any, c.path)
}

func inSet(s driver.PathSet, p string) bool {
	for _, x := range s.Prefixes {
		if strings.HasPrefix(p, x) {
			return true
		}
	}
	name := p[strings.LastIndexByte(p, '/')+1:]
	for _, n := range s.Names {
		if n == name {
			return true
		}
	}
	return false
}

// world is a host model with one thread per process profile, judging
// generated opens with a compiled engine.
type world struct {
	t      *testing.T
	st     *state.State
	ctx    *field.Context
	ev     event.Event
	ts     uint64
	tids   []int64
	cwd    map[int64]string
	fdName *field.Value
	codes  map[string]event.Type
}

// profileCwds are the working directories threads get, for relative
// paths.
var profileCwds = []string{"/", "/etc", "/root/.ssh", "/home/user", "/var/log", "/tmp"}

func newWorld(t *testing.T, procs []string) *world {
	w := &world{t: t, cwd: map[int64]string{}, codes: openCodes(t)}
	sec := &scap.Section{}
	for i, name := range procs {
		tid, ptid := int64(1000+2*i), int64(1001+2*i)
		cwd := profileCwds[i%len(profileCwds)]
		th := scap.Thread{TID: tid, PID: tid, PTID: ptid, Comm: name, Exe: name, ExePath: "/usr/bin/" + name,
			Cwd: cwd, UID: uint32(i % 2 * 1000), SID: -1, VPGID: -1, PGID: -1, VTID: -1, VPID: -1, LoginUID: 0xFFFFFFFF}
		parent := th
		parent.TID, parent.PID, parent.PTID = ptid, ptid, 1
		parent.Comm = procs[(i*7+3)%len(procs)]
		parent.Exe, parent.ExePath = parent.Comm, "/usr/bin/"+parent.Comm
		if i%3 == 1 {
			th.Cgroups = []byte("cpuset=/docker/" + strings.Repeat("ab", 32) + "\x00")
		}
		sec.Threads = append(sec.Threads, parent, th)
		w.tids = append(w.tids, tid)
		w.cwd[tid] = cwd
	}
	w.st = state.FromSection(sec)
	w.ctx = field.NewContext(w.st)
	w.ctx.Resolver = w.st
	v, err := field.Default().CompileValue("fd.name")
	if err != nil {
		t.Fatal(err)
	}
	w.fdName = v
	return w
}

// openCodes finds the current exit events of the open family.
func openCodes(t *testing.T) map[string]event.Type {
	out := map[string]event.Type{}
	for c := 2; c < maxTypes; c++ {
		info := event.Current().Lookup(event.Type(c))
		if info == nil || !info.Known() || event.Type(c).IsEnter() || !isOpenName(info.Name) || len(info.Params) < 2 {
			continue
		}
		out[info.Name] = event.Type(c)
	}
	if len(out) != len(openNames) {
		t.Fatalf("open exits: %v", out)
	}
	return out
}

// apply applies the open to the model and makes it the current event.
// It returns the path the model names a succeeded open with, which the
// kernel checks by driver.OpenFilter's contract; for a plain path, the
// path the test expects.
func (w *world) apply(c openCase) string {
	vals := map[string]any{"fd": c.res, "name": c.arg, "mode": c.mode, "dev": 0x803, "ino": 42}
	switch c.call {
	case "creat":
		vals["creat_flags"] = 0
	case "openat", "openat2":
		vals["dirfd"] = -100
		vals["flags"] = c.flags
	default:
		vals["flags"] = c.flags
	}
	w.ts++
	raw, err := evtest.Record(event.Current(), w.ts, c.tid, w.codes[c.call], vals)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.ev.Reset(raw); err != nil {
		w.t.Fatal(err)
	}
	w.ev.Num = w.ts // numbered from 1, as a stream is: never_true is evt.num = 0
	w.st.Apply(&w.ev)
	w.ctx.Observe(&w.ev)
	if c.res < 0 {
		return c.path
	}
	got, _ := w.fdName.AppendText(nil, w.ctx)
	if plain(c.path) && string(got) != c.path {
		w.t.Fatalf("the model names %q %q, the test expected %q", c.arg, got, c.path)
	}
	return string(got)
}

// plain reports whether the model names a path as it is: the model, as
// sysdig, drops a '.' before a '/' or at the end, and a trailing '/'.
func plain(p string) bool {
	return !strings.Contains(p, "./") && !strings.HasSuffix(p, ".") && (p == "/" || !strings.HasSuffix(p, "/"))
}

// corpus gathers paths and names from the rules: every value of their
// lists and conditions, with variants that fall below, beside and inside
// them, and glob patterns filled in.
type corpus struct {
	paths, procs []string
}

func buildCorpus(eng *engine.Engine, spec *rules.Spec) corpus {
	texts := map[string]bool{}
	for _, l := range spec.Lists {
		for _, it := range l.Expanded {
			texts[it] = true
		}
	}
	seen := map[string]bool{}
	var walk func(x filter.Expr)
	walk = func(x filter.Expr) {
		filter.Inspect(x, func(n filter.Node) bool {
			switch n := n.(type) {
			case *filter.Value:
				texts[n.Text] = true
			case *filter.MacroRef:
				if body, ok := eng.Macro(n.Name); ok && !seen[n.Name] {
					seen[n.Name] = true
					walk(body)
				}
			}
			return true
		})
	}
	for _, r := range eng.Selected() {
		if r.Expr != nil {
			walk(r.Expr)
		}
	}
	paths := map[string]bool{}
	var procs []string
	for _, base := range fixedPaths {
		paths[base] = true
	}
	for s := range texts {
		addPathVariants(paths, s)
		if s != "" && !strings.ContainsAny(s, "/ *?[") && len(s) < 40 {
			procs = append(procs, s)
		}
	}
	out := corpus{procs: append(procs, "bash", "cat", "vi", "sshd", "apt", "python3", "node")}
	for p := range paths {
		out.paths = append(out.paths, p)
	}
	sort.Strings(out.paths)
	sort.Strings(out.procs)
	out.procs = uniq(out.procs)
	return out
}

var fixedPaths = []string{"/", "/x", "/etc/shadow", "/etc/passwd", "/etc/ld.so.cache", "/etc/sudoers.d/x",
	"/tmp/x", "/var/log/syslog", "/var/log/auth.log", "/usr/bin/ls", "/usr/lib/x.so", "/root/.ssh/id_rsa",
	"/root/.ssh/authorized_keys", "/home/user/.bashrc", "/home/user/.ssh/id_rsa", "/dev/null", "/dev/sda",
	"/proc/1/environ", "/proc/self/status", "/etc/cron.d/job", "/bin/sh", "/sys/fs/cgroup/release_agent",
	"/var/lib/docker/x", "/etc/apt/sources.list", "/boot/vmlinuz", "/lib/x.so"}

// addPathVariants adds what a value of the rules suggests: itself and
// paths around it when it is a path, paths ending in it when it is a name.
func addPathVariants(paths map[string]bool, s string) {
	if s == "" || len(s) > 200 || strings.ContainsAny(s, " \t\x00") {
		return
	}
	if strings.ContainsAny(s, "*?") {
		for _, fill := range []string{"", "a", "x/y"} {
			addPathVariants(paths, strings.NewReplacer("*", fill, "?", "b").Replace(s))
		}
		return
	}
	if !strings.HasPrefix(s, "/") {
		if !strings.Contains(s, "/") {
			for _, d := range []string{"/root/", "/etc/", "/home/user/", "/tmp/"} {
				paths[d+s] = true
			}
		}
		return
	}
	p := path.Clean(s)
	for _, v := range []string{p, p + "x", p + "/x", p + "/x/y", path.Dir(p) + "/x", p + "-"} {
		paths[path.Clean(v)] = true
	}
}

func uniq(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// flagChoices are the open flags the generated events take.
var flagChoices = []uint32{ppmRead, ppmWrite, ppmRDWR, ppmWrite | ppmCreat | ppmFCreated, ppmWrite | ppmCreat | ppmTrunc,
	ppmRead | ppmCloexec, ppmWrite | ppmAppend, ppmRead | ppmTrunc, ppmRDWR | ppmCreat}

// genCases generates n opens over the corpus: every path in turn, with
// random calls, flags, modes, outcomes, processes and, for paths below a
// thread's working directory, a relative argument.
func genCases(w *world, c corpus, n int, seed int64) []openCase {
	rnd := rand.New(rand.NewSource(seed))
	calls := append([]string(nil), openNames[:]...)
	var out []openCase
	for i := 0; i < n; i++ {
		p := c.paths[i%len(c.paths)]
		tid := w.tids[rnd.Intn(len(w.tids))]
		oc := openCase{call: calls[rnd.Intn(len(calls))], tid: tid, arg: p, path: p,
			flags: flagChoices[rnd.Intn(len(flagChoices))], mode: []uint32{0o644, 0o755}[rnd.Intn(2)],
			res: int64(3 + rnd.Intn(60))}
		if rnd.Intn(5) == 0 {
			oc.res = []int64{-2, -13, -17}[rnd.Intn(3)]
		}
		if cwd := w.cwd[tid]; cwd != "/" && strings.HasPrefix(p, cwd+"/") && rnd.Intn(2) == 0 {
			oc.arg = strings.TrimPrefix(p, cwd+"/")
		}
		out = append(out, oc)
	}
	return out
}

// checkSound judges generated opens with the engine and requires that
// every open a selected rule matches is one the derived filter, and that
// rule's own set, send. It returns how many times each rule matched.
func checkSound(t *testing.T, eng *engine.Engine, spec *rules.Spec, n int) map[string]int {
	t.Helper()
	p, rep := Derive(eng, Options{})
	own := map[string]*driver.OpenFilter{}
	for _, r := range rep.Rules {
		own[r.Name] = r.Opens
	}
	c := buildCorpus(eng, spec)
	w := newWorld(t, c.procs)
	n = max(n, 3*len(c.paths))
	hits := map[string]int{}
	failures := 0
	for _, oc := range genCases(w, c, n, int64(len(c.paths))) {
		oc.path = w.apply(oc)
		eng.Matches(w.ctx, func(r *engine.Rule) {
			hits[r.Spec.Name]++
			f, ok := own[r.Spec.Name]
			if (!ok || !kernelSends(f, oc) || !kernelSends(p.Open, oc)) && failures < 10 {
				failures++
				t.Errorf("rule %q matches %+v, which the filter drops\nrule's set: %s\nfilter: %s",
					r.Spec.Name, oc, FilterString(f), sig(p))
			}
		})
	}
	return hits
}

func TestSoundDefaultRules(t *testing.T) {
	spec, ds := rules.LoadBytes(defaultrules.Name, defaultrules.YAML())
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	eng := compileSpec(t, spec)
	hits := checkSound(t, eng, spec, 40000)
	_, rep := Derive(eng, Options{})
	// Rules that need more than an open to match (a process running for
	// a while, a traversal in the argument) are not exercised.
	matched := 0
	for _, r := range rep.Rules {
		if hits[r.Name] > 0 {
			matched++
		} else {
			t.Logf("rule %q never matched a generated open", r.Name)
		}
	}
	t.Logf("%d of %d rules on opens matched generated opens", matched, len(rep.Rules))
	if matched*5 < len(rep.Rules)*4 {
		t.Errorf("only %d of %d rules on opens matched: the corpus is too weak", matched, len(rep.Rules))
	}
}

func TestSoundUpstreamRules(t *testing.T) {
	for _, name := range []string{"falco_rules", "falco_rules+incubating", "falco_rules+sandbox"} {
		t.Run(name, func(t *testing.T) {
			eng, spec := upstreamEngine(t, upstreamSets[name])
			hits := checkSound(t, eng, spec, 30000)
			_, rep := Derive(eng, Options{})
			matched := 0
			for _, r := range rep.Rules {
				if hits[r.Name] > 0 {
					matched++
				}
			}
			t.Logf("%d of %d rules on opens matched generated opens", matched, len(rep.Rules))
			if matched*2 < len(rep.Rules) {
				t.Errorf("only %d of %d rules on opens matched: the corpus is too weak", matched, len(rep.Rules))
			}
		})
	}
}

// TestSoundConditions runs the property over the table's conditions,
// each rule on its own.
func TestSoundConditions(t *testing.T) {
	var src strings.Builder
	src.WriteString(testDefs)
	for i, c := range soundConds {
		src.WriteString(ruleYAML("r"+string(rune('a'+i%26))+strings.Repeat("x", i/26), c, ""))
	}
	spec, ds := rules.LoadBytes("t.yaml", []byte(src.String()))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	eng := compileSpec(t, spec)
	hits := checkSound(t, eng, spec, 20000)
	if len(hits) < len(soundConds)/2 {
		t.Errorf("only %d of %d rules matched", len(hits), len(soundConds))
	}
}

// soundConds are conditions on opens whose sets the property checks.
var soundConds = []string{
	"evt.type = open and fd.name startswith /etc and evt.is_open_write = true",
	"evt.type in (open, openat, openat2) and fd.num >= 0 and fd.name in (inner, /etc/shadow)",
	"evt.type = openat and evt.rawres >= 0 and (fd.directory in (dirs) or fd.filename in (names))",
	"evt.type in (open, openat) and evt.arg.flags contains O_TRUNC and fd.name pmatch (/var/log)",
	"evt.type = creat and fd.name glob '/tmp/*'",
	"evt.type in (open, openat2) and not evt.failed = true and fd.name glob '*/id_rsa'",
	"evt.type = openat and not evt.rawres >= 0",
	"evt.type = openat and evt.res startswith E and fd.name startswith /root",
	"evt.type in (open, openat, openat2, creat) and evt.is_open_create = true and fd.directory = /etc",
	"evt.type = open and fd.directory = /root/.ssh and fd.filename = authorized_keys and fd.num >= 0",
	"evt.type = openat and fd.name endswith /.bashrc and evt.is_open_write = true and fd.typechar = f",
	"evt.type = openat2 and fd.name startswith anyof (/proc/, /sys/) and fd.num > -1",
	"evt.type in (open, openat) and fd.num >= 0 and (fd.name = /etc/passwd or (evt.is_open_write = true and fd.name startswith /usr/))",
	"evt.type = open and not evt.res = SUCCESS",
	"evt.type = openat and evt.is_open_exec = true and fd.directory startswith /tmp",
}
