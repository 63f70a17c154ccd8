package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
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
// syscall pipeline. A source that fails is logged and stops alone.
type sourceSet struct {
	log      *slog.Logger
	emit     func(*alert.Alert) error
	hostname string
	eng      atomic.Pointer[engine.Engine]
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	running  []*runningSource
}

// runningSource is one source of a sourceSet: what its receivers queue,
// and what they counted.
type runningSource struct {
	kind  sourceKind
	stats *jsonsrc.Stats
	q     *jsonsrc.Queue
}

// startSources starts the sources cfg enables; nil when none is.
func startSources(cfg *config.Config, eng *engine.Engine, emit func(*alert.Alert) error, log *slog.Logger, hostname string) *sourceSet {
	srcs := cfg.Sources
	if !srcs.K8sAudit.Enabled && !srcs.GitHub.Enabled && !srcs.Okta.Enabled && !srcs.CloudTrail.Enabled {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sourceSet{log: log, emit: emit, hostname: hostname, cancel: cancel}
	s.eng.Store(eng)
	if srcs.K8sAudit.Enabled {
		s.startK8sAudit(ctx, srcs.K8sAudit)
	}
	if srcs.GitHub.Enabled {
		s.startGitHub(ctx, srcs.GitHub)
	}
	if srcs.Okta.Enabled {
		s.startOkta(ctx, srcs.Okta)
	}
	if srcs.CloudTrail.Enabled {
		s.startCloudTrail(ctx, srcs.CloudTrail)
	}
	return s
}

// add makes a source's queue and its judging goroutine, which decodes
// with dec (the source's default decoder when nil).
func (s *sourceSet) add(ctx context.Context, name string, queueSize int, dec eventDecoder) *runningSource {
	kind, _ := sourceKindNamed(name)
	if dec == nil {
		dec = kind.decoder()
	}
	rs := &runningSource{kind: kind, stats: &jsonsrc.Stats{}}
	rs.q = jsonsrc.NewQueue(queueSize, rs.stats)
	s.running = append(s.running, rs)
	s.wg.Go(func() { s.judge(ctx, rs, dec) })
	return rs
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
	s.cancel()
	s.wg.Wait()
}

// summary prints what the sources received and dropped.
func (s *sourceSet) summary(w io.Writer) {
	if s == nil {
		return
	}
	for _, rs := range s.running {
		st := rs.stats.Snapshot()
		fmt.Fprintf(w, "kestrel: source %s: %d events, %d requests (%d rejected or failed), %d malformed events or lines skipped, %d dropped (queue full)\n",
			rs.kind.name, st.Events, st.Requests, st.Rejected, st.Invalid, st.Dropped)
	}
}

// counts returns the sources' counters for the metrics.
func (s *sourceSet) counts() []metrics.SourceCount {
	if s == nil {
		return nil
	}
	out := make([]metrics.SourceCount, 0, len(s.running))
	for _, rs := range s.running {
		st := rs.stats.Snapshot()
		out = append(out, metrics.SourceCount{Source: rs.kind.name, Requests: st.Requests, Rejected: st.Rejected,
			Events: st.Events, Invalid: st.Invalid, Dropped: st.Dropped})
	}
	return out
}

// goRun runs a receiver of a source until ctx ends; its failure stops it
// alone.
func (s *sourceSet) goRun(name, what string, run func() error) {
	s.wg.Go(func() {
		if err := run(); err != nil {
			s.log.Error(what+" stopped", "source", name, "error", err)
		}
	})
}

func (s *sourceSet) startK8sAudit(ctx context.Context, k config.K8sAudit) {
	rs := s.add(ctx, k8saudit.SourceName, k.QueueSize, nil)
	if k.ListenPort > 0 {
		s.startAuditWebhook(ctx, k, rs)
	}
	for _, path := range k.Files {
		r := &k8saudit.FileReader{MaxEventSize: k.MaxEventSize, MaxLineSize: k.MaxBodySize, Stats: rs.stats, Log: s.log,
			Emit: func(data []byte, ts uint64) {
				rs.q.Put(jsonsrc.Item{Data: append([]byte(nil), data...), TS: ts}, ctx.Done())
			}}
		s.goRun(k8saudit.SourceName, "audit log reader", func() error { return r.Read(ctx, path, k.Follow) })
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
	s.goRun(k8saudit.SourceName, "audit webhook", func() error { return srv.Serve(ctx) })
}

func (s *sourceSet) startGitHub(ctx context.Context, g config.GitHub) {
	rs := s.add(ctx, github.SourceName, g.QueueSize, nil)
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
	s.goRun(github.SourceName, "GitHub webhook", func() error { return srv.Serve(ctx) })
}

func (s *sourceSet) startOkta(ctx context.Context, o config.Okta) {
	oc := okta.Config{Organization: o.Organization, APIToken: o.APIToken,
		RefreshInterval: seconds(o.RefreshInterval), CacheExpiration: seconds(o.CacheExpiration),
		CacheUserMaxSize: uint64(o.CacheUserMaxSize), CacheMaxUsers: o.CacheMaxUsers,
		BaseURL: o.BaseURL, Limit: o.Limit, MaxEventSize: o.MaxEventSize}
	rs := s.add(ctx, okta.SourceName, o.QueueSize, oc.NewDecoder())
	if err := oc.Validate(); err != nil {
		s.log.Error("Okta source not started", "source", okta.SourceName, "error", err)
		return
	}
	s.log.Info("Okta System Log polled", "source", okta.SourceName, "organization", o.Organization)
	s.goRun(okta.SourceName, "Okta poller", func() error { return okta.Run(ctx, oc, rs.q, rs.stats, s.log) })
}

func (s *sourceSet) startCloudTrail(ctx context.Context, c config.CloudTrail) {
	rs := s.add(ctx, cloudtrail.SourceName, c.QueueSize, nil)
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
		s.goRun(cloudtrail.SourceName, "CloudTrail input "+in, func() error { return cloudtrail.Run(ctx, in, cc, rs.q, rs.stats, s.log) })
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
