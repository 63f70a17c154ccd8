package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/metrics"
	"github.com/kestrel-sec/kestrel/internal/webserver"
	"github.com/kestrel-sec/kestrel/output"
	"github.com/kestrel-sec/kestrel/rules"
)

// monitor is run's self-monitoring: the metrics, the web server, the drop
// monitor and the periodic metrics alert. Its snapshot reads counters
// that are safe from any goroutine.
type monitor struct {
	a         *agent
	drops     *dropMonitor
	collector *metrics.Collector
	web       *webserver.Server
	listener  net.Listener

	reloadsOK, reloadsFailed atomic.Uint64
	loaded                   atomic.Int64 // ns since the epoch
	live                     atomic.Bool  // the probe and the pipeline run (attach)
	serving                  sync.WaitGroup
}

// newMonitor makes the metrics and starts the web server, which answers
// /healthz with "starting" until ready.
func newMonitor(a *agent) (*monitor, error) {
	m := &monitor{a: a}
	m.loaded.Store(time.Now().UnixNano())
	var err error
	m.collector, err = metrics.New(m.snapshot, m.info(), metrics.Options{FalcoNames: true})
	if err != nil {
		return nil, err
	}
	if !a.cfg.Webserver.Enabled {
		return m, nil
	}
	if err := m.listen(a.cfg.Webserver); err != nil {
		return nil, err
	}
	m.serving.Go(func() {
		if err := m.web.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.a.log.Error("webserver stopped", "error", err)
		}
	})
	return m, nil
}

// attach takes the probe and the pipeline, once they run.
func (m *monitor) attach() {
	a := m.a
	m.drops = newDropMonitor(dropOptions(a.cfg), a.probe.Stats, a.outs.publish, a.log, hostnameOf(a.o))
	m.live.Store(true)
}

// listen opens the web server's socket, so that a port in use fails the
// start.
func (m *monitor) listen(ws config.Webserver) error {
	o := webserver.Options{
		ListenAddress: ws.ListenAddress, ListenPort: ws.ListenPort, HealthzEndpoint: ws.K8sHealthzEndpoint,
		SSLEnabled: ws.SSLEnabled, SSLCertificate: ws.SSLCertificate, Logger: m.a.log,
		Versions: webserver.Versions{Kestrel: Version(), Falco: Version(), Engine: rules.EngineVersion},
	}
	if ws.PrometheusMetricsEnabled {
		o.Metrics = m.collector.Registry()
	}
	web, err := webserver.New(o)
	if err != nil {
		return fmt.Errorf("webserver: %w", err)
	}
	l, err := listenWeb(web, ws)
	if err != nil {
		return err
	}
	m.web, m.listener = web, l
	return nil
}

// listenWeb listens where ws says; port 0 lets the system choose.
func listenWeb(web *webserver.Server, ws config.Webserver) (net.Listener, error) {
	if ws.ListenPort != 0 {
		return web.Listen()
	}
	l, err := net.Listen("tcp", net.JoinHostPort(orDefault(ws.ListenAddress, webserver.DefaultListenAddress), "0"))
	if err != nil {
		return nil, fmt.Errorf("webserver: %w", err)
	}
	return l, nil
}

// webAddr returns the web server's address, "" when it is off.
func (m *monitor) webAddr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// ready marks the host model taken and the probe attached.
func (m *monitor) ready() {
	if m.web != nil {
		m.web.SetReady(true)
	}
}

// startBackground serves the web server and the periodic metrics until
// ctx ends.
func (m *monitor) startBackground(ctx context.Context, wg *sync.WaitGroup) {
	if m.web != nil {
		wg.Go(func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			m.web.Shutdown(sctx)
		})
	}
	if mc := m.a.cfg.Metrics; mc.Enabled && time.Duration(mc.Interval) > 0 {
		wg.Go(func() { m.periodic(ctx, mc) })
	}
}

// close stops the web server, if still serving.
func (m *monitor) close() {
	if m.web != nil {
		m.web.Close()
		m.serving.Wait()
	}
}

// periodic emits the metrics every interval, as Falco's metrics option
// does: an internal alert on every output, and a JSON line appended to
// output_file.
func (m *monitor) periodic(ctx context.Context, mc config.Metrics) {
	t := time.NewTicker(time.Duration(mc.Interval))
	defer t.Stop()
	var prev *metrics.Snapshot
	info := m.collector.Info()
	o := metrics.FalcoOptions{IncludeEmptyValues: mc.IncludeEmptyValues}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := m.collector.Snapshot()
		fields := metrics.AppendFalcoFields(nil, info, prev, &cur, o)
		if mc.OutputRule {
			m.a.outs.publish(metricsAlert(cur.Time, info.Hostname, fields))
		}
		if mc.OutputFile != "" {
			m.appendFile(mc.OutputFile, metrics.AppendFalcoJSON(nil, info, prev, &cur, o))
		}
		prev = &cur
	}
}

