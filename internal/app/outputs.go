package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/output"
)

// outputs is where run's alerts go: the fan-out of the configured
// outputs, which a reload replaces, and the counts of the alerts by rule.
// emit runs on the pipeline's goroutine; the rest on any.
type outputs struct {
	fan    atomic.Pointer[output.Fanout]
	counts alertCounts
	log    *slog.Logger
	stdout io.Writer

	mu      sync.Mutex
	retired map[string]output.OutputStats // final counts of replaced fan-outs, by output
	closing sync.WaitGroup                // replaced fan-outs still draining
}

func newOutputs(cfg *config.Config, stdout io.Writer, log *slog.Logger) (*outputs, error) {
	o := &outputs{log: log, stdout: stdout, retired: map[string]output.OutputStats{}}
	o.counts.init()
	f, err := output.New(outputOptions(cfg, stdout, log))
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	o.fan.Store(f)
	return o, nil
}

// outputOptions maps the configuration to the outputs' options.
func outputOptions(cfg *config.Config, stdout io.Writer, log *slog.Logger) output.Options {
	fac, _ := output.ParseFacility(cfg.SyslogOutput.Facility)
	h := cfg.HTTPOutput
	return output.Options{
		Format: output.Format{JSON: cfg.JSONOutput, JSONOptions: alert.JSONOptions{
			OmitOutput: !cfg.JSONIncludeOutputProperty, OmitTags: !cfg.JSONIncludeTagsProperty,
			Message: cfg.JSONIncludeMessageProperty, OmitOutputFields: !cfg.JSONIncludeOutputFieldsProperty,
			StaticFields: cfg.StaticFields,
		}},
		Buffered: cfg.BufferedOutputs, QueueCapacity: cfg.OutputsQueue.Capacity, Version: Version(),
		Stdout: output.StdoutOptions{Enabled: cfg.StdoutOutput.Enabled, Writer: stdout},
		Syslog: output.SyslogOptions{Enabled: cfg.SyslogOutput.Enabled, Path: cfg.SyslogOutput.Path, Facility: fac},
		File:   output.FileOptions{Enabled: cfg.FileOutput.Enabled, Filename: cfg.FileOutput.Filename, KeepAlive: cfg.FileOutput.KeepAlive},
		HTTP: output.HTTPOptions{Enabled: h.Enabled, URL: h.URL, UserAgent: h.UserAgent, Insecure: h.Insecure,
			CACert: h.CACert, CABundle: h.CABundle, CAPath: h.CAPath, MTLS: h.MTLS, ClientCert: h.ClientCert,
			ClientKey: h.ClientKey, CompressUploads: h.CompressUploads, KeepAlive: h.KeepAlive,
			Headers: h.Headers, Timeout: time.Duration(h.Timeout), Retries: httpRetries(h.Retries)},
		Program: output.ProgramOptions{Enabled: cfg.ProgramOutput.Enabled, Program: cfg.ProgramOutput.Program, KeepAlive: cfg.ProgramOutput.KeepAlive},
		Logger:  log,
	}
}

// httpRetries maps http_output.retries, where 0 is none, to the output's
// option, where 0 is the default.
func httpRetries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// emit counts an alert and hands it to every output; it never blocks.
func (o *outputs) emit(a *alert.Alert) error {
	o.counts.add(a)
	o.fan.Load().Publish(*a)
	return nil
}

// publish hands an internal alert (drops, metrics) to every output.
func (o *outputs) publish(a alert.Alert) { o.fan.Load().Publish(a) }

// names lists the enabled outputs.
func (o *outputs) names() []string {
	var names []string
	for _, s := range o.fan.Load().Stats() {
		names = append(names, s.Name)
	}
	return names
}

// replace makes f the fan-out; the old one drains in the background.
func (o *outputs) replace(f *output.Fanout) {
	old := o.fan.Swap(f)
	o.closing.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), outputDrainTime)
		defer cancel()
		if err := old.Close(ctx); err != nil {
			o.log.Warn("outputs replaced by a reload did not drain", "error", err)
		}
		o.retire(old.Stats())
	})
}

// retire adds the final counts of a replaced fan-out to those kept.
func (o *outputs) retire(stats []output.OutputStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range stats {
		r := o.retired[s.Name]
		r.Name = s.Name
		r.Sent += s.Sent
		r.Failed += s.Failed
		if r.Dropped == nil {
			r.Dropped = map[output.DropReason]uint64{}
		}
		for k, v := range s.Dropped {
			r.Dropped[k] += v
		}
		o.retired[s.Name] = r
	}
}

// stats returns each output's counts since start, replaced fan-outs
// included.
func (o *outputs) stats() []output.OutputStats {
	cur := o.fan.Load().Stats()
	o.mu.Lock()
	defer o.mu.Unlock()
	seen := map[string]bool{}
	for i := range cur {
		s := &cur[i]
		seen[s.Name] = true
		if r, ok := o.retired[s.Name]; ok {
			s.Sent += r.Sent
			s.Failed += r.Failed
			for k, v := range r.Dropped {
				s.Dropped[k] += v
			}
		}
	}
	for name, r := range o.retired {
		if !seen[name] {
			cur = append(cur, r)
		}
	}
	sort.Slice(cur, func(i, j int) bool { return cur[i].Name < cur[j].Name })
	return cur
}

// reopen reopens the file outputs (SIGUSR1, after logrotate).
func (o *outputs) reopen() { o.fan.Load().Reopen() }

// close drains every output, giving up after d.
func (o *outputs) close(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := o.fan.Load().Close(ctx)
	o.closing.Wait()
	return err
}

// alertCounts counts alerts by rule, priority and source, for the summary
// and the metrics.
type alertCounts struct {
	mu    sync.Mutex
	n     map[ruleKey]uint64
	total uint64
}

type ruleKey struct{ rule, priority, source string }

func (c *alertCounts) init() { c.n = map[ruleKey]uint64{} }

func (c *alertCounts) add(a *alert.Alert) {
	c.mu.Lock()
	c.n[ruleKey{a.Rule, a.Priority.String(), a.Source}]++
	c.total++
	c.mu.Unlock()
}

// each calls fn for every rule that alerted, in no order.
func (c *alertCounts) each(fn func(k ruleKey, n uint64)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.n {
		fn(k, n)
	}
}

// summary prints the events judged and the alerts by priority and rule,
// as Falco prints them at exit.
func (c *alertCounts) summary(w io.Writer, events uint64) {
	byRule, byPrio := map[string]uint64{}, map[string]uint64{}
	c.each(func(k ruleKey, n uint64) {
		byRule[k.rule] += n
		byPrio[k.priority] += n
	})
	fmt.Fprintf(w, "Events read: %d\n", events)
	fmt.Fprintf(w, "Events detected: %d\n", c.total)
	if c.total == 0 {
		return
	}
	fmt.Fprintf(w, "Rule counts by severity:\n")
	for _, k := range sortedKeys(byPrio) {
		fmt.Fprintf(w, "   %s: %d\n", k, byPrio[k])
	}
	fmt.Fprintf(w, "Triggered rules by rule name:\n")
	for _, k := range sortedKeys(byRule) {
		fmt.Fprintf(w, "   %s: %d\n", k, byRule[k])
	}
}
