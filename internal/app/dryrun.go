package app

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/webserver"
	"github.com/kestrel-sec/kestrel/prefilter"
	"github.com/kestrel-sec/kestrel/source/cloudtrail"
	"github.com/kestrel-sec/kestrel/source/github"
	"github.com/kestrel-sec/kestrel/source/k8saudit"
	"github.com/kestrel-sec/kestrel/source/okta"
)

// dryRun compiles the rules cfg names, as a start would, and prints on
// stdout what the run would do: the configuration read, the rules
// selected, the outputs, the web server and the syscalls the probe would
// report. Nothing is started: no probe, output, web server or signal
// handler, so that it needs no privilege (Falco's --dry-run).
func (a *agent) dryRun(cfg *config.Config) error {
	eng, err := a.compile(cfg)
	if err != nil {
		return err
	}
	w := a.stdout
	line := func(key, format string, args ...any) {
		fmt.Fprintf(w, "%-17s %s\n", key+":", fmt.Sprintf(format, args...))
	}
	switch {
	case len(cfg.Files) == 0:
		line("configuration", "none: the built-in defaults")
	default:
		line("configuration", "%s", strings.Join(cfg.Files, ", "))
	}
	for _, s := range a.o.Settings {
		line("  -o", "%s", s)
	}
	if len(cfg.RulesFiles) == 0 {
		line("rules files", "Kestrel's embedded default rules")
	} else {
		line("rules files", "%s", strings.Join(cfg.RulesFiles, ", "))
	}
	sel := eng.Selected()
	line("rules", "%d of %d selected (priority %s and above, rule_matching %s)",
		len(sel), len(eng.Rules()), strings.ToLower(cfg.Priority.String()), cfg.RuleMatching)
	for _, r := range sel {
		tags := ""
		if len(r.Spec.Tags) > 0 {
			tags = "  [" + strings.Join(r.Spec.Tags, ", ") + "]"
		}
		fmt.Fprintf(w, "  %-13s %s%s\n", r.Spec.Priority, r.Spec.Name, tags)
	}
	line("outputs", "%s", strings.Join(dryRunOutputs(cfg), ", "))
	line("buffered_outputs", "%t", cfg.BufferedOutputs)
	line("web server", "%s", dryRunWeb(cfg.Webserver))
	if names := runSyscalls(eng, cfg); names == nil {
		line("syscalls", "every syscall (a selected rule may match any event type)")
	} else if len(names) == 0 {
		line("syscalls", "none for the rules; only those the host model needs")
	} else {
		names = slices.Compact(slices.Sorted(slices.Values(names)))
		line("syscalls", "%d, and those the host model needs: %s", len(names), strings.Join(names, " "))
	}
	if pf, rep := kernelFilter(eng, cfg); pf.Open == nil {
		line("kernel filter", "none, every open is sent: %s", rep.Reason)
	} else {
		line("kernel filter", "%s ('kestrel rules explain' tells why)", prefilter.FilterString(pf.Open))
	}
	for _, src := range dryRunSources(cfg, eng) {
		line("source", "%s", src)
	}
	if cfg.BaseSyscalls.All {
		line("I/O events", "judged (base_syscalls.all or -A)")
	} else {
		line("I/O events", "%s skipped; -A or -o base_syscalls.all=true judges them", strings.Join(engine.IgnoredNames(), " "))
	}
	if len(cfg.StaticFields) > 0 {
		keys := make([]string, 0, len(cfg.StaticFields))
		for k := range cfg.StaticFields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		line("static_fields", "%d", len(keys))
		for _, k := range keys {
			fmt.Fprintf(w, "  %s = %s\n", strconv.Quote(k), strconv.Quote(cfg.StaticFields[k]))
		}
	}
	fmt.Fprintln(w, "dry run: the configuration and the rules are valid; the probe was not loaded")
	return nil
}

// dryRunSources describes each enabled source other than syscall: what
// it reads and how many of its rules run.
func dryRunSources(cfg *config.Config, eng *engine.Engine) []string {
	var out []string
	for _, b := range sourceBlocks(cfg.Sources) {
		if !b.enabled {
			continue
		}
		n := 0
		if src := eng.Source(b.name); src != nil {
			n = len(src.Selected())
		}
		out = append(out, fmt.Sprintf("%s, %s; %d rules selected", b.name, sourceInputs(cfg.Sources, b.name), n))
	}
	return out
}

// sourceInputs says what the source called name reads.
func sourceInputs(c config.Sources, name string) string {
	switch name {
	case k8saudit.SourceName:
		k := c.K8sAudit
		var parts []string
		if k.ListenPort > 0 {
			parts = append(parts, fmt.Sprintf("webhook %s%s", net.JoinHostPort(k.ListenAddress, strconv.Itoa(k.ListenPort)), k.Path))
		}
		if len(k.Files) > 0 {
			parts = append(parts, "files "+strings.Join(k.Files, " "))
		}
		return strings.Join(parts, ", ")
	case github.SourceName:
		g := c.GitHub
		gc := github.Config{ListenAddress: g.ListenAddress, ListenPort: g.ListenPort, SSLCertificate: g.SSLCertificate}
		return fmt.Sprintf("webhook %s%s", gc.Addr(), g.Path)
	case okta.SourceName:
		return "the System Log of " + c.Okta.Organization
	case cloudtrail.SourceName:
		return "inputs " + strings.Join(c.CloudTrail.Inputs, " ")
	}
	return ""
}

// dryRunOutputs names the enabled outputs with where they send.
func dryRunOutputs(cfg *config.Config) []string {
	form := "text"
	if cfg.JSONOutput {
		form = "JSON"
	}
	var outs []string
	if cfg.StdoutOutput.Enabled {
		outs = append(outs, "stdout ("+form+")")
	}
	if cfg.FileOutput.Enabled {
		outs = append(outs, fmt.Sprintf("file %s (%s)", cfg.FileOutput.Filename, form))
	}
	if cfg.SyslogOutput.Enabled {
		outs = append(outs, fmt.Sprintf("syslog %s (facility %s)", cfg.SyslogOutput.Path, cfg.SyslogOutput.Facility))
	}
	if cfg.HTTPOutput.Enabled {
		outs = append(outs, "http "+cfg.HTTPOutput.URL+" (JSON)") // always Falco's JSON, as falcosidekick takes it
	}
	if cfg.ProgramOutput.Enabled {
		outs = append(outs, fmt.Sprintf("program %q (%s)", cfg.ProgramOutput.Program, form))
	}
	if len(outs) == 0 {
		outs = append(outs, "none: alerts are counted only")
	}
	return outs
}

// dryRunWeb says where the web server would listen.
func dryRunWeb(ws config.Webserver) string {
	if !ws.Enabled {
		return "off"
	}
	scheme := "http"
	if ws.SSLEnabled {
		scheme = "https"
	}
	paths := orDefault(ws.K8sHealthzEndpoint, webserver.DefaultHealthzEndpoint) + ", /versions"
	if ws.PrometheusMetricsEnabled {
		paths += ", /metrics"
	}
	host := orDefault(ws.ListenAddress, webserver.DefaultListenAddress)
	if ws.ListenPort == 0 {
		return fmt.Sprintf("%s://%s on a port the system chooses (%s)", scheme, host, paths)
	}
	return fmt.Sprintf("%s://%s (%s)", scheme, net.JoinHostPort(host, strconv.Itoa(ws.ListenPort)), paths)
}
