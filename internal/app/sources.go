package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/metrics"
	"github.com/kestrel-sec/kestrel/source/cloudtrail"
	"github.com/kestrel-sec/kestrel/source/github"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
	"github.com/kestrel-sec/kestrel/source/k8saudit"
	"github.com/kestrel-sec/kestrel/source/okta"
)

// sourceSet runs the enabled sources other than syscall during `kestrel
// run`, each on its own goroutines, feeding the same outputs as the
// syscall pipeline. A source that fails is logged and stops alone; a
// reload restarts the sources whose settings changed, and only them.
type sourceSet struct {
	log      *slog.Logger
	emit     func(*alert.Alert) error
	hostname string
	eng      atomic.Pointer[engine.Engine]
	mu       sync.Mutex                // guards running and stats
	running  []*runningSource          // in start order
	stats    map[string]*jsonsrc.Stats // per source, kept across restarts: counters only grow
	order    []string                  // the sources that ever ran, for summary and metrics
}

// runningSource is one running source: its settings, what its receivers
// queue, and what stops them.
type runningSource struct {
	kind     sourceKind
	settings any // its configuration block, to tell a change at reload
	stats    *jsonsrc.Stats
	q        *jsonsrc.Queue
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// sourceBlock is the configuration of one source, and how to start it.
type sourceBlock struct {
	name     string
	enabled  bool
	settings any
	queue    int
	start    func(s *sourceSet, ctx context.Context, rs *runningSource)
}

// sourceBlocks returns the sources' configuration blocks.
func sourceBlocks(c config.Sources) []sourceBlock {
	return []sourceBlock{
		{k8saudit.SourceName, c.K8sAudit.Enabled, c.K8sAudit, c.K8sAudit.QueueSize,
			func(s *sourceSet, ctx context.Context, rs *runningSource) { s.startK8sAudit(ctx, c.K8sAudit, rs) }},
		{github.SourceName, c.GitHub.Enabled, c.GitHub, c.GitHub.QueueSize,
			func(s *sourceSet, ctx context.Context, rs *runningSource) { s.startGitHub(ctx, c.GitHub, rs) }},
		{okta.SourceName, c.Okta.Enabled, c.Okta, c.Okta.QueueSize,
			func(s *sourceSet, ctx context.Context, rs *runningSource) { s.startOkta(ctx, c.Okta, rs) }},
		{cloudtrail.SourceName, c.CloudTrail.Enabled, c.CloudTrail, c.CloudTrail.QueueSize,
			func(s *sourceSet, ctx context.Context, rs *runningSource) { s.startCloudTrail(ctx, c.CloudTrail, rs) }},
	}
}

// startSources starts the sources cfg enables.
func startSources(cfg *config.Config, eng *engine.Engine, emit func(*alert.Alert) error, log *slog.Logger, hostname string) *sourceSet {
	s := &sourceSet{log: log, emit: emit, hostname: hostname, stats: map[string]*jsonsrc.Stats{}}
	s.eng.Store(eng)
	s.configure(cfg.Sources)
	return s
}

// configure starts the sources c enables that do not run with the same
// settings already, after stopping the ones running with other settings
// or no longer enabled.
func (s *sourceSet) configure(c config.Sources) {
	for _, b := range sourceBlocks(c) {
		rs := s.find(b.name)
		if rs != nil && b.enabled && reflect.DeepEqual(rs.settings, b.settings) {
			continue
		}
		if rs != nil {
			s.log.Info("source stopped: its settings changed", "source", b.name)
			s.stopOne(rs)
		}
		if b.enabled {
			s.startOne(b)
		}
	}
}

// find returns the running source called name, or nil.
func (s *sourceSet) find(name string) *runningSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range s.running {
		if rs.kind.name == name {
			return rs
		}
	}
	return nil
}

// startOne starts a source: its queue, its judging goroutine and its
// receivers.
func (s *sourceSet) startOne(b sourceBlock) {
	kind, _ := sourceKindNamed(b.name)
	s.mu.Lock()
	st := s.stats[b.name]
	if st == nil {
		st = &jsonsrc.Stats{}
		s.stats[b.name] = st
		s.order = append(s.order, b.name)
	}
	rs := &runningSource{kind: kind, settings: b.settings, stats: st, q: jsonsrc.NewQueue(b.queue, st)}
	s.running = append(s.running, rs)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	rs.cancel = cancel
	b.start(s, ctx, rs)
}

