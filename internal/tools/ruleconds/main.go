// Command ruleconds prints, for each rule of rules files, its name, the
// condition Kestrel compiles for it (with exceptions expanded as Falco
// does) and the format of its alert line (Falco's time and priority
// prefix, then the output): one "name<TAB>condition<TAB>format" line per
// rule, newlines replaced by spaces. scripts/record-rules.sh hands the
// conditions and formats to sysdig.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

func main() {
	spec, ds := rules.Load(os.Args[1:]...)
	eng, cds := engine.Compile(spec, engine.DefaultOptions())
	if ds = append(ds, cds...); ds.HasErrors() {
		fmt.Fprintln(os.Stderr, ds.String())
		os.Exit(1)
	}
	for _, r := range eng.Rules() {
		format := "*%evt.time: " + r.Spec.Priority.String() + " " + strings.TrimPrefix(r.Spec.Output.Value, "*")
		fmt.Printf("%s\t%s\t%s\n", r.Spec.Name, oneLine(r.Condition), oneLine(format))
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
