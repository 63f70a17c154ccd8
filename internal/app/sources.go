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

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/metrics"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
	"github.com/kestrel-sec/kestrel/source/k8saudit"
)

// builtinSources are the sources other than syscall whose rules the
// engine compiles: every built-in one, so that their rules files load
// whether or not the source runs.
func builtinSources() []engine.SourceDef {
	return []engine.SourceDef{k8saudit.Def()}
}

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
	k8s      *jsonsrc.Stats // nil when the source is off
}

// startSources starts the sources cfg enables; nil when none is.
func startSources(cfg *config.Config, eng *engine.Engine, emit func(*alert.Alert) error, log *slog.Logger, hostname string) *sourceSet {
	k := cfg.Sources.K8sAudit
	if !k.Enabled {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sourceSet{log: log, emit: emit, hostname: hostname, cancel: cancel}
	s.eng.Store(eng)
	s.startK8sAudit(ctx, k)
	return s
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
	if s == nil || s.k8s == nil {
		return
	}
	st := s.k8s.Snapshot()
	fmt.Fprintf(w, "kestrel: source %s: %d events, %d webhook requests (%d rejected), %d malformed events or lines skipped, %d dropped (queue full)\n",
		k8saudit.SourceName, st.Events, st.Requests, st.Rejected, st.Invalid, st.Dropped)
}

func (s *sourceSet) startK8sAudit(ctx context.Context, k config.K8sAudit) {
	s.k8s = &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(k.QueueSize, s.k8s)
	s.wg.Go(func() { s.judgeK8sAudit(ctx, q) })
	if k.ListenPort > 0 {
		s.startWebhook(ctx, k, q)
	}
	for _, path := range k.Files {
		r := &k8saudit.FileReader{MaxEventSize: k.MaxEventSize, MaxLineSize: k.MaxBodySize, Stats: s.k8s, Log: s.log,
			Emit: func(data []byte, ts uint64) {
				q.Put(jsonsrc.Item{Data: append([]byte(nil), data...), TS: ts}, ctx.Done())
			}}
		s.wg.Go(func() {
			if err := r.Read(ctx, path, k.Follow); err != nil {
				s.log.Error("audit log reader stopped", "source", k8saudit.SourceName, "error", err)
			}
		})
	}
}

func (s *sourceSet) startWebhook(ctx context.Context, k config.K8sAudit, q *jsonsrc.Queue) {
	h := &k8saudit.Webhook{Path: k.Path, MaxBodySize: int64(k.MaxBodySize), MaxEventSize: k.MaxEventSize, Queue: q, Stats: s.k8s, Log: s.log}
	addr := net.JoinHostPort(k.ListenAddress, strconv.Itoa(k.ListenPort))
	srv, err := k8saudit.Listen(addr, k.SSLCertificate, k.SSLKey, h)
	if err != nil {
		s.log.Error("audit webhook not started", "source", k8saudit.SourceName, "error", err)
		return
	}
	s.log.Info("audit webhook listening", "source", k8saudit.SourceName, "address", srv.Addr().String(), "path", h.Path, "tls", k.SSLCertificate != "")
	s.wg.Go(func() {
		if err := srv.Serve(ctx); err != nil {
			s.log.Error("audit webhook stopped", "source", k8saudit.SourceName, "error", err)
		}
	})
}

// judgeK8sAudit runs the k8s_audit rules on the queued events until ctx
// ends.
func (s *sourceSet) judgeK8sAudit(ctx context.Context, q *jsonsrc.Queue) {
	j := &auditJudge{fc: field.NewContext(nil)}
	j.fc.Hostname = s.hostname
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-q.Items():
			s.judgeOne(j, it)
		}
	}
}

// auditJudge is the state of the goroutine judging audit events.
type auditJudge struct {
	dec    k8saudit.Decoder
	fc     *field.Context
	alerts []alert.Alert
}

// judgeOne judges one event; a failure is logged and the source goes on.
func (s *sourceSet) judgeOne(j *auditJudge, it jsonsrc.Item) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("audit event skipped after an internal error", "source", k8saudit.SourceName, "panic", fmt.Sprint(r))
		}
	}()
	src := s.eng.Load().Source(k8saudit.SourceName)
	if src == nil {
		return
	}
	if err := j.dec.Decode(j.fc, it.Data, it.TS); err != nil {
		s.log.Warn("audit event skipped", "source", k8saudit.SourceName, "error", err)
		return
	}
	j.alerts = src.Process(j.fc, j.alerts[:0])
	for i := range j.alerts {
		if err := s.emit(&j.alerts[i]); err != nil {
			s.log.Warn("alert not delivered", "source", k8saudit.SourceName, "error", err)
		}
	}
}

// counts returns the sources' counters for the metrics.
func (s *sourceSet) counts() []metrics.SourceCount {
	if s == nil || s.k8s == nil {
		return nil
	}
	k := s.k8s.Snapshot()
	return []metrics.SourceCount{{Source: "k8s_audit", Requests: k.Requests, Rejected: k.Rejected,
		Events: k.Events, Invalid: k.Invalid, Dropped: k.Dropped}}
}