// stopOne stops a running source and waits for its goroutines.
func (s *sourceSet) stopOne(rs *runningSource) {
	rs.cancel()
	rs.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = slices.DeleteFunc(s.running, func(r *runningSource) bool { return r == rs })
}

// judgeWith starts the goroutine that judges a source's events, decoding
// them with dec (the source's default decoder when nil).
func (s *sourceSet) judgeWith(ctx context.Context, rs *runningSource, dec eventDecoder) {
	if dec == nil {
		dec = rs.kind.decoder()
	}
	rs.wg.Go(func() { s.judge(ctx, rs, dec) })
}

// swap makes a reloaded engine judge the sources' next events.
func (s *sourceSet) swap(eng *engine.Engine) {
	if s != nil {
		s.eng.Store(eng)
	}
}

// stop ends every source and waits for them.
func (s *sourceSet) stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	running := slices.Clone(s.running)
	s.mu.Unlock()
	for _, rs := range running {
		s.stopOne(rs)
	}
}

// summary prints what the sources received and dropped.
func (s *sourceSet) summary(w io.Writer) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range s.order {
		st := s.stats[name].Snapshot()
		fmt.Fprintf(w, "kestrel: source %s: %d events, %d requests (%d rejected or failed), %d malformed events or lines skipped, %d dropped (queue full)\n",
			name, st.Events, st.Requests, st.Rejected, st.Invalid, st.Dropped)
	}
}

// counts returns the sources' counters for the metrics.
func (s *sourceSet) counts() []metrics.SourceCount {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]metrics.SourceCount, 0, len(s.order))
	for _, name := range s.order {
		st := s.stats[name].Snapshot()
		out = append(out, metrics.SourceCount{Source: name, Requests: st.Requests, Rejected: st.Rejected,
			Events: st.Events, Invalid: st.Invalid, Dropped: st.Dropped})
	}
	return out
}

// goRun runs a receiver of a source until ctx ends; its failure stops it
// alone.
func (s *sourceSet) goRun(rs *runningSource, what string, run func() error) {
	rs.wg.Go(func() {
		if err := run(); err != nil {
			s.log.Error(what+" stopped", "source", rs.kind.name, "error", err)
		}
	})
}

func (s *sourceSet) startK8sAudit(ctx context.Context, k config.K8sAudit, rs *runningSource) {
	s.judgeWith(ctx, rs, nil)
	if k.ListenPort > 0 {
		s.startAuditWebhook(ctx, k, rs)
	}
	for _, path := range k.Files {
		r := &k8saudit.FileReader{MaxEventSize: k.MaxEventSize, MaxLineSize: k.MaxBodySize, Stats: rs.stats, Log: s.log,
			Emit: func(data []byte, ts uint64) {
				rs.q.Put(jsonsrc.Item{Data: append([]byte(nil), data...), TS: ts}, ctx.Done())
			}}
		s.goRun(rs, "audit log reader", func() error { return r.Read(ctx, path, k.Follow) })
	}
}

func (s *sourceSet) startAuditWebhook(ctx context.Context, k config.K8sAudit, rs *runningSource) {
	h := &k8saudit.Webhook{Path: k.Path, MaxBodySize: int64(k.MaxBodySize), MaxEventSize: k.MaxEventSize, Queue: rs.q, Stats: rs.stats, Log: s.log}
	addr := net.JoinHostPort(k.ListenAddress, strconv.Itoa(k.ListenPort))
	srv, err := k8saudit.Listen(addr, k.SSLCertificate, k.SSLKey, h)
	if err != nil {
		s.log.Error("audit webhook not started", "source", k8saudit.SourceName, "error", err)
		return
	}
	s.log.Info("audit webhook listening", "source", k8saudit.SourceName, "address", srv.Addr().String(), "path", h.Path, "tls", k.SSLCertificate != "")
	s.goRun(rs, "audit webhook", func() error { return srv.Serve(ctx) })
}

func (s *sourceSet) startGitHub(ctx context.Context, g config.GitHub, rs *runningSource) {
	s.judgeWith(ctx, rs, nil)
	gc := github.Config{ListenAddress: g.ListenAddress, ListenPort: g.ListenPort, Path: g.Path,
		WebhookSecret: g.WebhookSecret, WebhookSecretFile: g.WebhookSecretFile, Token: g.Token, TokenFile: g.TokenFile,
		SSLCertificate: g.SSLCertificate, SSLKey: g.SSLKey, APIURL: g.APIURL, APITimeout: time.Duration(g.APITimeout),
		MaxBodySize: g.MaxBodySize, DisableScans: g.DisableScans}
	srv, err := github.Start(gc, rs.q, rs.stats, s.log)
	if err != nil {
		s.log.Error("GitHub webhook not started", "source", github.SourceName, "error", err)
		return
	}
	s.log.Info("GitHub webhook listening", "source", github.SourceName, "address", srv.Addr().String(), "path", g.Path, "tls", g.SSLCertificate != "")
	s.goRun(rs, "GitHub webhook", func() error { return srv.Serve(ctx) })
}

