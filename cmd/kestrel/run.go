package main

import (
	"github.com/spf13/cobra"

	"github.com/kestrel-sec/kestrel/internal/app"
)

func newRunCmd() *cobra.Command {
	var o app.RunOptions
	var live liveFlags
	cmd := &cobra.Command{
		Use:   "run [-c FILE] [-r PATH]... [-o KEY=VALUE]...",
		Short: "Watch this host live and send alerts from Falco rules, like falco",
		Long: `Watch every system call of this host through an eBPF probe, keep the model of
its processes, files and connections, and judge each event against Falco
rules: Kestrel's embedded default rules, or the files and directories given
with -r or in the configuration (falcosecurity/rules files load unmodified).

Each alert goes, as it happens, to the outputs the configuration enables:
stdout (text, or Falco's JSON with --json), a file, syslog, an HTTP endpoint
(falcosidekick takes Kestrel's alerts as they are) or a program. Every output
has its own queue, so a slow one never holds detection back; what an output
cannot deliver is counted and reported. Alerts are written out as they
happen unless buffered_outputs is set (then within a second); -U, as in
Falco, sets it to false.

The configuration is read from -c FILE, else from ` + app.DefaultConfigFile + `
when it exists; without one, the built-in defaults apply: the embedded rules,
alerts on stdout, the web server on 127.0.0.1:8765. Its keys are those of
falco.yaml (see 'kestrel config schema' and examples/kestrel.yaml); -o sets
any key (-o http_output.enabled=true -o http_output.url=http://...); the key
is a path in Falco's syntax: dots between keys, [N] for a list item, [] to
append one, and a backslash before a dot that is part of a key
(-o 'static_fields.my\.key=value').

--dry-run loads the configuration and the rules as a start would, reports
their errors, prints what would run (rules selected, outputs, web server,
the syscalls the probe would report) and exits, without loading the probe:
it needs no privilege.

The web server answers /healthz (ready once the probe is attached and the
host's state taken), /metrics (Prometheus) and /versions.

Containers: every event of a containerized process has its container's id
(container.id) from its cgroups; names, images, labels, mounts, privileges
and Kubernetes pods (container.*, k8s.*) are asked of the runtimes beside
the event loop: Docker and Podman (Docker Engine API), containerd, and the
CRI runtimes (containerd's CRI service, CRI-O), on their usual sockets or
those of container_engines; in a pod, HOST_ROOT=/host puts the sockets and
the host's /etc below the host's root mounted there.

Kernel filter: from the loaded rules Kestrel works out which opens no rule
can match (by result, write mode, path prefix and file name) and the probe
keeps them back in the kernel ('kestrel rules explain' shows what and why;
kernel_filter.enabled=false sends every one). Where tracefs is mounted
(/sys/kernel/tracing), the probe hooks the exit of the rules' syscalls only.

Other sources, each on its own, judged by the rules of its source (the
upstream plugins' rules files load as they are): sources.k8s_audit (the
Kubernetes audit webhook, port 9765 /k8s-audit, and audit log files),
sources.aws_cloudtrail (CloudTrail files, S3, or S3 through SQS
notifications), sources.okta (the System Log API) and sources.github (a
signed webhook receiver). A source that fails is logged and stops alone.
Flight recorder: with capture.enabled, a rule marked capture: true writes a
capture of what led to the alert and what followed (see the configuration's
capture keys).

Signals: SIGHUP reloads the configuration and the rules without stopping the
probe (invalid files are reported and the running ones stay; a change of a
watched file does the same); SIGUSR1 reopens the file outputs (logrotate);
SIGINT and SIGTERM, or -M seconds, drain the events, flush the outputs and
print the events judged, the alerts by priority and rule, what each output
sent and dropped, and every event the probe lost.

It needs root, or the capabilities CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and
CAP_DAC_READ_SEARCH (packaging/systemd/kestrel.service runs it so, as an
unprivileged user), and a kernel with BTF (/sys/kernel/btf/vmlinux).

Rule selection follows Falco's flags, as in 'kestrel replay': -D, -T, -t;
a -t tag no rule has, or a selection that leaves no rule, is an error. The
high-volume I/O events (read, write, send, recv... 'kestrel events' marks
them) are not judged on a live host unless -A (or -o base_syscalls.all=true)
is given: they are most of a busy host's events.` + ringHelp,
		Example: `  # live detection with the embedded default rules, alerts on stdout
  sudo kestrel run

  # a configuration file, as a service reads it
  sudo kestrel run -c /etc/kestrel/kestrel.yaml

  # the falcosecurity/rules files, JSON alerts to falcosidekick
  sudo kestrel run -r /etc/falco/falco_rules.yaml --json \
      -o http_output.enabled=true -o http_output.url=http://localhost:2801/

  # only rules tagged container, for one minute
  sudo kestrel run -t container -M 60

  # check a configuration and its rules, and see what they would run
  kestrel run -c /etc/kestrel/kestrel.yaml --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.LiveOptions, err = live.values(); err != nil {
				return err
			}
			stop, err := live.profile()
			if err != nil {
				return err
			}
			defer stop()
			return app.Run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	addRuleFlags(f, &o.ReplayOptions)
	f.BoolVarP(&o.AllEvents, "all-events", "A", false, "also judge the high-volume I/O events (-o base_syscalls.all=true)")
	f.BoolVarP(&o.Unbuffered, "unbuffered", "U", false, "flush every alert (-o buffered_outputs=false, the default)")
	f.StringVarP(&o.ConfigFile, "config", "c", "", "configuration file (default "+app.DefaultConfigFile+" when it exists)")
	f.BoolVar(&o.DryRun, "dry-run", false, "load the configuration and the rules, print what would run and exit")
	live.add(f, "run")
	return cmd
}
