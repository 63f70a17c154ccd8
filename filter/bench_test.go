package filter

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/testenv"
	"github.com/kestrel-sec/kestrel/scap"
	"github.com/kestrel-sec/kestrel/state"
)

// benchFilters are representative filters, and a rule-sized condition
// with long lists such as the upstream rules use.
var benchFilters = map[string]string{
	"type":     `evt.type = open`,
	"simple":   `evt.type = open and proc.name = cat`,
	"typical":  `evt.type in (open, openat, execve, connect) and evt.dir = < and (fd.name startswith /etc or proc.name in (bash, sh, curl, cat))`,
	"network":  `fd.sip = 127.0.0.1 and fd.sport in (80, 443, 8080) and fd.l4proto = tcp`,
	"strings":  `proc.cmdline contains passwd or fd.name glob "/etc/*sh*" or proc.name icontains CAT`,
	"rulesize": ruleSized(),
	"modifiers": `evt.type in (open, openat, execve) and proc.name = anyof (bash, sh, cat, curl) and ` +
		`fd.name startswith oneof (/etc, /usr, /lib) and proc.pname != allof (init, systemd)`,
	"transformers": `concat(proc.name, ":", fd.directory) = "cat:/etc" or join(",", (proc.name, proc.pname)) startswith "bash," ` +
		`or getopt((proc.args[0], proc.args[1]), "lc:")[c] exists or tolower(fd.name) contains anyof (passwd, shadow)`,
}

// ruleSized is a condition shaped like a large Falco rule: event types,
// long lists of names and directories, path prefixes and a negation.
func ruleSized() string {
	names := make([]string, 300)
	dirs := make([]string, 100)
	for i := range names {
		names[i] = "tool" + strconv.Itoa(i)
	}
	for i := range dirs {
		dirs[i] = "/opt/app" + strconv.Itoa(i)
	}
	return `evt.dir = < and evt.type in (open, openat, openat2, read, write, close) and ` +
		`not proc.name in (` + strings.Join(names, ", ") + `) and ` +
		`not fd.directory in (/usr/lib, /lib, /var/run, /proc, ` + strings.Join(dirs, ", ") + `) and ` +
		`not fd.name pmatch (` + strings.Join(dirs, ", ") + `) and ` +
		`(fd.name startswith /etc or fd.name contains ssh or proc.pname in (bash, sshd))`
}

// benchRecords returns the example capture's events as raw records.
func benchRecords(b *testing.B) (*scap.Section, [][]byte) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "session.scap"))
	if err != nil {
		b.Fatal(err)
	}
	rd, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var recs [][]byte
	var ev event.Event
	for {
		if err := rd.Next(&ev); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, bytes.Clone(ev.Raw()))
	}
	return rd.Section(), recs
}

// BenchmarkFilter applies each event of the example capture to the model
// and evaluates a filter on it; one operation is one event. "none" is the
// cost of the model alone, to subtract.
func BenchmarkFilter(b *testing.B) {
	sec, recs := benchRecords(b)
	b.Run("none", func(b *testing.B) { benchFilter(b, sec, recs, nil) })
	for name, src := range benchFilters {
		p, err := Compile(src, Options{})
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		b.Run(name, func(b *testing.B) { benchFilter(b, sec, recs, p) })
	}
}

func benchFilter(b *testing.B, sec *scap.Section, recs [][]byte, p *Program) {
	st := state.FromSection(sec)
	c := field.NewContext(st)
	c.Resolver = st
	var ev event.Event
	i, matched := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		if i == len(recs) {
			b.StopTimer()
			st.Reset(sec)
			i = 0
			b.StartTimer()
		}
		if err := ev.Reset(recs[i]); err != nil {
			b.Fatal(err)
		}
		i++
		st.Apply(&ev)
		c.Observe(&ev)
		if p != nil && p.Match(c) {
			matched++
		}
	}
	b.ReportMetric(float64(matched)/float64(b.N), "matched/event")
}
