package main

import (
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newReadCmd() *cobra.Command {
	var o app.ReadOptions
	var file, cpuprofile string
	cmd := &cobra.Command{
		Use:   "read [FILE] [FILTER]",
		Short: "Print or copy the events of a .scap capture, like sysdig -r",
		Long: `Read a .scap capture (plain or gzip) written by sysdig, Falco, Stratoshark or
Kestrel, and print one line per event in sysdig's format:

  evt.num time cpu process (tid) direction type arguments

A FILTER selects the events, in the language of sysdig filters and Falco rule
conditions: fields (see 'kestrel fields') compared with values, joined by and,
or, not and parentheses. Mistakes are reported with the line, column and a
caret under the offending text.

Internal events (procinfo and the like) are hidden unless --internal is given;
they still count in evt.num, as in sysdig.

Plugin events (the events of Falco's source plugins, which captures store as
pluginevent records with the plugin's id) print as sysdig prints them:

  evt.num date time [plugin name] plugin's summary of the event

Those of the plugins Kestrel's own sources stand in for (k8saudit id 1,
cloudtrail 2, okta 7, github 8) show their plugin name and the event's JSON,
and filters and -p formats read their fields (evt.source, evt.pluginname,
evt.plugininfo, and the source's own: ka.*, ct.*, okta.*, github.*,
json.value[...]). Those of other plugins show <NA>, as sysdig 0.29.3 shows
every plugin event, since it loads no plugin.

FILE may also be a file (or directory) of the events of one of those sources:
Kubernetes audit events, CloudTrail logs, Okta System Log or GitHub webhook
events, told from the content as 'kestrel replay' tells them. Its events are
read as a capture holds them, as plugin events: -w writes them into a
capture. --merge adds inputs, captures or such files, whose events are merged
by time with those of FILE: one capture can hold the system calls of a node
and the audit events of its cluster together, for 'kestrel replay' to judge
with both sets of rules. The written capture starts with the initial state (processes, open
files...) of the first capture among the inputs. A file of a source's events
is read into memory and sorted by time before it is merged.`,
		Example: `  # print every event, as 'sysdig -r trace.scap' does
  kestrel read trace.scap

  # choose the columns with %field formats (a leading * prints events whose
  # fields are not all available, with <NA>)
  kestrel read trace.scap -p '%evt.num %evt.rawtime %thread.tid %evt.type %evt.args'

  # one JSON object per event, with the same keys as 'sysdig -j'
  kestrel read trace.scap -j | head

  # only the files that curl opened, and the connections it made
  kestrel read trace.scap 'proc.name = curl and evt.type in (open, openat, connect) and evt.dir = <'

  # keep the events of one process in a smaller capture (the events it needs
  # to make sense, such as the execve and open that name its files, are kept
  # as state-only events that readers do not print)
  kestrel read trace.scap -w curl.scap 'proc.name = curl'

  # copy the first 10000 events into a new gzip-compressed capture
  kestrel read trace.scap -n 10000 -w first.scap.gz -z

  # Kubernetes audit events as a capture of plugin events
  kestrel read audit.log -w audit.scap

  # one capture with a node's system calls and its audit events, judged
  # by the rules of both
  kestrel read node.scap --merge audit.log -w both.scap
  kestrel replay both.scap -r falco_rules.yaml -r k8s_audit_rules.yaml

  # the audit events of one user in a merged capture
  kestrel read both.scap -p '%evt.num %ka.verb %ka.target.resource' 'ka.user.name = alice'`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case file != "" && len(args) == 2:
				return app.Usagef("-r %s given, so only a filter may follow", file)
			case file != "" && len(args) == 1:
				o.Path, o.Filter = file, args[0]
			case file != "":
				o.Path = file
			case len(args) == 0:
				return app.Usagef("no capture file: kestrel read FILE [FILTER]")
			default:
				o.Path = args[0]
				if len(args) == 2 {
					o.Filter = args[1]
				}
			}
			if o.Compress && o.Write == "" {
				return app.Usagef("-z compresses the capture written with -w, and no -w was given")
			}
			o.Progress = term.IsTerminal(int(os.Stderr.Fd())) && !term.IsTerminal(int(os.Stdout.Fd()))
			if cpuprofile != "" {
				stop, err := startCPUProfile(cpuprofile)
				if err != nil {
					return err
				}
				defer stop()
			}
			return app.Read(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "read", "r", "", "capture file to read (same as the FILE argument)")
	fl.StringVarP(&o.Format, "print", "p", "", "output format: text with %field references, e.g. '%evt.num %evt.type %proc.name'; see 'kestrel fields'")
	fl.BoolVarP(&o.JSON, "json", "j", false, "print one JSON object per event, keyed by field name")
	fl.StringVarP(&o.Write, "write", "w", "", "write the events to this capture file instead of printing them")
	fl.StringArrayVar(&o.Merge, "merge", nil, "merge by time the events of this capture, or file of a source's events (audit log, CloudTrail, Okta, GitHub), with those of FILE (repeatable)")
	fl.BoolVarP(&o.Compress, "compress", "z", false, "gzip the capture written with -w")
	fl.Uint64VarP(&o.Limit, "count", "n", 0, "stop after this many events (0: read everything)")
	fl.BoolVar(&o.Internal, "internal", false, "also print internal events such as procinfo (sysdig -D)")
	fl.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file (for 'go tool pprof')")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

// startCPUProfile starts writing a CPU profile to path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