// metricsAlert is Falco's "metrics snapshot" internal alert.
func metricsAlert(at time.Time, host string, fields []byte) alert.Alert {
	prio, _ := rules.ParsePriority(metrics.FalcoPriority)
	prefix := at.Local().Format("15:04:05.000000000") + ": " + prio.String() + " "
	return alert.Alert{Time: at, Rule: metrics.FalcoRule, Priority: prio, Source: metrics.FalcoSource,
		Hostname: host, Output: prefix + metrics.FalcoOutput, OutputFields: json.RawMessage(fields)}
}

func (m *monitor) appendFile(path string, line []byte) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		m.a.log.Warn("metrics output file", "error", err)
	}
}

// snapshot is what the metrics report, taken from counters that any
// goroutine may read.
func (m *monitor) snapshot() metrics.Snapshot {
	a := m.a
	s := metrics.Snapshot{
		Reloads: metrics.ReloadStats{OK: m.reloadsOK.Load(), Failed: m.reloadsFailed.Load()},
		Loaded:  time.Unix(0, m.loaded.Load()),
	}
	if !m.live.Load() {
		return s
	}
	s.Source = metrics.SourceStats(a.probe.Stats())
	c := a.pipe.Counters()
	c.EachType(func(t event.Type, n uint64) {
		if info := event.Current().Lookup(t); info != nil {
			s.Events = append(s.Events, metrics.Count{Name: eventMetricName(t, info), N: n})
		}
	})
	s.Events = mergeCounts(s.Events)
	a.outs.counts.each(func(k ruleKey, n uint64) {
		s.Alerts = append(s.Alerts, metrics.RuleCount{Rule: k.rule, Priority: k.priority, Source: k.source, N: n})
	})
	for _, o := range a.outs.stats() {
		s.Outputs = append(s.Outputs, outputMetrics(o))
	}
	judged, evalTime := a.rules.Stats()
	s.Eval = metrics.EvalStats{Seconds: evalTime.Seconds(), Events: judged}
	th, fds, ctrs := c.State()
	s.State = metrics.StateStats{Threads: th, FDs: fds, Containers: ctrs}
	if a.ctrs != nil {
		s.Containers = containerStats(a.ctrs)
	}
	s.Sources = a.srcs.counts()
	s.Captures = a.captureStats()
	return s
}

// eventMetricName names an event type for the metrics: its name, with
// the direction for the enter events of the classic model.
func eventMetricName(t event.Type, info *event.Info) string {
	if t.IsEnter() && event.Current().Lookup(t+1) != nil {
		return info.Name + "_enter"
	}
	return info.Name
}

// mergeCounts adds up counts of the same name, sorted by name.
func mergeCounts(cs []metrics.Count) []metrics.Count {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	out := cs[:0]
	for _, c := range cs {
		if n := len(out); n > 0 && out[n-1].Name == c.Name {
			out[n-1].N += c.N
			continue
		}
		out = append(out, c)
	}
	return out
}

func outputMetrics(o output.OutputStats) metrics.OutputStats {
	m := metrics.OutputStats{Name: o.Name, Sent: o.Sent, Failed: o.Failed}
	for r, n := range o.Dropped {
		m.Dropped = append(m.Dropped, metrics.Count{Name: string(r), N: n})
	}
	sort.Slice(m.Dropped, func(i, j int) bool { return m.Dropped[i].Name < m.Dropped[j].Name })
	return m
}

// info is what the metrics say of Kestrel and the host.
func (m *monitor) info() metrics.Info {
	release := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = string(trimNL(b))
	}
	return metrics.Info{Version: Version(), EngineVersion: rules.EngineVersion, Hostname: hostnameOf(m.a.o),
		KernelRelease: release, NumCPUs: runtime.NumCPU(), Engine: "modern_bpf"}
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// dropOptions maps syscall_event_drops.
func dropOptions(cfg *config.Config) DropOptions {
	d := cfg.SyscallEventDrops
	o := DropOptions{Threshold: d.Threshold, Rate: d.Rate, MaxBurst: float64(d.MaxBurst), Simulate: d.SimulateDrops}
	for _, a := range d.Actions {
		o.Actions = append(o.Actions, DropAction(a))
	}
	return o
}

// Version is Kestrel's version: the module's, or the commit it was built
// from.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
