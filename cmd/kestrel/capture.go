package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newCaptureCmd() *cobra.Command {
	var o app.CaptureOptions
	var live liveFlags
	var rot rotateFlags
	cmd := &cobra.Command{
		Use:   "capture [FILTER]",
		Short: "Print or record the system calls of this host as they happen, like sysdig",
		Long: `Watch every system call of the host through an eBPF probe and print one line
per event in sysdig's format, or record the events in a .scap capture with -w.

A FILTER selects the events, in the language of sysdig filters and Falco rule
conditions (see 'kestrel read --help'); the syscalls it cannot match are
discarded in the kernel. Kestrel's own process is left out.

Container names, images and pods are asked of the container runtimes on
their usual sockets (below $HOST_ROOT when set), as 'kestrel run' does; a
capture written with -w keeps them, as container records before the events
that need them, for 'kestrel read', sysdig and Falco.

Capture needs root (or the capabilities 'kestrel run --help' names) and a
kernel with BTF (/sys/kernel/btf/vmlinux). It stops on Ctrl-C (SIGINT) or
SIGTERM, after -M seconds or after -n events, and prints on stderr how many
events were captured and how many were lost.

Read, write, send and receive events keep the first --snaplen bytes of
their data (80 by default, as sysdig keeps; at most 8192), which the data
argument prints (%evt.arg.data, %evt.buffer). Larger values show more of
what was read and written, at the cost of larger events and captures;
--snaplen 0 keeps none.

--ring records nothing to disk until it matters: the recent events stay in
memory (--ring-memory MiB, with checkpoints of the host's state), and when
the --trigger filter first matches, or on each SIGUSR2, a capture is written
under the -w prefix (PREFIX_<time>_<event>.scap, 0600) that starts --before
the moment with the host's state at its start, and goes on --after it: what
led to the problem, and what followed, readable by kestrel read and sysdig.` + ringHelp + rotateHelp,
		Example: `  # every event for five seconds
  kestrel capture -M 5

  # the files opened under /etc, with the process that opened them
  kestrel capture 'evt.type in (open, openat, openat2) and fd.name startswith /etc' -p '%proc.name %fd.name'

  # record one minute of activity for later reading with kestrel read or sysdig -r
  kestrel capture -M 60 -w trace.scap.gz -z

  # keep the last seconds in memory; when a shell reads /etc/shadow, write
  # /tmp/incident_<time>_<event>.scap from 5 s before to 5 s after, then stop
  kestrel capture --ring -w /tmp/incident --trigger 'evt.type in (open, openat) and fd.name = /etc/shadow'

  # the same ring, written on demand: kill -USR2 $(pidof kestrel)
  kestrel capture --ring -w /tmp/ondemand`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Filter = args[0]
			}
			if o.Compress && o.Write == "" {
				return app.Usagef("-z compresses the capture written with -w, and no -w was given")
			}
			if o.Ring.Enabled && (o.Write == "" || o.Filter != "" || o.Compress || rot.set()) {
				return app.Usagef("--ring writes its captures under the -w prefix, and takes no FILTER (use --trigger), -z, -C, -G or -W")
			}
			if !o.Ring.Enabled && (o.Ring.Trigger != "" || cmd.Flags().Changed("before") || cmd.Flags().Changed("after")) {
				return app.Usagef("--trigger, --before and --after go with --ring")
			}
			var err error
			if o.LiveOptions, err = live.values(); err != nil {
				return err
			}
			if o.Rotate, err = rot.options(o.Write); err != nil {
				return err
			}
			stop, err := live.profile()
			if err != nil {
				return err
			}
			defer stop()
			return app.Capture(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Format, "print", "p", "", "output format: text with %field references, e.g. '%evt.num %evt.type %proc.name'; see 'kestrel fields'")
	fl.BoolVarP(&o.JSON, "json", "j", false, "print one JSON object per event, keyed by field name")
	fl.StringVarP(&o.Write, "write", "w", "", "record the events in this capture file instead of printing them")
	fl.BoolVarP(&o.Compress, "compress", "z", false, "gzip the capture written with -w")
	fl.Uint64VarP(&o.Limit, "count", "n", 0, "stop after this many events (0: no limit)")
	live.add(fl, "capture")
	fl.BoolVar(&o.Internal, "internal", false, "also print internal events (sysdig -D)")
	fl.BoolVar(&o.Self, "self", false, "also capture Kestrel's own system calls")
	fl.IntVarP(&o.Snaplen, "snaplen", "s", app.DefaultSnaplen, "bytes of read, write, send and receive data kept in the events (0 to 8192)")
	rot.add(fl)
	fl.BoolVar(&o.Ring.Enabled, "ring", false, "keep the recent past in memory and write it, under the -w prefix, when --trigger first matches or on SIGUSR2")
	fl.StringVar(&o.Ring.Trigger, "trigger", "", "with --ring: a filter; the first event it matches is written with what came --before it and --after it, then capture ends")
	fl.DurationVar(&o.Ring.Before, "before", app.DefaultRingBefore, "with --ring: how far before the trigger a capture starts")
	fl.DurationVar(&o.Ring.After, "after", app.DefaultRingAfter, "with --ring: how far past the trigger a capture goes on")
	fl.IntVar(&o.Ring.Memory, "ring-memory", app.DefaultRingMemory, "with --ring: MiB of memory for the recent events and the checkpoints of the host model they start from")
	return cmd
}