func (s *sourceSet) startOkta(ctx context.Context, o config.Okta, rs *runningSource) {
	oc := okta.Config{Organization: o.Organization, APIToken: o.APIToken,
		RefreshInterval: seconds(o.RefreshInterval), CacheExpiration: seconds(o.CacheExpiration),
		CacheUserMaxSize: uint64(o.CacheUserMaxSize), CacheMaxUsers: o.CacheMaxUsers,
		BaseURL: o.BaseURL, Limit: o.Limit, MaxEventSize: o.MaxEventSize}
	s.judgeWith(ctx, rs, oc.NewDecoder())
	if err := oc.Validate(); err != nil {
		s.log.Error("Okta source not started", "source", okta.SourceName, "error", err)
		return
	}
	s.log.Info("Okta System Log polled", "source", okta.SourceName, "organization", o.Organization)
	s.goRun(rs, "Okta poller", func() error { return okta.Run(ctx, oc, rs.q, rs.stats, s.log) })
}

func (s *sourceSet) startCloudTrail(ctx context.Context, c config.CloudTrail, rs *runningSource) {
	s.judgeWith(ctx, rs, nil)
	del := c.SQSDelete
	cc := cloudtrail.Config{SQSDelete: &del, S3DownloadConcurrency: c.S3DownloadConcurrency, S3Interval: c.S3Interval,
		S3AccountList: c.S3AccountList, SQSOwnerAccount: c.SQSOwnerAccount, SQSWaitSeconds: c.SQSWaitSeconds,
		RetryInterval: time.Duration(c.RetryInterval), MaxAttempts: c.MaxAttempts, MaxRecordSize: c.MaxRecordSize,
		AWS: cloudtrail.AWSConfig{Profile: c.AWS.Profile, Region: c.AWS.Region, Config: c.AWS.Config, Credentials: c.AWS.Credentials,
			Endpoint: c.AWS.Endpoint, S3Endpoint: c.AWS.S3Endpoint, SQSEndpoint: c.AWS.SQSEndpoint}}
	if err := cc.Validate(); err != nil {
		s.log.Error("CloudTrail source not started", "source", cloudtrail.SourceName, "error", err)
		return
	}
	for _, in := range c.Inputs {
		s.log.Info("CloudTrail input read", "source", cloudtrail.SourceName, "input", in)
		s.goRun(rs, "CloudTrail input "+in, func() error { return cloudtrail.Run(ctx, in, cc, rs.q, rs.stats, s.log) })
	}
}

// seconds returns d in whole seconds, at least one.
func seconds(d config.Duration) uint64 {
	return max(uint64(time.Duration(d)/time.Second), 1)
}

// judge runs a source's rules on its queued events until ctx ends.
func (s *sourceSet) judge(ctx context.Context, rs *runningSource, dec eventDecoder) {
	j := &sourceJudge{dec: dec, fc: field.NewContext(nil)}
	j.fc.Hostname = s.hostname
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-rs.q.Items():
			s.judgeOne(rs.kind.name, j, it)
		}
	}
}

// sourceJudge is the state of the goroutine judging a source's events.
type sourceJudge struct {
	dec    eventDecoder
	fc     *field.Context
	alerts []alert.Alert
}

// judgeOne judges one event; a failure is logged and the source goes on.
func (s *sourceSet) judgeOne(name string, j *sourceJudge, it jsonsrc.Item) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("event skipped after an internal error", "source", name, "panic", fmt.Sprint(r))
		}
	}()
	src := s.eng.Load().Source(name)
	if src == nil {
		return
	}
	if err := j.dec.Decode(j.fc, it.Data, it.TS); err != nil {
		s.log.Warn("event skipped", "source", name, "error", err)
		return
	}
	j.alerts = src.Process(j.fc, j.alerts[:0])
	for i := range j.alerts {
		if err := s.emit(&j.alerts[i]); err != nil {
			s.log.Warn("alert not delivered", "source", name, "error", err)
		}
	}
}
